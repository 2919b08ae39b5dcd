package resource

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// decodeOne parses and decodes a single-document input, failing the test on any issue.
func decodeOne(t *testing.T, reg *Registry, in string) *Resource {
	t.Helper()
	docs, err := ParseFile([]byte(in), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var out *Resource
	for _, d := range docs {
		if d.Empty {
			continue
		}
		r, issues := reg.Decode(d)
		if r == nil {
			t.Fatalf("decode: %v", issues)
		}
		if out != nil {
			t.Fatal("more than one document")
		}
		out = r
	}
	if out == nil {
		t.Fatal("no document")
	}
	return out
}

func TestNormalize(t *testing.T) {
	reg := newTestRegistry(t)
	prov := Provenance{Fabric: "dc1", OriginalFile: "raw/vpcs.yaml", DocumentIndex: 3}
	cases := []struct {
		name, in, want string
	}{
		{
			name: "server fields, order, comments",
			in: `# license header of the file

# about this VPC
spec: # the spec
  subnets:
    default: # the default subnet
      vlan: 1001
      subnet: 10.0.1.0/24
kind: VPC
status: {}
metadata:
  uid: "0b7d"
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  resourceVersion: "5"
  generation: 3
  creationTimestamp: "2024-01-01T00:00:00Z"
  managedFields: []
  selfLink: /apis/x
  finalizers: [a]
  labels: {b: "2", a: "1"}
  name: vpc-1
apiVersion: vpc.githedgehog.com/v1beta1
###
### the next document's banner
###
`,
			want: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  labels: {a: "1", b: "2"}
  annotations:
    hnp.githedgehog.com/fabric: dc1
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "3"
    hnp.githedgehog.com/original-file: raw/vpcs.yaml
  finalizers: [a]
# about this VPC
spec: # the spec
  subnets:
    default: # the default subnet
      vlan: 1001
      subnet: 10.0.1.0/24
`,
		},
		{
			name: "user annotations kept and sorted, stale provenance replaced",
			in: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  annotations:
    z.example/owner: team-a
    hnp.githedgehog.com/fabric: old
    a.example/note: hello
spec: {}
`,
			want: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  annotations:
    a.example/note: hello
    hnp.githedgehog.com/fabric: dc1
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "3"
    hnp.githedgehog.com/original-file: raw/vpcs.yaml
    z.example/owner: team-a
spec: {}
`,
		},
		{
			name: "managed file keeps its provenance",
			in: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  annotations:
    hnp.githedgehog.com/fabric: lab
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "0"
    hnp.githedgehog.com/original-file: raw/first.yaml
spec: {}
`,
			want: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  annotations:
    hnp.githedgehog.com/fabric: lab
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "0"
    hnp.githedgehog.com/original-file: raw/first.yaml
spec: {}
`,
		},
		{
			name: "comment after a section that becomes the last one",
			in: `spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
# after spec, before a blank line

# about metadata
metadata:
  name: vpc-1
# between
kind: VPC
apiVersion: vpc.githedgehog.com/v1beta1
`,
			want: `apiVersion: vpc.githedgehog.com/v1beta1
# between
kind: VPC
# about metadata
metadata:
  name: vpc-1
  namespace: default
  annotations:
    hnp.githedgehog.com/fabric: dc1
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "3"
    hnp.githedgehog.com/original-file: raw/vpcs.yaml
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
`,
		},
		{
			name: "aliases and merge keys expanded",
			in: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  labels: &l
    team: a
spec:
  subnets:
    one: &base
      subnet: 10.0.1.0/24
      vlan: 1001
    two:
      <<: *base
      vlan: 1002
`,
			want: `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
  namespace: default
  labels:
    team: a
  annotations:
    hnp.githedgehog.com/fabric: dc1
    hnp.githedgehog.com/managed-by: fgd
    hnp.githedgehog.com/original-document-index: "3"
    hnp.githedgehog.com/original-file: raw/vpcs.yaml
spec:
  subnets:
    one:
      subnet: 10.0.1.0/24
      vlan: 1001
    two:
      vlan: 1002
      subnet: 10.0.1.0/24
`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := decodeOne(t, reg, tc.in)
			var before bytes.Buffer
			if err := yaml.NewEncoder(&before).Encode(r.Node); err != nil {
				t.Fatal(err)
			}
			got, err := Normalize(r, prov)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			again, err := Normalize(r, prov)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("second Normalize differs (err %v)", err)
			}
			var after bytes.Buffer
			if err := yaml.NewEncoder(&after).Encode(r.Node); err != nil {
				t.Fatal(err)
			}
			if before.String() != after.String() {
				t.Error("Normalize changed the resource's node")
			}
			fixed, err := Normalize(decodeOne(t, reg, string(got)), Provenance{Fabric: "elsewhere"})
			if err != nil || !bytes.Equal(fixed, got) {
				t.Errorf("normalizing the output again gives:\n%s", fixed)
			}
		})
	}
}

// TestNormalizeMergedDuplicateKeysRejected: a merge key does not make an explicit key a duplicate, but
// two explicit keys are.
func TestNormalizeMergedDuplicateKeysRejected(t *testing.T) {
	reg := newTestRegistry(t)
	in := "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: v\nspec:\n  subnets:\n    a: &a {subnet: 10.0.0.0/24}\n    b: {<<: *a, subnet: 10.0.1.0/24, subnet: 10.0.2.0/24}\n"
	docs, err := ParseFile([]byte(in), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	_, issues := reg.Decode(docs[0])
	if len(issues) != 1 || issues[0].Code != CodeDuplicateKey || !strings.Contains(issues[0].Path, "spec.subnets.b.subnet") {
		t.Errorf("want one duplicate-key issue at spec.subnets.b.subnet, got %v", issues)
	}
}
