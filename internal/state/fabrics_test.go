package state

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUpsertFabric(t *testing.T) {
	cases := []struct {
		name    string
		writes  []Fabric
		want    []Fabric // in name order, ModifyIndex ignored
		wantErr string
	}{
		{
			name:   "insert",
			writes: []Fabric{{Name: "dc1", State: FabricIdle}},
			want:   []Fabric{{Name: "dc1", State: FabricIdle}},
		},
		{
			name:   "replace keeps one row",
			writes: []Fabric{{Name: "dc1", State: FabricIdle}, {Name: "dc1", State: FabricFailed, LastError: "boom", Remediation: "fix it"}},
			want:   []Fabric{{Name: "dc1", State: FabricFailed, LastError: "boom", Remediation: "fix it"}},
		},
		{
			name:   "circuits kept",
			writes: []Fabric{{Name: "dc1", Circuits: map[string]string{"git:a": "open", "sink:dc1/exec-0": "closed"}}},
			want:   []Fabric{{Name: "dc1", Circuits: map[string]string{"git:a": "open", "sink:dc1/exec-0": "closed"}}},
		},
		{
			name: "unmanaged files kept",
			writes: []Fabric{{Name: "dc1", UnmanagedCount: 1,
				Unmanaged: []UnmanagedFile{{Path: "unmanaged/a.yaml", Reasons: []string{"file: not YAML"}}}}},
			want: []Fabric{{Name: "dc1", UnmanagedCount: 1,
				Unmanaged: []UnmanagedFile{{Path: "unmanaged/a.yaml", Reasons: []string{"file: not YAML"}}}}},
		},
		{
			name:   "name order",
			writes: []Fabric{{Name: "lab"}, {Name: "dc10"}, {Name: "dc1"}},
			want:   []Fabric{{Name: "dc1"}, {Name: "dc10"}, {Name: "lab"}},
		},
		{
			name:    "empty name",
			writes:  []Fabric{{State: FabricIdle}},
			wantErr: "fabric name must not be empty",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			var err error
			last := uint64(0)
			for _, f := range tc.writes {
				if err = s.UpsertFabric(f); err != nil {
					break
				}
				got, _ := s.Fabric(nil, f.Name)
				if got.ModifyIndex <= last {
					t.Errorf("ModifyIndex %d after %d: want it to grow", got.ModifyIndex, last)
				}
				last = got.ModifyIndex
				if idx := s.Index(TableFabrics); idx != last {
					t.Errorf("Index(fabrics) = %d, want the fabric's ModifyIndex %d", idx, last)
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			all, err := s.Fabrics(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(tc.want) {
				t.Fatalf("got %d fabrics, want %d", len(all), len(tc.want))
			}
			for i, f := range all {
				f.ModifyIndex = 0
				if !reflect.DeepEqual(*f, tc.want[i]) {
					t.Errorf("fabric %d = %+v, want %+v", i, *f, tc.want[i])
				}
			}
		})
	}
}

func TestFabricMissing(t *testing.T) {
	s := newStore(t)
	f, err := s.Fabric(nil, "nope")
	if err != nil || f != nil {
		t.Fatalf("Fabric(nope) = %v, %v; want nil, nil", f, err)
	}
	if got := s.Index(TableFabrics); got != 0 {
		t.Errorf("Index of an untouched table = %d, want 0", got)
	}
}

func TestFabricReadsAreCopies(t *testing.T) {
	s := newStore(t)
	written := Fabric{Name: "dc1", State: FabricIdle, Circuits: map[string]string{"git:a": "closed"},
		Unmanaged: []UnmanagedFile{{Path: "unmanaged/a.yaml", Reasons: []string{"r"}}}}
	if err := s.UpsertFabric(written); err != nil {
		t.Fatal(err)
	}
	written.Circuits["git:a"] = "scribbled"
	written.Unmanaged[0].Reasons[0] = "scribbled"
	f, _ := s.Fabric(nil, "dc1")
	f.State = "scribbled"
	f.Circuits["git:a"] = "scribbled"
	all, _ := s.Fabrics(nil)
	all[0].Revision = "scribbled"
	all[0].Circuits["git:b"] = "scribbled"
	all[0].Unmanaged[0].Path = "scribbled"
	f.Unmanaged[0].Reasons[0] = "scribbled"
	again, _ := s.Fabric(nil, "dc1")
	if again.State != FabricIdle || again.Revision != "" || !reflect.DeepEqual(again.Circuits, map[string]string{"git:a": "closed"}) ||
		!reflect.DeepEqual(again.Unmanaged, []UnmanagedFile{{Path: "unmanaged/a.yaml", Reasons: []string{"r"}}}) {
		t.Errorf("changing a written or returned fabric changed the store: %+v", again)
	}
}

func TestDeleteFabric(t *testing.T) {
	s := newStore(t)
	for _, name := range []string{"dc1", "dc2"} {
		if err := s.UpsertFabric(Fabric{Name: name}); err != nil {
			t.Fatal(err)
		}
		r := res("VPC", "vpc-1", "a")
		if err := s.ReplaceDesired(name, "r1", []Resource{r}); err != nil {
			t.Fatal(err)
		}
		if err := s.ReplaceInventory(name, "exec", []InventoryItem{item(r)}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpsertSync(Sync{ID: name + "-s1", Fabric: name, Started: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddEvent(Event{Fabric: name, Type: EventFabricCreated}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Index(TableResources)
	if err := s.DeleteFabric("dc1"); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Fabric(nil, "dc1"); f != nil {
		t.Errorf("dc1 still there: %+v", f)
	}
	if rs, _ := s.Desired(nil, "dc1"); len(rs) != 0 {
		t.Errorf("dc1 still has %d desired resources", len(rs))
	}
	if inv, _ := s.Inventory(nil, "dc1", "exec"); len(inv) != 0 {
		t.Errorf("dc1 still has %d inventory items", len(inv))
	}
	if sy, _ := s.Syncs(nil, "dc1", 0); len(sy) != 0 {
		t.Errorf("dc1 still has %d syncs", len(sy))
	}
	if s.Index(TableResources) <= before {
		t.Errorf("Index(resources) did not grow with the deletion")
	}
	// The other fabric and the event ring are untouched.
	if f, _ := s.Fabric(nil, "dc2"); f == nil {
		t.Error("dc2 was deleted too")
	}
	if rs, _ := s.Desired(nil, "dc2"); len(rs) != 1 {
		t.Errorf("dc2 has %d desired resources, want 1", len(rs))
	}
	if sy, _ := s.Syncs(nil, "dc2", 0); len(sy) != 1 {
		t.Errorf("dc2 has %d syncs, want 1", len(sy))
	}
	if ev, _ := s.Events(nil, 0, 0); len(ev) != 2 {
		t.Errorf("%d events left, want 2 (events outlive their fabric)", len(ev))
	}

	idx := s.Index(TableFabrics)
	if err := s.DeleteFabric("dc1"); err != nil {
		t.Errorf("deleting a deleted fabric: %v", err)
	}
	if s.Index(TableFabrics) != idx {
		t.Error("deleting nothing moved the index")
	}
}
