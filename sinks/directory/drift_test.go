package directory

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/reconciler/contract"
)

func TestDetectOnlyReportsDriftAndChangesNothing(t *testing.T) {
	files := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n", "vpcs/c.yaml": "c\n"}
	cases := []struct {
		name    string
		tamper  func(t *testing.T, live string)
		desired map[string]string
		drift   []string
		created []string
		updated []string
		deleted []string
		// reported is the reconciler's drift for a detect-only sync: the
		// resources it would create, update or delete, and foreign files.
		reported []string
	}{
		{
			name:     "hand-edited file",
			tamper:   func(t *testing.T, live string) { write(t, filepath.Join(live, "vpcs/b.yaml"), "b, edited by hand\n") },
			desired:  files,
			drift:    []string{"vpcs/b.yaml"},
			updated:  []string{"vpcs/b.yaml"},
			reported: []string{"update " + keyOf("vpcs/b.yaml")},
		},
		{
			name:     "missing file",
			tamper:   func(t *testing.T, live string) { remove(t, filepath.Join(live, "vpcs/a.yaml")) },
			desired:  files,
			drift:    []string{"vpcs/a.yaml"},
			created:  []string{"vpcs/a.yaml"},
			reported: []string{"create " + keyOf("vpcs/a.yaml")},
		},
		{
			name:     "added file",
			tamper:   func(t *testing.T, live string) { write(t, filepath.Join(live, "vpcs/x.yaml"), "x\n") },
			desired:  files,
			drift:    []string{"vpcs/x.yaml"},
			deleted:  []string{"vpcs/x.yaml"},
			reported: []string{"vpcs/x.yaml"},
		},
		{
			name:     "no drift, a desired change",
			tamper:   func(*testing.T, string) {},
			desired:  map[string]string{"vpcs/a.yaml": "a2\n", "vpcs/b.yaml": "b\n"},
			updated:  []string{"vpcs/a.yaml"},
			deleted:  []string{"vpcs/c.yaml"},
			reported: []string{"update " + keyOf("vpcs/a.yaml"), "delete " + keyOf("vpcs/c.yaml")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			pub := newPublisher(t, Options{Path: root, Prune: true})
			apply(t, pub, "r1", files)
			live := current(t, root)
			tc.tamper(t, live)
			before := readTree(t, live)
			treesBefore := trees(t, root)

			// A detect-only publisher on the same path, as after a
			// restart with mode: detect-only.
			det := newPublisher(t, Options{Path: root, Prune: true, DetectOnly: true})
			res, err := det.Apply(context.Background(), "r2", set(tc.desired))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{
				{"drift", res.Drift, tc.drift},
				{"created", res.Created, tc.created},
				{"updated", res.Updated, tc.updated},
				{"deleted", res.Deleted, tc.deleted},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if res.Published != live {
				t.Errorf("Published = %s, want the untouched live tree %s", res.Published, live)
			}
			// The reconciler's view of a detect-only sync: drift is the
			// hand edits and what the sink would publish, as an exec sink
			// reports its pending changes.
			if got := reconcilerDrift(t, det, files, tc.desired); !slices.Equal(got, tc.reported) {
				t.Errorf("the sink's drift = %v, want %v", got, tc.reported)
			}
			if now := current(t, root); now != live {
				t.Errorf("detect-only swapped current to %s", now)
			}
			if after := readTree(t, live); !maps.Equal(after, before) {
				t.Errorf("detect-only changed the live tree: %v, was %v", after, before)
			}
			if !slices.Equal(trees(t, root), treesBefore) {
				t.Errorf("detect-only changed the trees: %v, were %v", trees(t, root), treesBefore)
			}

			// Out of detect-only, the same Apply repairs the drift.
			res, err = pub.Apply(context.Background(), "r2", set(tc.desired))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Drift, tc.drift) {
				t.Errorf("apply: drift = %v, want %v", res.Drift, tc.drift)
			}
			if got := readTree(t, current(t, root)); !maps.Equal(got, tc.desired) {
				t.Errorf("after apply the live tree is %v, want %v", got, tc.desired)
			}
			res, err = det.Apply(context.Background(), "r2", set(tc.desired))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Drift) != 0 || res.Changed() {
				t.Errorf("after the repair: %+v, want no drift and nothing to do", res)
			}
		})
	}
}

// reconcilerDrift is the drift a detect-only sync of s reports, when fgd
// last applied applied and desired is the desired set.
func reconcilerDrift(t *testing.T, s *Publisher, applied, desired map[string]string) []string {
	t.Helper()
	req := contract.Request{Revision: "r2", DetectOnly: true}
	for _, m := range set(desired) {
		req.Desired = append(req.Desired, resourceOf(m))
	}
	for _, m := range set(applied) {
		if _, ok := desired[m.Path]; !ok {
			req.Changes.Delete = append(req.Changes.Delete, resourceOf(m))
		}
	}
	out, err := reconciler.SinkAttempt(context.Background(), NewSink(s), req)
	if err != nil {
		t.Fatal(err)
	}
	return out.Drift
}

// TestDriftWithoutPrune: a file added by hand is drift once, then carried
// over and recorded, so it is not drift forever.
func TestDriftWithoutPrune(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root})
	files := map[string]string{"a.yaml": "a"}
	apply(t, p, "r1", files)
	write(t, filepath.Join(current(t, root), "extra.yaml"), "by hand")
	res := apply(t, p, "r1", files)
	if !slices.Equal(res.Drift, []string{"extra.yaml"}) || res.Changed() {
		t.Errorf("first apply after the addition: %+v", res)
	}
	res = apply(t, p, "r1", files)
	if len(res.Drift) != 0 {
		t.Errorf("drift reported again: %v", res.Drift)
	}
	if got := readTree(t, current(t, root)); got["extra.yaml"] != "by hand" {
		t.Errorf("the added file was not carried over: %v", got)
	}
}

func TestRestartReportsTheSameInventory(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"vpcs/a.yaml": "a", "switches/s.yaml": "s"}
	first := newPublisher(t, Options{Path: root})
	res := apply(t, first, "r1", files)
	inv1, err := first.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vpcs/a.yaml": hashBytes([]byte("a")), "switches/s.yaml": hashBytes([]byte("s"))}
	if !maps.Equal(inv1, want) {
		t.Errorf("inventory = %v, want %v", inv1, want)
	}

	second := newPublisher(t, Options{Path: root})
	inv2, err := second.Inventory()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(inv1, inv2) {
		t.Errorf("after a restart the inventory is %v, was %v", inv2, inv1)
	}
	tree, err := second.Published()
	if err != nil {
		t.Fatal(err)
	}
	if tree.Dir != res.Published || tree.Revision != "r1" || tree.Files["vpcs/a.yaml"].Key != "vpc.githedgehog.com/VPC/default/a" {
		t.Errorf("Published() = %+v", tree)
	}
	again := apply(t, second, "r1", files)
	if again.Changed() || again.Published != res.Published {
		t.Errorf("re-applying after a restart changed something: %+v", again)
	}

	empty := newPublisher(t, Options{Path: t.TempDir()})
	if inv, err := empty.Inventory(); err != nil || len(inv) != 0 {
		t.Errorf("a fresh sink's inventory = %v, %v; want empty", inv, err)
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
