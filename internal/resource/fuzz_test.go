package resource

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPipeline runs untrusted bytes through the whole package: ParseFile, Decode, Normalize, then
// ParseFile and Decode of the output. It must never panic; a document that decodes must normalize, and its
// normalized bytes must be a fixed point (normalizing them again gives the same bytes), and where the fast
// encoder takes a document it must write what yaml.v3 writes.
func FuzzPipeline(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus files: %v", err)
	}
	// Seeds are the corpus documents one by one, and the small corpus files whole: small seeds keep each
	// run, and the minimization of new inputs, fast.
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 3000 {
			f.Add(data)
		}
		docs, err := ParseFile(data, DefaultLimits())
		if err != nil {
			f.Fatal(err)
		}
		for _, d := range docs {
			f.Add(d.Raw)
		}
	}
	for _, s := range append(oddResources, []string{
		validVPC,
		"a: &a [*a]\n",
		"---\n---\n...\n%YAML 1.2\n---\nx: 1\n",
		billionLaughs(3, 3),
		"apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata: &m\n  name: v\nspec:\n  subnets:\n    a: &s {subnet: 10.0.0.0/24, vlan: 1}\n    b:\n      <<: *s\n      vlan: 2\n",
	}...) {
		f.Add([]byte(s))
	}
	reg, err := NewRegistry()
	if err != nil {
		f.Fatal(err)
	}
	lim := Limits{MaxFileBytes: 1 << 20, MaxDepth: 32, MaxNodes: 100_000, MaxDocuments: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := ParseFile(data, lim)
		if err != nil {
			if _, ok := err.(*Issue); !ok {
				t.Fatalf("ParseFile error is %T, want *Issue", err)
			}
			return
		}
		for _, d := range docs {
			if d.Empty || d.Err != nil {
				continue
			}
			r, issues := reg.Decode(d)
			if r == nil {
				if len(issues) == 0 {
					t.Fatal("rejected without an issue")
				}
				continue
			}
			prov := Provenance{Fabric: "fuzz", OriginalFile: "raw/fuzz.yaml", DocumentIndex: d.Index}
			out, err := Normalize(r, prov)
			if err != nil {
				t.Fatalf("decoded document %d does not normalize: %v", d.Index, err)
			}
			// The fast encoder writes what yaml.v3 writes, with and without comments.
			top, err := normalizedTree(r, prov)
			if err != nil {
				t.Fatal(err)
			}
			checkFastEncode(t, r, top)
			stripComments(top)
			checkFastEncode(t, r, top)
			again, err := ParseFile(out, lim)
			if err != nil {
				t.Fatalf("normalized output does not parse: %v\n%s", err, out)
			}
			if len(again) != 1 || again[0].Node == nil {
				t.Fatalf("normalized output is not one document:\n%s", out)
			}
			r2, issues := reg.Decode(again[0])
			if r2 == nil {
				t.Fatalf("normalized output does not decode: %v\n%s", issues, out)
			}
			if r2.ID != r.ID {
				t.Fatalf("identity changed: %s -> %s", r.ID, r2.ID)
			}
			out2, err := Normalize(r2, Provenance{Fabric: "other"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Fatalf("Normalize is not idempotent:\n--- first\n%s\n--- second\n%s", out, out2)
			}
		}
	})
}

// oddResources are valid resources with odd strings and comments everywhere: seeds that keep mutations
// reaching Normalize and both encoders, and cases of TestOddResources.
var oddResources = []string{
	`metadata:
  labels:
    z: "1" # line z
    # head a
    a: "2"
    m: "3"
    # foot m
  annotations:
    # about note
    note: x
    kubectl.kubernetes.io/last-applied-configuration: |
      {"x": 1}
  name: lab # the name
  # before namespace
  namespace: default
  # foot of metadata
apiVersion: vpc.githedgehog.com/v1beta1 # api
status: {} # gone
kind: VPC
spec: {subnets: {default: {subnet: 10.0.0.0/24}}} # flow
# trailing
`,
	"apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: a\n  annotations:\n    # only ours\n    kubectl.kubernetes.io/last-applied-configuration: x\nspec:\n  subnets: {}\n",
	`# head
apiVersion: wiring.githedgehog.com/v1beta1 # api
kind: Server
metadata:
  # before name
  name: srv-1
  labels: {a: "x: y", b: '#z', "c d": ""}
  annotations:
    note: |
      two
        lines
    folded: >
      folded
      text
spec: # spec
  description: "tab\there \u00e9 \"q\" 'single' # not a comment"
  # foot of description
`,
	"apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: sw\nspec:\n  role: spine\n  description: ' leading and trailing '\n  groups:\n    # head of first\n    - a # line a\n    - 'b'\n    # foot\n  portSpeeds: {E1/1: 25G, \"E1/2\": '10G'} # flow\n  vlanNamespaces: [default, \"x,y\"]\n",
	"apiVersion: vpc.githedgehog.com/v1alpha2\nkind: VPCPeering\nmetadata:\n  name: p\nspec:\n  permit:\n    - vpc-1: # one\n        subnets: [a, b]\n      vpc-2:\n        subnets:\n          - c\n    - {vpc-3: {}, vpc-4: {subnets: [x]}}\n",
}

func TestOddResources(t *testing.T) {
	reg := newTestRegistry(t)
	for i, in := range oddResources {
		r := decodeOne(t, reg, in)
		out, err := Normalize(r, Provenance{Fabric: "odd", OriginalFile: "raw/odd.yaml", DocumentIndex: i})
		if err != nil {
			t.Fatal(err)
		}
		again, err := Normalize(decodeOne(t, reg, string(out)), Provenance{})
		if err != nil || !bytes.Equal(again, out) {
			t.Errorf("resource %d: not idempotent (err %v):\n%s\n---\n%s", i, err, out, again)
		}
		top, err := normalizedTree(r, Provenance{})
		if err != nil {
			t.Fatal(err)
		}
		checkFastEncode(t, r, top)
		if testing.Verbose() {
			t.Logf("resource %d normalized:\n%s", i, out)
		}
	}
}
