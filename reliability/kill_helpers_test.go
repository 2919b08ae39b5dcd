package reliability

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/fsname"
)

// This file holds the kill -9 soak's inputs and its invariant checkers.
// Every checker is a function of data (a tree as path → content, a
// history as a list of commits) returning the problems it found, so the
// checker tests can feed it broken data and see each problem reported.

// killDoc is one YAML document of an input file and where it must end up.
type killDoc struct {
	Dir   string // managed kind folder: "vpcs" or "ipv4namespaces"
	Name  string // metadata.name
	Valid bool   // a fabric resource (→ managed/) or a rejected one (→ unmanaged/)
}

// managedPath is where a valid document's resource must be: its name, as
// a file name, shortened when it is longer than a file name may be.
func (d killDoc) managedPath() string {
	return "managed/" + d.Dir + "/" + fsname.Fit(d.Name+".yaml", fsname.Max)
}

// killInput is one file dropped into an FGD's raw/.
type killInput struct {
	Name  string // file name in raw/
	Body  string
	Docs  []killDoc // none for a comment-only file
	Cycle int       // the cycle that added it; 0 before the first
}

const killVPC = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: %s
spec:
  subnets:
    default:
      subnet: 10.%d.%d.0/24
      vlan: %d
`

const killIPv4Namespace = `apiVersion: vpc.githedgehog.com/v1beta1
kind: IPv4Namespace
metadata:
  name: %s
spec:
  subnets:
  - 10.%d.%d.0/24
`

// killNewInput makes input i of a fabric's cycle: one valid resource, two
// or three, a valid one and a rejected one (partial), a rejected one only
// (to unmanaged/ whole), or comment-only (archived, changes nothing). Its
// identities are new: no resource is ever updated, so the end state does
// not depend on the order inputs are ingested in.
func killNewInput(rng *rand.Rand, fabric string, cycle, i int) killInput {
	base := fmt.Sprintf("%s-c%03d-%d", fabric, cycle, i)
	in := killInput{Name: base + ".yaml", Cycle: cycle}
	var docs []string
	valid := func(j int) {
		name := fmt.Sprintf("%s-%d", base, j)
		if i == 0 && j == 0 && cycle%4 == 0 {
			// As long as a Kubernetes name may be: its file name must be
			// shortened.
			name += "-" + strings.Repeat("l", 253-len(name)-1)
		}
		if rng.IntN(3) == 0 {
			docs = append(docs, fmt.Sprintf(killIPv4Namespace, name, 100+cycle%100, i*4+j))
			in.Docs = append(in.Docs, killDoc{Dir: "ipv4namespaces", Name: name, Valid: true})
			return
		}
		docs = append(docs, fmt.Sprintf(killVPC, name, cycle%100, i*4+j, 1000+(cycle*16+i*4+j)%3000))
		in.Docs = append(in.Docs, killDoc{Dir: "vpcs", Name: name, Valid: true})
	}
	invalid := func(j int) {
		name := fmt.Sprintf("%s-%d", base, j)
		doc := fmt.Sprintf(killVPC, name, cycle%100, i*4+j, 1000)
		if rng.IntN(2) == 0 {
			name = "Bad_" + name // not a Kubernetes name
			doc = fmt.Sprintf(killVPC, name, cycle%100, i*4+j, 1000)
		} else {
			doc += "  bogus: true\n" // a field the schema does not have
		}
		docs = append(docs, doc)
		in.Docs = append(in.Docs, killDoc{Dir: "vpcs", Name: name})
	}
	switch shape := rng.IntN(10); {
	case shape < 4:
		valid(0)
	case shape < 7:
		for j := range 2 + rng.IntN(2) {
			valid(j)
		}
	case shape == 7:
		valid(0)
		invalid(1)
	case shape == 8:
		invalid(0)
	default:
		docs = append(docs, fmt.Sprintf("# %s: nothing to ingest\n", base), "# still nothing\n")
	}
	in.Body = strings.Join(docs, "---\n")
	return in
}

// killFiles is a tree: slash-separated path below its root → content.
type killFiles map[string]string

// killReadTree reads the regular files below root (following root itself
// when it is a symlink, as a published `current` is); the FGD's lock file
// is left out: it holds a PID.
func killReadTree(root string) (killFiles, error) {
	if target, err := os.Readlink(root); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(root), target)
		}
		root = target
	}
	files := killFiles{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == ".hnp/lock" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = string(b)
		return nil
	})
	return files, err
}

// killIsTemp reports whether name is a temporary file of fgd or of the
// libraries it writes with: the atomic writes' .fgd-tmp-*, the directory
// sink's .trees/.tmp-* and current.tmp, go-git's tmp_obj_*, tmp_pack_*
// and ._packed-refs*.
func killIsTemp(name string) bool {
	for _, p := range []string{fgd.TempPrefix, ".tmp-", "tmp_obj_", "tmp_pack_", "._packed-refs"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == "current.tmp"
}

// killFindTemps lists, relative to root, the temporary files and folders
// below root.
func killFindTemps(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && killLooseObjects(p) {
			return filepath.SkipDir // git's loose objects: no temp file goes there
		}
		if p != root && killIsTemp(d.Name()) {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	return out, err
}

// killLooseObjects reports whether dir is a folder of git's loose objects
// (objects/<2 hex digits>).
func killLooseObjects(dir string) bool {
	name := filepath.Base(dir)
	if len(name) != 2 || filepath.Base(filepath.Dir(dir)) != "objects" {
		return false
	}
	_, err := strconv.ParseUint(name, 16, 8)
	return err == nil
}

// The layouts killCheckWhole knows.
const (
	killLayoutFGD       = "fgd"       // an FGD: managed/, unmanaged/, .hnp/
	killLayoutPublished = "published" // a directory sink's tree: <kinddir>/<name>.yaml
	killLayoutState     = "state"     // the state dir's inventory/<fabric>/<sink>.json
)

// killCheckWhole reports the files of a tree that are not whole: a
// resource file that does not parse as a full resource (apiVersion, kind,
// metadata.name, spec), an empty file where fgd writes content, a sidecar,
// archive log, manifest or inventory that does not parse. ok holds the
// files already found whole (path → content), skipped when unchanged, and
// is updated; nil checks everything.
func killCheckWhole(files killFiles, layout string, ok map[string]string) []string {
	var out []string
	for _, rel := range killSorted(files) {
		body := files[rel]
		if ok != nil && ok[rel] == body {
			continue
		}
		if err := killWholeFile(rel, body, layout); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", rel, err))
			continue
		}
		if ok != nil {
			ok[rel] = body
		}
	}
	return out
}

func killWholeFile(rel, body, layout string) error {
	base := path.Base(rel)
	switch {
	case base == ".gitkeep" || strings.HasPrefix(rel, "raw/") || killIsTemp(base):
		return nil // empty by design; raw/ is the users'; temp files are half written by nature
	case layout == killLayoutState:
		if strings.HasPrefix(rel, "inventory/") && !json.Valid([]byte(body)) {
			return fmt.Errorf("not valid JSON (%d bytes): a torn inventory", len(body))
		}
		return nil
	case layout == killLayoutPublished && rel == ".fgd-inventory.json":
		if !json.Valid([]byte(body)) {
			return fmt.Errorf("not valid JSON (%d bytes)", len(body))
		}
		return nil
	case layout == killLayoutPublished && strings.HasSuffix(rel, ".yaml"),
		layout == killLayoutFGD && strings.HasPrefix(rel, "managed/") && strings.HasSuffix(rel, ".yaml"):
		return killWholeResource(body)
	case layout == killLayoutFGD && strings.HasPrefix(rel, "unmanaged/"):
		if body == "" {
			return fmt.Errorf("empty")
		}
		if strings.HasSuffix(rel, ".metadata") {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(body), &m); err != nil || m["original"] == nil || m["reasons"] == nil {
				return fmt.Errorf("a sidecar without original and reasons (%v)", err)
			}
		}
	case layout == killLayoutFGD && strings.HasPrefix(rel, ".hnp/archive/"):
		if body == "" {
			return fmt.Errorf("an empty archived original")
		}
	case layout == killLayoutFGD && (rel == ".hnp/archive-log.yaml" || strings.HasPrefix(rel, ".hnp/archive-log/")):
		var recs []map[string]any
		if err := yaml.Unmarshal([]byte(body), &recs); err != nil {
			return fmt.Errorf("archive log does not parse: %v", err)
		}
		for i, r := range recs {
			if r["path"] == nil || r["sha256"] == nil || r["outcome"] == nil {
				return fmt.Errorf("archive log record %d is incomplete: %v", i, r)
			}
		}
	case layout == killLayoutFGD && rel == ".hnp/manifest.yaml":
		var m map[string]any
		if err := yaml.Unmarshal([]byte(body), &m); err != nil || len(m) == 0 {
			return fmt.Errorf("manifest does not parse (%v)", err)
		}
	}
	return nil
}

// killWholeResource fails unless body is one full fabric resource.
func killWholeResource(body string) error {
	var m struct {
		APIVersion string         `yaml:"apiVersion"`
		Kind       string         `yaml:"kind"`
		Metadata   map[string]any `yaml:"metadata"`
		Spec       map[string]any `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(body), &m); err != nil {
		return fmt.Errorf("does not parse (%d bytes): %v", len(body), err)
	}
	if m.APIVersion == "" || m.Kind == "" || m.Metadata["name"] == nil || m.Spec == nil {
		return fmt.Errorf("not a full resource (%d bytes): apiVersion/kind/metadata.name/spec missing", len(body))
	}
	return nil
}

// killCheckDocs reports the inputs an FGD lost. Each input file must be
// still in raw/ as it was dropped, or else its original must be kept (in
// .hnp/archive/ or, whole, in unmanaged/), each of its valid documents must
// have its managed file, and each rejected document must be in unmanaged/.
func killCheckDocs(inputs []killInput, files killFiles) []string {
	stored := map[string]bool{}
	var unmanaged strings.Builder
	for rel, body := range files {
		switch {
		case strings.HasPrefix(rel, ".hnp/archive/"):
			stored[body] = true
		case strings.HasPrefix(rel, "unmanaged/") && !strings.HasSuffix(rel, ".metadata"):
			stored[body] = true
			unmanaged.WriteString(body + "\n")
		}
	}
	var out []string
	for _, in := range inputs {
		raw, inRaw := files["raw/"+in.Name]
		if inRaw && raw == in.Body {
			continue
		}
		if inRaw {
			out = append(out, fmt.Sprintf("raw/%s (cycle %d) changed: it is not what was dropped", in.Name, in.Cycle))
		}
		if !stored[in.Body] {
			out = append(out, fmt.Sprintf("raw/%s (cycle %d) is gone from raw/ but its original is neither in .hnp/archive/ nor in unmanaged/", in.Name, in.Cycle))
		}
		for _, d := range in.Docs {
			switch {
			case d.Valid:
				if _, ok := files[d.managedPath()]; !ok {
					out = append(out, fmt.Sprintf("document %s of raw/%s (cycle %d) is lost: no %s", d.Name, in.Name, in.Cycle, d.managedPath()))
				}
			case !strings.Contains(unmanaged.String(), "  name: "+d.Name+"\n"):
				out = append(out, fmt.Sprintf("rejected document %s of raw/%s (cycle %d) is lost: in no file of unmanaged/", d.Name, in.Name, in.Cycle))
			}
		}
	}
	return out
}

// killCommit is one commit of a remote branch.
type killCommit struct {
	Hash, Tree, Author string
	Parents            []string
	Changes            []killChange // against the first parent
}

// killChange is one file a commit added, modified or deleted.
type killChange struct {
	Status, Path, Blob string // Blob: the new content (zeros when deleted)
}

// killCheckHistory reports what a remote branch's history must not hold:
// a merge (fgd never merges: the history stays linear), a commit whose
// tree is its parent's (an empty, no-op commit), two commits of fgd
// (author) that write the same managed file with the same content below
// fgdPath (work done twice), more than maxOwn commits of fgd, and any of
// the test's own commits (inputs) missing (a force push). It returns the
// problems and the number of fgd's commits.
func killCheckHistory(commits []killCommit, author, fgdPath string, maxOwn int, inputs []string) ([]string, int) {
	var out []string
	trees := map[string]string{}
	for _, c := range commits {
		trees[c.Hash] = c.Tree
	}
	written := map[string]string{} // path + blob → commit
	own := 0
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		if len(c.Parents) > 1 {
			out = append(out, fmt.Sprintf("commit %s (%s) is a merge of %v: the history must be linear", c.Hash, c.Author, c.Parents))
		}
		if len(c.Parents) > 0 && trees[c.Parents[0]] == c.Tree {
			out = append(out, fmt.Sprintf("commit %s (%s) is empty: its tree is its parent's", c.Hash, c.Author))
		}
		if c.Author != author {
			continue
		}
		own++
		for _, ch := range c.Changes {
			if ch.Status == "D" || !strings.HasPrefix(ch.Path, fgdPath+"/managed/") {
				continue
			}
			k := ch.Path + "@" + ch.Blob
			if first, dup := written[k]; dup {
				out = append(out, fmt.Sprintf("commits %s and %s of fgd both write %s with the same content: work done twice", first, c.Hash, ch.Path))
			}
			written[k] = c.Hash
		}
	}
	if own > maxOwn {
		out = append(out, fmt.Sprintf("%d commits of fgd for at most %d (the pushes of inputs + 1): a commit storm", own, maxOwn))
	}
	for _, h := range inputs {
		if _, ok := trees[h]; !ok {
			out = append(out, fmt.Sprintf("the input commit %s is gone from the branch: something forced a push", h))
		}
	}
	return out, own
}

var killWhenLine = regexp.MustCompile(`(?m)^when: .*\n`)

// killNormalize drops from a tree what legitimately differs between two
// runs fed the same inputs: the time in sidecars, the time and order of
// the archive log's records (each run ingests in its own batches), the
// published tree's inventory (it names the revision and counts the trees
// published).
func killNormalize(files killFiles) killFiles {
	out := killFiles{}
	for rel, body := range files {
		switch {
		case rel == ".fgd-inventory.json":
			continue
		case strings.HasSuffix(rel, ".metadata"):
			body = killWhenLine.ReplaceAllString(body, "")
		case rel == ".hnp/archive-log.yaml", strings.HasPrefix(rel, ".hnp/archive-log/"):
			// Where the records were rolled into segments depends on the
			// order too: the log is compared whole, as one set.
			continue
		}
		out[rel] = body
	}
	var recs []string
	for rel, body := range files {
		if rel != ".hnp/archive-log.yaml" && !strings.HasPrefix(rel, ".hnp/archive-log/") {
			continue
		}
		var part []map[string]any
		if err := yaml.Unmarshal([]byte(body), &part); err != nil {
			recs = append(recs, rel+": "+err.Error())
			continue
		}
		for _, r := range part {
			delete(r, "when")
			b, _ := json.Marshal(r)
			recs = append(recs, string(b))
		}
	}
	if len(recs) > 0 {
		sort.Strings(recs)
		out[".hnp/archive-log.yaml"] = strings.Join(recs, "\n")
	}
	return out
}

// killDiff lists the paths where got differs from want: missing,
// unexpected, or with other content.
func killDiff(want, got killFiles) []string {
	var out []string
	for _, rel := range killSorted(want) {
		g, ok := got[rel]
		switch {
		case !ok:
			out = append(out, "missing    "+rel)
		case g != want[rel]:
			out = append(out, "differs    "+rel)
		}
	}
	for _, rel := range killSorted(got) {
		if _, ok := want[rel]; !ok {
			out = append(out, "unexpected "+rel)
		}
	}
	return out
}

func killSorted(files killFiles) []string {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// killFirst keeps the first n problems of a list and says how many more.
func killFirst(list []string, n int) string {
	if len(list) > n {
		list = append(list[:n:n], fmt.Sprintf("… and %d more", len(list)-n))
	}
	return strings.Join(list, "\n")
}
