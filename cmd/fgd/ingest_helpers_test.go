package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// ingestCorpus is the test corpus shared with internal/resource.
const ingestCorpus = "../../testdata/corpus"

func corpusDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ingestCorpus, name))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return strings.TrimSpace(string(b)) + "\n"
}

var ingestMetaName = regexp.MustCompile(`(?m)^(metadata:\n(?:  .*\n)*?  name: ).*$`)

// renamed returns a corpus document with metadata.name set to name.
func renamed(doc, name string) string { return ingestMetaName.ReplaceAllString(doc, "${1}"+name) }

// generateInputs writes n files into dir/raw: valid, invalid, mixed,
// comment-only and non-YAML files built from corpus documents, with two
// files sharing one identity (different content). It returns the names.
func generateInputs(t *testing.T, dir string, n int) {
	t.Helper()
	tpls := []string{
		corpusDoc(t, "docs__docs__user-guide__devices.md__L178__Server.yaml"),
		corpusDoc(t, "docs__docs__user-guide__vpcs.md__L303__ipv4namespace.yaml"),
		corpusDoc(t, "docs__docs__user-guide__vpcs.md__L319__vlannamespace.yaml"),
		corpusDoc(t, "docs__docs__user-guide__external.md__L246__external-bgp.yaml"),
	}
	invalid := corpusDoc(t, "fabric__config__samples__wiring_v1alpha2_switchgroup.yaml")
	for i := 0; i < n; i++ {
		var b strings.Builder
		name := fmt.Sprintf("f%03d.yaml", i)
		switch i % 10 {
		case 0: // invalid only
			b.WriteString(renamed(invalid, fmt.Sprintf("bad-%d", i)) + "---\n" + renamed(tpls[0], fmt.Sprintf("Upper-%d", i)))
		case 1: // mixed
			b.WriteString(renamed(tpls[i%4], fmt.Sprintf("mix-%d", i)) + "---\n" + renamed(invalid, fmt.Sprintf("mixbad-%d", i)))
		case 2: // comment-only
			b.WriteString("# nothing to see\n---\n# here either\n")
		case 3: // not YAML
			name = fmt.Sprintf("f%03d.txt", i)
			b.WriteString("plain text " + fmt.Sprint(i) + "\n")
		default:
			for d := 0; d < 3; d++ {
				b.WriteString("---\n" + renamed(tpls[(i+d)%4], fmt.Sprintf("r-%d-%d", i, d)))
			}
		}
		if i == 5 || i == n-5 { // one identity in two files, different content
			b.WriteString("---\n" + strings.Replace(renamed(tpls[0], "shared"), "description:", "description: from "+name+" —", 1))
		}
		if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "raw", name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyTree copies the regular files and folders of src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

var whenLine = regexp.MustCompile(`(?m)^\s*-?\s*when: .*\n`)

// snapshot maps each path below root to its mode and content hash, with
// the "when" lines of sidecars and the archive log removed; the lock file
// (it holds a PID) is left out.
func snapshot(t *testing.T, root string, withWhen bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case rel == ".hnp/lock" && !withWhen:
		case fi.IsDir():
			out[rel+"/"] = fi.Mode().String()
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !withWhen && (strings.HasSuffix(rel, ".metadata") || rel == ".hnp/archive-log.yaml" || strings.HasPrefix(rel, ".hnp/archive-log/")) {
				b = whenLine.ReplaceAll(b, nil)
			}
			s := sha256.Sum256(b)
			out[rel] = fi.Mode().String() + " " + hex.EncodeToString(s[:])
		default:
			out[rel] = fi.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshotDiff(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "missing: "+k)
		} else if v != w {
			out = append(out, "differs: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "extra: "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// runFGD runs the binary and returns its exit code, stdout and stderr.
func runFGD(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return code, stdout.String(), stderr.String()
}
