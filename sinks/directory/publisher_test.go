package directory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// step is one Apply of a scenario and what it must report and leave.
type step struct {
	files   map[string]string
	created []string
	updated []string
	deleted []string
	unch    []string
	newTree bool              // a new tree must be published
	tree    map[string]string // the live tree afterwards
	wantErr string
}

func TestApply(t *testing.T) {
	a1, b1, c1 := "kind: VPC\nname: a\n", "kind: VPC\nname: b\n", "kind: VPC\nname: c\n"
	b2 := "kind: VPC\nname: b\nspec: changed\n"
	ab := map[string]string{"vpcs/a.yaml": a1, "vpcs/b.yaml": b1}
	cases := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{
			name: "first publish then idempotent",
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				{files: ab, unch: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, tree: ab},
				{files: ab, unch: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, tree: ab},
			},
		},
		{
			name: "create and update",
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				{
					files:   map[string]string{"vpcs/a.yaml": a1, "vpcs/b.yaml": b2, "switches/c.yaml": c1},
					created: []string{"switches/c.yaml"}, updated: []string{"vpcs/b.yaml"}, unch: []string{"vpcs/a.yaml"},
					newTree: true, tree: map[string]string{"vpcs/a.yaml": a1, "vpcs/b.yaml": b2, "switches/c.yaml": c1},
				},
			},
		},
		{
			name: "no prune carries undesired files over",
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				// Only a dropped from desired: nothing to change at all.
				{files: map[string]string{"vpcs/b.yaml": b1}, unch: []string{"vpcs/b.yaml"}, tree: ab},
				// A change elsewhere: the new tree still holds a.
				{
					files: map[string]string{"vpcs/b.yaml": b2}, updated: []string{"vpcs/b.yaml"},
					newTree: true, tree: map[string]string{"vpcs/a.yaml": a1, "vpcs/b.yaml": b2},
				},
				// An empty desired set without prune deletes nothing.
				{files: nil, tree: map[string]string{"vpcs/a.yaml": a1, "vpcs/b.yaml": b2}},
			},
		},
		{
			name: "prune drops undesired files",
			opts: Options{Prune: true},
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				{files: map[string]string{"vpcs/b.yaml": b1}, deleted: []string{"vpcs/a.yaml"}, unch: []string{"vpcs/b.yaml"}, newTree: true, tree: map[string]string{"vpcs/b.yaml": b1}},
			},
		},
		{
			name: "prune refuses an empty desired set",
			opts: Options{Prune: true},
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				{files: nil, wantErr: "refusing to prune every resource: the desired set is empty (set allow_empty: true if this is intended)", tree: ab},
				{files: map[string]string{}, wantErr: "refusing to prune every resource", tree: ab},
			},
		},
		{
			name: "prune with allow_empty empties the tree",
			opts: Options{Prune: true, AllowEmpty: true},
			steps: []step{
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
				{files: nil, deleted: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: map[string]string{}},
				{files: nil, tree: map[string]string{}},
			},
		},
		{
			name: "an empty first publish is no refusal",
			opts: Options{Prune: true},
			steps: []step{
				{files: nil, newTree: true, tree: map[string]string{}},
				{files: ab, created: []string{"vpcs/a.yaml", "vpcs/b.yaml"}, newTree: true, tree: ab},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.opts.Path = root
			p := newPublisher(t, tc.opts)
			before := ""
			for i, st := range tc.steps {
				res, err := p.Apply(context.Background(), fmt.Sprintf("rev%d", i), set(st.files))
				if st.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), st.wantErr) {
						t.Fatalf("step %d: err = %v, want %q", i, err, st.wantErr)
					}
					if !errors.Is(err, ErrEmptyDesiredSet) {
						t.Errorf("step %d: error is not ErrEmptyDesiredSet", i)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				check := func(what string, got, want []string) {
					t.Helper()
					if !slices.Equal(got, want) {
						t.Errorf("step %d: %s = %v, want %v", i, what, got, want)
					}
				}
				if st.wantErr == "" {
					check("created", res.Created, st.created)
					check("updated", res.Updated, st.updated)
					check("deleted", res.Deleted, st.deleted)
					check("unchanged", res.Unchanged, st.unch)
					check("drift", res.Drift, nil)
					if res.Changed() != (len(st.created)+len(st.updated)+len(st.deleted) > 0) {
						t.Errorf("step %d: Changed() = %v", i, res.Changed())
					}
				}
				live := current(t, root)
				if st.wantErr == "" && res.Published != live {
					t.Errorf("step %d: Published = %s, current is %s", i, res.Published, live)
				}
				if (live != before) != st.newTree {
					t.Errorf("step %d: new tree published = %v, want %v", i, live != before, st.newTree)
				}
				before = live
				if got := readTree(t, live); !equalMaps(got, st.tree) {
					t.Errorf("step %d: live tree = %v, want %v", i, got, st.tree)
				}
				if _, err := os.Stat(filepath.Join(live, inventoryFile)); err != nil {
					t.Errorf("step %d: the live tree has no inventory: %v", i, err)
				}
			}
		})
	}
}

func TestApplyRejectsBadManifests(t *testing.T) {
	cases := []struct {
		name string
		ms   []Manifest
		want string
	}{
		{"parent", []Manifest{{Path: "../x.yaml"}}, "must be relative, clean and stay inside the tree"},
		{"absolute", []Manifest{{Path: "/etc/passwd"}}, "must be relative"},
		{"unclean", []Manifest{{Path: "vpcs//a.yaml"}}, "must be relative"},
		{"empty", []Manifest{{Path: ""}}, "path is empty"},
		{"inventory", []Manifest{{Path: inventoryFile}}, "fgd's inventory file"},
		{"duplicate", []Manifest{{Path: "a.yaml"}, {Path: "a.yaml"}}, "is given twice"},
		{"file and folder", []Manifest{{Path: "vpcs"}, {Path: "vpcs/a.yaml"}}, "is a file and also the folder of"},
		{"wrong hash", []Manifest{{Path: "a.yaml", Body: []byte("x"), Hash: "00"}}, "is not the sha256 of its body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			p := newPublisher(t, Options{Path: root})
			_, err := p.Apply(context.Background(), "r1", tc.ms)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Lstat(filepath.Join(root, currentLink)); err == nil {
				t.Error("a refused set was published")
			}
		})
	}
}

func TestApplyHashGivenOrComputed(t *testing.T) {
	p := newPublisher(t, Options{Path: t.TempDir()})
	body := []byte("kind: VPC\n")
	ms := []Manifest{{Path: "a.yaml", Body: body, Hash: hashBytes(body)}, {Path: "b.yaml", Body: body}}
	if _, err := p.Apply(context.Background(), "r1", ms); err != nil {
		t.Fatal(err)
	}
	inv, err := p.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	if inv["a.yaml"] != hashBytes(body) || inv["b.yaml"] != hashBytes(body) {
		t.Errorf("inventory = %v", inv)
	}
}

func TestNewRefusesADirectoryAsCurrent(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, currentLink), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{Path: root})
	if err == nil || !strings.Contains(err.Error(), "is not a symlink") {
		t.Fatalf("err = %v, want a refusal naming the non-symlink", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("an empty path was accepted")
	}
}

func TestApplyCleansUpAfterACrash(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root})
	apply(t, p, "r1", map[string]string{"a.yaml": "a"})
	// What a crash in the middle of a publish leaves: a temp tree and a
	// temp symlink.
	tmp := filepath.Join(root, treesDir, tempPrefix+"123")
	if err := os.MkdirAll(filepath.Join(tmp, "vpcs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(root, currentTmp)); err != nil {
		t.Fatal(err)
	}
	apply(t, p, "r2", map[string]string{"a.yaml": "a2"})
	if _, err := os.Lstat(tmp); err == nil {
		t.Error("the leftover temp tree is still there")
	}
	if _, err := os.Lstat(filepath.Join(root, currentTmp)); err == nil {
		t.Error("the leftover current.tmp is still there")
	}
	if got := readTree(t, current(t, root)); got["a.yaml"] != "a2" {
		t.Errorf("live tree = %v", got)
	}
}

func TestDanglingCurrentIsRepublished(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Keep: -1})
	files := map[string]string{"a.yaml": "a"}
	apply(t, p, "r1", files)
	if err := os.RemoveAll(current(t, root)); err != nil {
		t.Fatal(err)
	}
	res := apply(t, p, "r1", files)
	if !slices.Equal(res.Created, []string{"a.yaml"}) {
		t.Errorf("created = %v, want a.yaml", res.Created)
	}
	if got := readTree(t, current(t, root)); !equalMaps(got, files) {
		t.Errorf("live tree = %v", got)
	}
}

func TestTreeNames(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root})
	res := apply(t, p, "feature/x y", map[string]string{"a.yaml": "a"})
	name := filepath.Base(res.Published)
	if !strings.HasPrefix(name, "feature_x_y-") || len(name) != len("feature_x_y-")+12 {
		t.Errorf("tree name %q, want feature_x_y-<12 hex>", name)
	}
	if filepath.Dir(res.Published) != filepath.Join(root, treesDir) {
		t.Errorf("tree %s is not in %s", res.Published, filepath.Join(root, treesDir))
	}
	target, err := os.Readlink(filepath.Join(root, currentLink))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.IsAbs(target) {
		t.Errorf("current points to %s: want a relative target, so the folder can move", target)
	}
}
