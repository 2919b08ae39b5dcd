package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The checkers of the soak must be able to fail: each is fed a tree or a
// history broken in one way and must report it, and the sound one must
// pass. These run always (no FGD_RELIABILITY needed).

const killCheckVPC = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: a-0\nspec:\n  subnets: {}\n"

func TestKillCheckTemps(t *testing.T) {
	sound := killFiles{
		"d1/managed/vpcs/a.yaml":                 killCheckVPC,
		"pub/d1/.trees/local-abc/vpcs/a.yaml":    killCheckVPC,
		"state/inventory/d1/directory-0.json":    "[]",
		"state/git/0123/.git/objects/pack/p.idx": "x",
	}
	cases := []struct{ name, temp, want string }{
		{"sound", "", ""},
		{"atomic write in managed/", "d1/managed/vpcs/.fgd-tmp-3kq", "d1/managed/vpcs/.fgd-tmp-3kq"},
		{"directory sink temp tree", "pub/d1/.trees/.tmp-991/vpcs/a.yaml", "pub/d1/.trees/.tmp-991"},
		{"directory sink current.tmp", "pub/d1/current.tmp", "pub/d1/current.tmp"},
		{"inventory save", "state/inventory/d1/.fgd-tmp-x1", "state/inventory/d1/.fgd-tmp-x1"},
		{"go-git loose object", "state/git/0123/.git/objects/pack/tmp_obj_77", "state/git/0123/.git/objects/pack/tmp_obj_77"},
		{"go-git pack", "state/git/0123/.git/objects/pack/tmp_pack_78", "state/git/0123/.git/objects/pack/tmp_pack_78"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			files := killFiles{}
			for p, b := range sound {
				files[p] = b
			}
			if c.temp != "" {
				files[c.temp] = "half"
			}
			killWriteTree(t, root, files)
			got, err := killFindTemps(root)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{c.want}; c.want == "" && len(got) != 0 || c.want != "" && !reflect.DeepEqual(got, want) {
				t.Errorf("killFindTemps = %q, want %q", got, c.want)
			}
		})
	}
}

// A temp file a kill left must be gone once a sync of its fabric completed
// in a later cycle; until then it may stay.
func TestKillCheckTempsSurvivingRestart(t *testing.T) {
	dir := t.TempDir()
	f := &killFabric{name: "d1", root: filepath.Join(dir, "d1"), pub: filepath.Join(dir, "pub", "d1")}
	w := &killWorld{dir: dir, state: filepath.Join(dir, "state"), fabrics: []*killFabric{f}, temps: map[string]int{}}
	temp := "d1/managed/vpcs/.fgd-tmp-1"
	killWriteTree(t, dir, killFiles{temp: "half", "pub/d1/.trees/x/a.yaml": killCheckVPC})
	steps := []struct {
		completed map[string]int
		remove    bool
		problems  int
	}{
		{map[string]int{"d1": 1}, false, 0}, // the kill of cycle 1 left it
		{map[string]int{}, false, 0},        // cycle 2 was killed before any sync of d1 completed
		{map[string]int{"d1": 2}, false, 1}, // cycle 3 completed syncs of d1: it should be gone
		{map[string]int{"d1": 1}, true, 0},  // cycle 4: gone
	}
	for i, s := range steps {
		if s.remove {
			if err := os.Remove(filepath.Join(dir, temp)); err != nil {
				t.Fatal(err)
			}
		}
		problems, _, err := w.checkTemps(i+1, s.completed)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != s.problems {
			t.Errorf("cycle %d: problems %q, want %d", i+1, problems, s.problems)
		}
	}
	if len(w.temps) != 0 {
		t.Errorf("temps still tracked after removal: %v", w.temps)
	}
}

func TestKillCheckWhole(t *testing.T) {
	sidecar := "original: raw/b.yaml\nstored_as: unmanaged/b.yaml\nreasons:\n  - document: 0\n"
	log := "- path: raw/a.yaml\n  sha256: ab12\n  outcome: ingested\n  when: \"2026-01-01T00:00:00Z\"\n"
	sound := map[string]killFiles{
		killLayoutFGD: {"managed/vpcs/a-0.yaml": killCheckVPC, "managed/vpcs/.gitkeep": "", "unmanaged/b.yaml": "kind: x\n",
			"unmanaged/b.yaml.metadata": sidecar, ".hnp/archive-log.yaml": log, ".hnp/manifest.yaml": "fabric: d1\n",
			".hnp/archive/a.yaml": killCheckVPC, "raw/partial.yaml": "", "managed/vpcs/.fgd-tmp-9": "api"},
		killLayoutPublished: {"vpcs/a-0.yaml": killCheckVPC, ".fgd-inventory.json": `{"version": 1}`},
		killLayoutState:     {"inventory/d1/exec-1.json": `[{"key": "k"}]`},
	}
	cases := []struct{ name, layout, path, body string }{
		{"sound FGD", killLayoutFGD, "", ""},
		{"sound published tree", killLayoutPublished, "", ""},
		{"sound state dir", killLayoutState, "", ""},
		{"truncated managed file", killLayoutFGD, "managed/vpcs/a-0.yaml", killCheckVPC[:len(killCheckVPC)/2]},
		{"managed file cut inside a value", killLayoutFGD, "managed/vpcs/a-0.yaml", killCheckVPC[:30]},
		{"empty managed file", killLayoutFGD, "managed/vpcs/a-0.yaml", ""},
		{"empty unmanaged file", killLayoutFGD, "unmanaged/b.yaml", ""},
		{"truncated sidecar", killLayoutFGD, "unmanaged/b.yaml.metadata", sidecar[:25]},
		{"truncated archive log", killLayoutFGD, ".hnp/archive-log.yaml", log[:30]},
		{"empty archived original", killLayoutFGD, ".hnp/archive/a.yaml", ""},
		{"empty manifest", killLayoutFGD, ".hnp/manifest.yaml", ""},
		{"truncated published file", killLayoutPublished, "vpcs/a-0.yaml", killCheckVPC[:40]},
		{"truncated tree inventory", killLayoutPublished, ".fgd-inventory.json", `{"vers`},
		{"truncated sink inventory", killLayoutState, "inventory/d1/exec-1.json", `[{"key": "k"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := killFiles{}
			for p, b := range sound[c.layout] {
				files[p] = b
			}
			// A cache of files found whole before: a file that changed
			// since must be checked again.
			ok := map[string]string{}
			if got := killCheckWhole(files, c.layout, ok); len(got) != 0 {
				t.Fatalf("the sound tree was reported: %q", got)
			}
			if c.path == "" {
				return
			}
			files[c.path] = c.body
			got := killCheckWhole(files, c.layout, ok)
			if len(got) != 1 || !strings.HasPrefix(got[0], c.path+":") {
				t.Errorf("killCheckWhole = %q, want one problem with %s", got, c.path)
			}
		})
	}
}

func TestKillCheckDocs(t *testing.T) {
	bad := strings.Replace(killCheckVPC, "a-0", "Bad_a-1", 1)
	mixed := killInput{Name: "a.yaml", Body: killCheckVPC + "---\n" + bad,
		Docs: []killDoc{{Dir: "vpcs", Name: "a-0", Valid: true}, {Dir: "vpcs", Name: "Bad_a-1"}}}
	empty := killInput{Name: "c.yaml", Body: "# nothing\n"}
	rejected := killInput{Name: "r.yaml", Body: strings.Replace(bad, "Bad_a-1", "Bad_r-0", 1), Docs: []killDoc{{Dir: "vpcs", Name: "Bad_r-0"}}}
	inputs := []killInput{mixed, empty, rejected}
	handled := killFiles{
		".hnp/archive/a.yaml": mixed.Body, ".hnp/archive/c.yaml": empty.Body,
		"managed/vpcs/a-0.yaml": "...\n  name: a-0\n", "unmanaged/a.yaml": bad, "unmanaged/a.yaml.metadata": "original: raw/a.yaml\n",
		"unmanaged/r.yaml": rejected.Body, "unmanaged/r.yaml.metadata": "original: raw/r.yaml\n",
	}
	pending := killFiles{"raw/a.yaml": mixed.Body, "raw/c.yaml": empty.Body, "raw/r.yaml": rejected.Body}
	cases := []struct {
		name   string
		base   killFiles
		change func(killFiles)
		want   string // a word of the one problem; "" for none
	}{
		{"all handled", handled, func(killFiles) {}, ""},
		{"all still in raw/", pending, func(killFiles) {}, ""},
		{"original of an ingested file lost", handled, func(f killFiles) { delete(f, ".hnp/archive/a.yaml") }, "original"},
		{"original of a comment-only file lost", handled, func(f killFiles) { delete(f, ".hnp/archive/c.yaml") }, "original"},
		{"rejected file lost", handled, func(f killFiles) { delete(f, "unmanaged/r.yaml") }, "r.yaml"},
		{"valid document lost", handled, func(f killFiles) { delete(f, "managed/vpcs/a-0.yaml") }, "no managed/vpcs/a-0.yaml"},
		{"rejected document lost", handled, func(f killFiles) { f["unmanaged/a.yaml"] = "kind: other\n" }, "Bad_a-1"},
		{"raw file torn", pending, func(f killFiles) { f["raw/c.yaml"] = "# noth" }, "changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := killFiles{}
			for p, b := range c.base {
				files[p] = b
			}
			c.change(files)
			got := killCheckDocs(inputs, files)
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("killCheckDocs = %q, want nothing", got)
			case c.want != "" && (len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), c.want)):
				t.Errorf("killCheckDocs = %q, want a problem about %q", got, c.want)
			}
		})
	}
}

func TestKillCheckHistory(t *testing.T) {
	const path = "fabrics/g1/managed/vpcs/x.yaml"
	good := []killCommit{ // newest first, as git log gives them
		{Hash: "c2", Tree: "t2", Author: killAuthor, Parents: []string{"c1"}, Changes: []killChange{{"A", path, "b1"}, {"D", "fabrics/g1/raw/x.yaml", "0"}}},
		{Hash: "c1", Tree: "t1", Author: gittest.AuthorName, Parents: []string{"c0"}, Changes: []killChange{{"A", "fabrics/g1/raw/x.yaml", "b0"}}},
		{Hash: "c0", Tree: "t0", Author: gittest.AuthorName},
	}
	cases := []struct {
		name    string
		commits []killCommit
		maxOwn  int
		inputs  []string
		want    string
	}{
		{"linear, one commit per input", good, 2, []string{"c1"}, ""},
		{"empty commit", append([]killCommit{{Hash: "c3", Tree: "t2", Author: killAuthor, Parents: []string{"c2"}}}, good...), 2, nil, "empty"},
		{"merge", append([]killCommit{{Hash: "c3", Tree: "t3", Author: gittest.AuthorName, Parents: []string{"c2", "c1"}}}, good...), 2, nil, "merge"},
		{"work done twice", append([]killCommit{
			{Hash: "c4", Tree: "t4", Author: killAuthor, Parents: []string{"c3"}, Changes: []killChange{{"A", path, "b1"}}},
			{Hash: "c3", Tree: "t3", Author: gittest.AuthorName, Parents: []string{"c2"}, Changes: []killChange{{"D", path, "0"}}},
		}, good...), 3, nil, "twice"},
		{"commit storm", good, 0, nil, "storm"},
		{"input commit gone", good, 2, []string{"c1", "c9"}, "forced"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := killCheckHistory(c.commits, killAuthor, "fabrics/g1", c.maxOwn, c.inputs)
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("killCheckHistory = %q, want nothing", got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("killCheckHistory = %q, want one problem about %q", got, c.want)
			}
		})
	}
}

// The history checker on a real repository, read by killGitLog and
// killRemoteFiles: an empty commit and a file written twice with the same
// content are reported.
func TestKillCheckHistoryGit(t *testing.T) {
	gittest.RequireGit(t)
	root := t.TempDir()
	r := gittest.NewRemote(t, root, "g.git", killBranch, map[string]string{"fabrics/g1/raw/.gitkeep": ""})
	const managed = "fabrics/g1/managed/vpcs/x.yaml"
	first := r.Change(t, "write x", map[string]string{managed: killCheckVPC}, nil)
	r.Change(t, "remove x", nil, []string{managed})
	if _, err := killPush(r, map[string]string{managed: killCheckVPC}, "write x again"); err != nil {
		t.Fatal(err)
	}
	empty := r.Change(t, "nothing", nil, nil)
	commits, err := killGitLog(r.Dir(), "refs/heads/"+killBranch)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 5 || commits[0].Hash != empty || commits[3].Hash != first {
		t.Fatalf("killGitLog read %d commits: %+v", len(commits), commits)
	}
	got, own := killCheckHistory(commits, gittest.AuthorName, "fabrics/g1", 10, []string{first})
	if own != 5 || len(got) != 2 || !strings.Contains(got[0], "twice") || !strings.Contains(got[1], "empty") {
		t.Errorf("killCheckHistory = %q (%d own commits), want work done twice, then the empty commit", got, own)
	}
	files, err := killRemoteFiles(r.Dir(), empty, "fabrics/g1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (killFiles{"raw/.gitkeep": "", "managed/vpcs/x.yaml": killCheckVPC}); !reflect.DeepEqual(files, want) {
		t.Errorf("killRemoteFiles = %q, want %q", files, want)
	}
	// With a cache of blobs read before, the same answer.
	cache := map[string]string{}
	for _, rev := range []string{first, empty, empty} {
		cached, err := killRemoteFiles(r.Dir(), rev, "fabrics/g1", cache)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := killRemoteFiles(r.Dir(), rev, "fabrics/g1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cached, fresh) {
			t.Errorf("at %s: cached read %q, fresh read %q", rev, cached, fresh)
		}
	}
}

func TestKillDiff(t *testing.T) {
	tree := func(when, order string) killFiles {
		recs := []string{"- path: raw/a.yaml\n  sha256: aa\n  outcome: ingested\n  when: " + when + "\n",
			"- path: raw/b.yaml\n  sha256: bb\n  outcome: empty\n  when: " + when + "\n"}
		if order == "reversed" {
			recs[0], recs[1] = recs[1], recs[0]
		}
		return killFiles{
			"managed/vpcs/a.yaml":       killCheckVPC,
			"unmanaged/b.yaml.metadata": "original: raw/b.yaml\nwhen: \"" + when + "\"\n",
			".hnp/archive-log.yaml":     strings.Join(recs, ""),
			".fgd-inventory.json":       `{"revision": "` + when + `"}`,
		}
	}
	want := killNormalize(tree("2026-01-01T00:00:00Z", ""))
	if d := killDiff(want, killNormalize(tree("2026-02-02T00:00:00Z", "reversed"))); len(d) != 0 {
		t.Errorf("two runs that differ only in times and batch order differ: %q", d)
	}
	// The same records, one of them rolled into a segment.
	rolled := tree("2026-01-01T00:00:00Z", "")
	recent := rolled[".hnp/archive-log.yaml"]
	cut := strings.Index(recent, "- path: raw/b.yaml")
	rolled[".hnp/archive-log/000001.yaml"], rolled[".hnp/archive-log.yaml"] = recent[:cut], recent[cut:]
	if d := killDiff(want, killNormalize(rolled)); len(d) != 0 {
		t.Errorf("a log rolled into a segment differs from the same records in one file: %q", d)
	}
	lost := tree("2026-01-01T00:00:00Z", "")
	lost[".hnp/archive-log.yaml"] = recent[cut:]
	if d := killDiff(want, killNormalize(lost)); len(d) != 1 {
		t.Errorf("a lost archive log record went unseen: %q", d)
	}
	got := tree("2026-01-01T00:00:00Z", "")
	got["managed/vpcs/a.yaml"] = strings.Replace(killCheckVPC, "subnets: {}", "subnets: {x: {}}", 1)
	got["managed/vpcs/extra.yaml"] = killCheckVPC
	delete(got, "unmanaged/b.yaml.metadata")
	d := killDiff(want, killNormalize(got))
	wantDiff := []string{"differs    managed/vpcs/a.yaml", "missing    unmanaged/b.yaml.metadata", "unexpected managed/vpcs/extra.yaml"}
	if !reflect.DeepEqual(d, wantDiff) {
		t.Errorf("killDiff = %q, want %q", d, wantDiff)
	}
}

// killWriteTree writes files (slash-separated path → content) below root.
func killWriteTree(t *testing.T, root string, files killFiles) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The soak's statistics and its temp check read the daemon's log: the
// readers must see what the log says.
func TestKillLogReaders(t *testing.T) {
	const (
		committed = `{"level":"INFO","msg":"committed","remote":"file:///r/g1.git","path":"fabrics/g1"}`
		pushed    = `{"level":"INFO","msg":"pushed","remote":"file:///r/g1.git","revision":"ab"}`
		done      = `{"level":"INFO","msg":"sync completed","fabric":"g1","state":"completed"}`
		idle      = `{"level":"DEBUG","msg":"sync completed, nothing to do","fabric":"d1","state":"completed"}`
		failed    = `{"level":"ERROR","msg":"sync failed","fabric":"d2","state":"failed"}`
	)
	cases := []struct {
		log       []string
		unpushed  bool
		completed map[string]int
	}{
		{nil, false, map[string]int{}},
		{[]string{committed}, true, map[string]int{}},
		{[]string{committed, pushed, done, idle, failed}, false, map[string]int{"g1": 1, "d1": 1}},
		{[]string{committed, pushed, done, committed}, true, map[string]int{"g1": 1}},
	}
	for i, c := range cases {
		log := strings.Join(c.log, "\n")
		if got := killUnpushed(log); got != c.unpushed {
			t.Errorf("case %d: killUnpushed = %v, want %v", i, got, c.unpushed)
		}
		if got := killCompleted(log); !reflect.DeepEqual(got, c.completed) {
			t.Errorf("case %d: killCompleted = %v, want %v", i, got, c.completed)
		}
	}
}

// The soak reads a remote's history incrementally; what it reads must be
// the whole history, also when the branch is reset back (a forced push).
func TestKillHistoryIncremental(t *testing.T) {
	gittest.RequireGit(t)
	r := gittest.NewRemote(t, t.TempDir(), "g.git", killBranch, map[string]string{"fabrics/g1/raw/.gitkeep": ""})
	f := &killFabric{name: "g1", remote: r}
	var heads []string
	for i := range 4 {
		if i == 3 { // a forced push back to the second commit, then a new one
			gittest.Git(t, r.Dir(), "update-ref", "refs/heads/"+killBranch, heads[1])
		}
		heads = append(heads, r.Change(t, fmt.Sprint("change ", i), map[string]string{fmt.Sprintf("fabrics/g1/raw/%d.yaml", i): "x"}, nil))
		for range 2 { // a second read sees no new commit
			got, err := f.history()
			if err != nil {
				t.Fatal(err)
			}
			want, err := killGitLog(r.Dir(), "refs/heads/"+killBranch)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after change %d: history() read %d commits, the full log has %d", i, len(got), len(want))
			}
		}
	}
}
