package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fgdproject/fgd/internal/testutil/kubetest"
)

// goldenManaged is the corpus as fgd ingests it: the objects of the round trip.
const goldenManaged = "../../testdata/golden/managed"

// TestImportRoundTrip: the corpus's objects are put into a real API server with kubectl; fgd import
// writes them into an FGD's raw/; ingesting that FGD gives managed/ files byte-identical to those
// of an FGD whose raw/ holds the same objects as written by hand, under the same names.
func TestImportRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an API server")
	}
	srv := kubetest.Start(t, kubetest.Options{})
	byHand, imported := t.TempDir(), t.TempDir()
	var stream bytes.Buffer
	for name, body := range handWritten(t) {
		writeFile(t, filepath.Join(byHand, "raw", name), body)
		stream.WriteString("---\n" + body)
	}
	srv.Kubectl(t, stream.Bytes(), "apply", "--server-side", "--field-manager=operator", "-f", "-")

	var out, errb strings.Builder
	if rc := dispatch([]string{"import", "--kubeconfig", srv.Kubeconfig, imported}, &out, &errb); rc != 0 {
		t.Fatalf("fgd import exited %d: %s%s", rc, out.String(), errb.String())
	}
	rawImported := tree(t, filepath.Join(imported, "raw"))
	if a := tree(t, filepath.Join(byHand, "raw")); !sameKeys(a, rawImported) {
		t.Fatalf("imported files %v, want %v", keys(rawImported), keys(a))
	}
	for p, body := range rawImported {
		for _, field := range []string{"managedFields", "resourceVersion", "creationTimestamp", "uid:", "generation:", "hnp.githedgehog.com/fabric"} {
			if strings.Contains(body, field) {
				t.Errorf("imported %s keeps %s:\n%s", p, field, body)
			}
		}
	}
	if rc := dispatch([]string{"import", "--kubeconfig", srv.Kubeconfig, imported}, &out, &errb); rc != 1 ||
		!strings.Contains(errb.String(), "exists") {
		t.Errorf("a second import before the first was ingested exited %d (%s), want a refusal naming the file in the way", rc, errb.String())
	}
	for _, dir := range []string{byHand, imported} {
		if rc := dispatch([]string{"ingest", "--fabric", "lab", dir}, &out, &errb); rc != 0 {
			t.Fatalf("fgd ingest %s exited %d: %s", dir, rc, errb.String())
		}
	}
	want, got := tree(t, filepath.Join(byHand, "managed")), tree(t, filepath.Join(imported, "managed"))
	if len(want) < 40 || !sameKeys(want, got) {
		t.Fatalf("managed files: imported %v, by hand %v", keys(got), keys(want))
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s differs:\nimported:\n%s\nby hand:\n%s", p, got[p], w)
		}
	}
}

// handWritten is the corpus's managed resources without fgd's provenance annotations, as v1beta1
// (the API server serves that version), by the file name fgd import gives each.
func handWritten(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, body := range tree(t, goldenManaged) {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(body), &obj.Object); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		obj.SetAPIVersion(strings.Replace(obj.GetAPIVersion(), "v1alpha2", "v1beta1", 1))
		ann := obj.GetAnnotations()
		for k := range ann {
			if strings.HasPrefix(k, "hnp.githedgehog.com/") {
				delete(ann, k)
			}
		}
		obj.SetAnnotations(ann)
		b, err := yaml.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		kindDir := filepath.Base(filepath.Dir(p))
		out[kindDir+"-"+obj.GetNamespace()+"-"+obj.GetName()+".yaml"] = string(b)
	}
	return out
}

// tree maps the relative path of every file below dir to its contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameKeys(a, b map[string]string) bool {
	return strings.Join(keys(a), "\n") == strings.Join(keys(b), "\n")
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
