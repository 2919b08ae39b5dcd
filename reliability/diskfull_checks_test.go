package reliability

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
)

// The checkers of the disk-full test: what a full disk must never leave
// behind, each with table tests below that feed it broken trees.

// diskManagedFiles reads the resource files of an FGD's managed/.
func diskManagedFiles(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	base := filepath.Join(root, fgd.ManagedDir)
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == base {
			return nil // no layout yet: nothing managed
		}
		if err != nil || e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || fgd.IsTemp(e.Name()) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	return out, err
}

// diskTempReason says why a name is a temporary file a finished write must
// not leave behind, or "". The directory sink's names (".tmp-…" trees,
// "current.tmp") are its unexported constants.
func diskTempReason(name string, inGit bool) string {
	switch {
	case fgd.IsTemp(name):
		return "temp file left behind"
	case strings.HasPrefix(name, ".tmp-"):
		return "temp tree of the directory sink left behind"
	case name == "current.tmp":
		return "temp symlink of the directory sink left behind"
	case inGit && strings.HasPrefix(name, "tmp_"):
		return "temp file left in the git clone"
	case inGit && strings.HasSuffix(name, ".lock"):
		return "lock file left in the git clone"
	}
	return ""
}

// diskCheckTree walks root and reports what a full disk must never leave:
// temp files, and files fgd writes that are not whole — managed and
// published resources that do not parse as one resource ending in a newline,
// sidecars, manifests and archive logs that do not parse as YAML, JSON files
// that do not parse, audit logs with a line that is not one JSON entry.
func diskCheckTree(root string) []string {
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				out = append(out, fmt.Sprintf("%s: %v", rel, err))
			}
			return nil
		}
		inGit := strings.Contains("/"+rel+"/", "/.git/")
		if why := diskTempReason(e.Name(), inGit); why != "" {
			out = append(out, rel+": "+why)
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || inGit {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				out = append(out, fmt.Sprintf("%s: %v", rel, err))
			}
			return nil
		}
		if why := diskWholeReason(rel, b); why != "" {
			out = append(out, rel+": "+why)
		}
		return nil
	})
	if err != nil {
		out = append(out, err.Error())
	}
	return out
}

// diskWholeReason says why the file at rel is not whole, or "".
func diskWholeReason(rel string, b []byte) string {
	name := filepath.Base(rel)
	parts := "/" + filepath.Dir(rel) + "/"
	switch {
	case strings.HasSuffix(name, ".yaml") && (strings.Contains(parts, "/managed/") || strings.Contains(parts, "/.trees/")):
		return diskResourceReason(b)
	case strings.HasSuffix(name, fgd.SidecarSuffix), strings.Contains(parts, "/.hnp/") && strings.HasSuffix(name, ".yaml") && !strings.Contains(parts, "/archive/"):
		var v any
		if err := yaml.Unmarshal(b, &v); err != nil || v == nil || !bytes.HasSuffix(b, []byte("\n")) {
			return fmt.Sprintf("not whole YAML (%d bytes, %v)", len(b), err)
		}
	case strings.HasSuffix(name, ".json"):
		if !json.Valid(b) {
			return fmt.Sprintf("not whole JSON (%d bytes)", len(b))
		}
	case strings.HasPrefix(name, "audit.log"), strings.HasPrefix(name, "audit-rejected.log"):
		return diskAuditReason(b)
	}
	return ""
}

// diskResourceReason says why b is not exactly one whole resource document.
func diskResourceReason(b []byte) string {
	if !bytes.HasSuffix(b, []byte("\n")) {
		return fmt.Sprintf("cut short: %d bytes, no final newline", len(b))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec any `yaml:"spec"`
	}
	if err := dec.Decode(&doc); err != nil {
		return fmt.Sprintf("does not parse: %v", err)
	}
	if doc.APIVersion == "" || doc.Kind == "" || doc.Metadata.Name == "" || doc.Spec == nil {
		return "not a whole resource: apiVersion, kind, metadata.name or spec missing"
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return "more than one document"
	}
	return ""
}

// diskAuditReason says which line of an audit log is not one JSON entry.
func diskAuditReason(b []byte) string {
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		return "last line cut short (no final newline)"
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 1; sc.Scan(); i++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Sprintf("line %d is not one JSON entry: %v", i, err)
		}
	}
	return ""
}

// diskCheckManaged reports managed files of the FGD at root that are not
// byte for byte what an undisturbed ingestion writes (want); with complete,
// also the ones missing.
func diskCheckManaged(root string, want map[string][]byte, complete bool) []string {
	got, err := diskManagedFiles(root)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for rel, b := range got {
		w, ok := want[rel]
		switch {
		case !ok:
			out = append(out, "managed/"+rel+": not expected")
		case !bytes.Equal(b, w):
			out = append(out, fmt.Sprintf("managed/%s: %d bytes, not the %d an undisturbed ingestion writes", rel, len(b), len(w)))
		}
	}
	for rel := range want {
		if _, ok := got[rel]; !ok && complete {
			out = append(out, "managed/"+rel+": missing")
		}
	}
	sort.Strings(out)
	return out
}

// diskCheckPublished checks the live tree of the directory sink at pub:
// current is a symlink to a tree whose files are exactly those its
// inventory lists, with their hashes. It returns the tree's files (path →
// sha256 hex).
func diskCheckPublished(pub string) (map[string]string, []string) {
	cur := filepath.Join(pub, "current")
	target, err := os.Readlink(cur)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", cur, err)}
	}
	tree := filepath.Join(pub, target)
	var inv struct {
		Files map[string]struct {
			Hash string `json:"hash"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(tree, ".fgd-inventory.json"))
	if err == nil {
		err = json.Unmarshal(b, &inv)
	}
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: inventory: %v", target, err)}
	}
	files := map[string]string{}
	var out []string
	err = filepath.WalkDir(tree, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == ".fgd-inventory.json" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		sum := sha256.Sum256(b)
		files[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", target, err)}
	}
	for rel, e := range inv.Files {
		switch h, ok := files[rel]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s/%s: in the inventory, missing from the tree", target, rel))
		case h != e.Hash:
			out = append(out, fmt.Sprintf("%s/%s: not the file the inventory lists (sha256 %s, want %s)", target, rel, h[:12], e.Hash[:min(12, len(e.Hash))]))
		}
	}
	for rel := range files {
		if _, ok := inv.Files[rel]; !ok {
			out = append(out, fmt.Sprintf("%s/%s: not in the inventory", target, rel))
		}
	}
	sort.Strings(out)
	return files, out
}

// diskMirrorProblems compares a published tree's files with the managed
// files it must mirror.
func diskMirrorProblems(published map[string]string, managed map[string][]byte) []string {
	var out []string
	for rel, b := range managed {
		sum := sha256.Sum256(b)
		if published[rel] != hex.EncodeToString(sum[:]) {
			out = append(out, "published "+rel+": missing or not the managed file")
		}
	}
	for rel := range published {
		if _, ok := managed[rel]; !ok {
			out = append(out, "published "+rel+": not in managed/")
		}
	}
	sort.Strings(out)
	return out
}

// diskCheckInputs reports inputs that are neither in raw/ byte for byte nor
// handled whole: an ingested one archived byte for byte with its managed
// file there, a rejected one whole in unmanaged/ with a sidecar that
// parses. With done, an input still in raw/ is reported too.
func diskCheckInputs(root string, inputs []diskInput, done bool) []string {
	var out []string
	for _, in := range inputs {
		if b, err := os.ReadFile(filepath.Join(root, fgd.RawDir, in.name)); err == nil {
			if !bytes.Equal(b, in.body) {
				out = append(out, fmt.Sprintf("raw/%s: %d bytes, not the %d dropped", in.name, len(b), len(in.body)))
			} else if done {
				out = append(out, "raw/"+in.name+": not ingested")
			}
			continue
		}
		if in.managed == "" {
			u := filepath.Join(root, fgd.UnmanagedDir, in.name)
			if b, err := os.ReadFile(u); err != nil || !bytes.Equal(b, in.body) {
				out = append(out, fmt.Sprintf("raw/%s: gone, and not whole in unmanaged/ (%v)", in.name, err))
			} else if s, err := os.ReadFile(u + fgd.SidecarSuffix); err != nil || diskWholeReason("unmanaged/"+in.name+fgd.SidecarSuffix, s) != "" {
				out = append(out, fmt.Sprintf("unmanaged/%s: no whole sidecar (%v)", in.name, err))
			}
			continue
		}
		if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(fgd.ArchiveDir), in.name)); err != nil || !bytes.Equal(b, in.body) {
			out = append(out, fmt.Sprintf("raw/%s: gone, and not archived whole (%v)", in.name, err))
		}
		if _, err := os.Stat(filepath.Join(root, fgd.ManagedDir, filepath.FromSlash(in.managed))); err != nil {
			out = append(out, fmt.Sprintf("raw/%s: gone, and its managed/%s is not there", in.name, in.managed))
		}
	}
	return out
}

// The checkers of the disk-full test, fed broken trees: each must report
// the problem. These run always, without FGD_RELIABILITY.

// diskWriteTree writes files (slash-separated path → content; a value
// starting with "-> " makes a symlink) below a new temp dir.
func diskWriteTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, body := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(body, "-> "); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func diskSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// diskExpect fails the test unless problems holds one mentioning want, or,
// for want "", none at all.
func diskExpect(t *testing.T, problems []string, want string) {
	t.Helper()
	if want == "" {
		if len(problems) > 0 {
			t.Errorf("problems in a sound tree: %q", problems)
		}
		return
	}
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("no problem mentions %q: %q", want, problems)
}

// diskSoundTree is what a full disk may leave: whole files only.
func diskSoundTree() map[string]string {
	vpc := fmt.Sprintf(vpcDoc, "a")
	return map[string]string{
		"lab/managed/vpcs/a.yaml":                   vpc,
		"lab/managed/vpcs/.gitkeep":                 "",
		"lab/raw/half-written-by-a-user.yaml":       "apiVersion: v", // users' files are theirs
		"lab/.hnp/manifest.yaml":                    "fabric: lab\nlayout_version: 1\n",
		"lab/.hnp/archive-log.yaml":                 "- path: raw/a.yaml\n  sha256: 00\n",
		"lab/.hnp/archive/a.yaml":                   "anything a user dropped",
		"lab/unmanaged/gw.yaml":                     "kind: Gateway",
		"lab/unmanaged/gw.yaml.metadata":            "original: raw/gw.yaml\noutcome: unmanaged\n",
		"pub/current":                               "-> .trees/local-1",
		"pub/.trees/local-1/vpcs/a.yaml":            vpc,
		"pub/.trees/local-1/.fgd-inventory.json":    fmt.Sprintf(`{"version":1,"files":{"vpcs/a.yaml":{"hash":%q}}}`, diskSum(vpc)),
		"state/audit.log":                           "{\"action\":\"sync\"}\n{\"action\":\"sync\"}\n",
		"state/inventory/lab/directory-0.json":      `[{"key":"VPC/a"}]`,
		"state/git/h/.git/objects/pack/pack-1.pack": "PACK",
	}
}

func TestDiskCheckTree(t *testing.T) {
	vpc := fmt.Sprintf(vpcDoc, "a")
	tests := []struct {
		name string
		add  map[string]string // over the sound tree
		want string            // a problem must mention it; "" means none
	}{
		{"sound", nil, ""},
		{"temp file of a batch", map[string]string{"lab/managed/vpcs/.fgd-tmp-3kq9": vpc[:40]}, "temp file"},
		{"temp file in the state dir", map[string]string{"state/inventory/lab/.fgd-tmp-x": ""}, "temp file"},
		{"temp tree of the sink", map[string]string{"pub/.trees/.tmp-123/vpcs/a.yaml": vpc}, "temp tree"},
		{"temp symlink of the sink", map[string]string{"pub/current.tmp": "-> .trees/local-1"}, "temp symlink"},
		{"temp pack in the clone", map[string]string{"state/git/h/.git/objects/pack/tmp_pack_123": "PA"}, "git clone"},
		{"lock left in the clone", map[string]string{"state/git/h/.git/index.lock": ""}, "lock file"},
		{"truncated YAML mid-line", map[string]string{"lab/managed/vpcs/a.yaml": vpc[:len(vpc)-7]}, "managed/vpcs/a.yaml"},
		{"truncated YAML mid-key", map[string]string{"lab/managed/vpcs/a.yaml": vpc[:50]}, "managed/vpcs/a.yaml"},
		{"truncated YAML before spec", map[string]string{"lab/managed/vpcs/a.yaml": vpc[:strings.Index(vpc, "spec:")]}, "not a whole resource"},
		{"empty managed file", map[string]string{"lab/managed/vpcs/a.yaml": ""}, "managed/vpcs/a.yaml"},
		{"two documents", map[string]string{"lab/managed/vpcs/a.yaml": vpc + "---\n" + vpc}, "more than one document"},
		{"truncated published file", map[string]string{"pub/.trees/local-1/vpcs/a.yaml": vpc[:60]}, ".trees/local-1/vpcs/a.yaml"},
		{"truncated sidecar", map[string]string{"lab/unmanaged/gw.yaml.metadata": "original: raw/gw.yaml\nreasons: [a"}, "not whole YAML"},
		{"truncated archive log", map[string]string{"lab/.hnp/archive-log.yaml": "- path: raw/a.yaml\n  sha256: \"00"}, "not whole YAML"},
		{"truncated inventory", map[string]string{"state/inventory/lab/directory-0.json": `[{"key":"VP`}, "not whole JSON"},
		{"audit line cut short", map[string]string{"state/audit.log": "{\"action\":\"sync\"}\n{\"action\":\"sy"}, "cut short"},
		{"audit line glued to a cut one", map[string]string{"state/audit.log": "{\"action\":\"sy{\"action\":\"sync\"}\n"}, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := diskSoundTree()
			for k, v := range tt.add {
				files[k] = v
			}
			diskExpect(t, diskCheckTree(diskWriteTree(t, files)), tt.want)
		})
	}
}

func TestDiskCheckManaged(t *testing.T) {
	vpc := fmt.Sprintf(vpcDoc, "a")
	want := map[string][]byte{"vpcs/a.yaml": []byte(vpc)}
	lastLine := strings.LastIndex(strings.TrimSuffix(vpc, "\n"), "\n") + 1
	tests := []struct {
		name     string
		files    map[string]string
		complete bool
		problem  string
	}{
		{"as expected", map[string]string{"managed/vpcs/a.yaml": vpc}, true, ""},
		{"not written yet, while full", nil, false, ""},
		{"missing at the end", nil, true, "missing"},
		// Cut at a line boundary the file still parses as a resource: only
		// the comparison with an undisturbed ingestion sees it.
		{"cut at a line boundary", map[string]string{"managed/vpcs/a.yaml": vpc[:lastLine]}, false, "not the"},
		{"another resource", map[string]string{"managed/vpcs/b.yaml": vpc}, false, "not expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diskExpect(t, diskCheckManaged(diskWriteTree(t, tt.files), want, tt.complete), tt.problem)
		})
	}
}

func TestDiskCheckPublished(t *testing.T) {
	a, b := fmt.Sprintf(vpcDoc, "a"), fmt.Sprintf(vpcDoc, "b")
	inv := fmt.Sprintf(`{"version":1,"files":{"vpcs/a.yaml":{"hash":%q},"vpcs/b.yaml":{"hash":%q}}}`, diskSum(a), diskSum(b))
	sound := func() map[string]string {
		return map[string]string{
			"current":                       "-> .trees/t1",
			".trees/t1/.fgd-inventory.json": inv,
			".trees/t1/vpcs/a.yaml":         a,
			".trees/t1/vpcs/b.yaml":         b,
		}
	}
	tests := []struct {
		name    string
		edit    func(map[string]string)
		problem string
	}{
		{"whole", func(map[string]string) {}, ""},
		{"a file cut short", func(m map[string]string) { m[".trees/t1/vpcs/b.yaml"] = b[:30] }, "not the file the inventory lists"},
		{"a file missing", func(m map[string]string) { delete(m, ".trees/t1/vpcs/b.yaml") }, "missing from the tree"},
		{"a file too many", func(m map[string]string) { m[".trees/t1/vpcs/c.yaml"] = a }, "not in the inventory"},
		{"inventory cut short", func(m map[string]string) { m[".trees/t1/.fgd-inventory.json"] = inv[:20] }, "inventory"},
		{"no current", func(m map[string]string) { delete(m, "current") }, "current"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := sound()
			tt.edit(files)
			got, problems := diskCheckPublished(diskWriteTree(t, files))
			diskExpect(t, problems, tt.problem)
			if tt.problem == "" && (len(got) != 2 || got["vpcs/a.yaml"] != diskSum(a)) {
				t.Errorf("files = %v", got)
			}
		})
	}
	// The mirror check: the published files against managed/.
	pub := map[string]string{"vpcs/a.yaml": diskSum(a)}
	diskExpect(t, diskMirrorProblems(pub, map[string][]byte{"vpcs/a.yaml": []byte(a)}), "")
	diskExpect(t, diskMirrorProblems(pub, map[string][]byte{"vpcs/a.yaml": []byte(a), "vpcs/b.yaml": []byte(b)}), "published vpcs/b.yaml")
	diskExpect(t, diskMirrorProblems(pub, map[string][]byte{"vpcs/a.yaml": []byte(b)}), "not the managed file")
	diskExpect(t, diskMirrorProblems(pub, nil), "not in managed/")
}

func TestDiskCheckInputs(t *testing.T) {
	vpc, gw := diskNewVPC("a"), diskNewGateway("gw")
	inputs := []diskInput{vpc, gw}
	sidecar := "original: raw/gw.yaml\noutcome: unmanaged\n"
	tests := []struct {
		name    string
		files   map[string]string
		done    bool
		problem string
	}{
		{"both still in raw/", map[string]string{"raw/a.yaml": string(vpc.body), "raw/gw.yaml": string(gw.body)}, false, ""},
		{"still in raw/ when they must be handled", map[string]string{"raw/a.yaml": string(vpc.body), "raw/gw.yaml": string(gw.body)}, true, "not ingested"},
		{"both handled whole", map[string]string{
			".hnp/archive/a.yaml": string(vpc.body), "managed/vpcs/a.yaml": "x",
			"unmanaged/gw.yaml": string(gw.body), "unmanaged/gw.yaml.metadata": sidecar}, true, ""},
		{"raw/ file changed", map[string]string{"raw/a.yaml": string(vpc.body[:10]), "raw/gw.yaml": string(gw.body)}, false, "not the"},
		{"lost", map[string]string{"raw/gw.yaml": string(gw.body)}, false, "not archived whole"},
		{"archived cut short", map[string]string{
			".hnp/archive/a.yaml": string(vpc.body[:20]), "managed/vpcs/a.yaml": "x", "raw/gw.yaml": string(gw.body)}, false, "not archived whole"},
		{"archived without its managed file", map[string]string{
			".hnp/archive/a.yaml": string(vpc.body), "raw/gw.yaml": string(gw.body)}, false, "managed/vpcs/a.yaml is not there"},
		{"unmanaged without a sidecar", map[string]string{
			"raw/a.yaml": string(vpc.body), "unmanaged/gw.yaml": string(gw.body)}, false, "sidecar"},
		{"unmanaged with a cut sidecar", map[string]string{
			"raw/a.yaml": string(vpc.body), "unmanaged/gw.yaml": string(gw.body), "unmanaged/gw.yaml.metadata": "original: [raw"}, false, "sidecar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diskExpect(t, diskCheckInputs(diskWriteTree(t, tt.files), inputs, tt.done), tt.problem)
		})
	}
}

func TestDiskFailedSyncs(t *testing.T) {
	log := `{"level":"INFO","msg":"sync completed","fabric":"lab"}
{"level":"ERROR","msg":"sync failed","fabric":"dc1","err":"x","remediation":"y"}
not json
{"level":"ERROR","msg":"sync failed","fabric":"lab","err":"write …: no space left on device","remediation":"free space"}
`
	got := diskFailedSyncs(log, "lab")
	if len(got) != 1 || got[0].Remediation != "free space" || !strings.Contains(got[0].Err, "no space") {
		t.Fatalf("diskFailedSyncs = %+v", got)
	}
}
