package directory

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/reconciler/contract"
)

// request is the reconciler's request to publish ms at rev.
func request(rev string, ms []Manifest) contract.Request {
	req := contract.Request{Revision: rev}
	for _, m := range ms {
		req.Desired = append(req.Desired, resourceOf(m))
	}
	return req
}

// observe runs the sink's Observe of req and returns it with the number
// of files it read in full.
func observe(t *testing.T, s *Sink, req contract.Request) (contract.ActualSet, int64) {
	t.Helper()
	before := s.p.cache.reads.Load()
	set, err := s.Observe(context.Background(), req.Desired)
	if err != nil {
		t.Fatal(err)
	}
	return set, s.p.cache.reads.Load() - before
}

// TestObserveReadsOnlyWhatChanged: after a full pass, observing the tree a
// one-file change published reads that file and the inventory, however
// many files the tree holds, and still sees every file as it is.
func TestObserveReadsOnlyWhatChanged(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	clock := time.Now()
	p.cache.now = func() time.Time { return clock }
	s := NewSink(p)
	ms := fabric(200)
	req := request("r0", ms)
	if _, err := s.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	age(t, current(t, root), time.Hour)
	if _, n := observe(t, s, req); n != int64(len(ms))+1 {
		t.Fatalf("the first observe read %d files, want all %d and the inventory", n, len(ms))
	}
	for i := range 4 { // past Keep, so old trees sharing the inodes are removed
		// A minute between syncs: the file the last one wrote is no
		// longer racy.
		clock = clock.Add(time.Minute)
		ms[i].Body = append(ms[i].Body, "# changed\n"...)
		req = request("r"+string(rune('1'+i)), ms)
		if _, err := s.Apply(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		set, n := observe(t, s, req)
		if n != 2 {
			t.Errorf("observing a one-file change read %d files, want the changed one and the inventory", n)
		}
		if len(set.Foreign) != 0 || len(set.Objects) != len(ms) {
			t.Fatalf("observed %d objects and foreign %v, want %d and none", len(set.Objects), set.Foreign, len(ms))
		}
		for _, r := range req.Desired {
			if set.Objects[r.Key].Hash != r.Hash {
				t.Fatalf("observed %s with hash %s, want %s", r.Key, set.Objects[r.Key].Hash, r.Hash)
			}
		}
	}
}

// TestFullPassFindsWhatStampsCannotSee: on a file system whose change time
// does not move, a hand edit of the same size that puts the modification
// time back leaves the stamp as it was; the periodic full pass reads every
// file and finds it. Where the change time moves, the stamp finds it at
// once.
func TestFullPassFindsWhatStampsCannotSee(t *testing.T) {
	for _, frozen := range []bool{true, false} {
		name := map[bool]string{true: "change time frozen", false: "change time moves"}[frozen]
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			p := newPublisher(t, Options{Path: root, Prune: true})
			clock := time.Now()
			p.cache.now = func() time.Time { return clock }
			if frozen {
				p.cache.stampOf = func(fi fs.FileInfo) fgd.Stamp {
					s := fgd.StampOf(fi)
					s.CTime = 0
					return s
				}
			}
			s := NewSink(p)
			files := map[string]string{"vpcs/a.yaml": "a\n", "vpcs/b.yaml": "b\n"}
			req := request("r1", set(files))
			if _, err := s.Apply(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			live := current(t, root)
			age(t, live, time.Hour)
			observe(t, s, req) // the first full pass

			path := filepath.Join(live, "vpcs/b.yaml")
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			write(t, path, "X\n")
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			key := keyOf("vpcs/b.yaml")
			clock = clock.Add(FullPassInterval / 2)
			got, _ := observe(t, s, req)
			if edited := got.Objects[key].Hash != hashBytes([]byte("b\n")); edited == frozen {
				t.Fatalf("before the full pass: edit seen %v, want %v", edited, !frozen)
			}
			clock = clock.Add(FullPassInterval / 2)
			got, n := observe(t, s, req)
			if n != int64(len(files))+1 {
				t.Errorf("the full pass read %d files, want every one and the inventory", n)
			}
			if got.Objects[key].Hash != hashBytes([]byte("X\n")) {
				t.Errorf("the full pass saw %s as %s, want the hand edit", key, got.Objects[key].Hash)
			}
		})
	}
}

// TestRacyFilesAreReadAgain: a file modified within RacyWindow of the stat
// that read it could change again within the same clock tick without its
// stamp moving, so it is read on every observe until it is older.
func TestRacyFilesAreReadAgain(t *testing.T) {
	root := t.TempDir()
	p := newPublisher(t, Options{Path: root, Prune: true})
	s := NewSink(p)
	req := request("r1", fabric(20))
	if _, err := s.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	observe(t, s, req) // the first full pass
	if _, n := observe(t, s, req); n != 21 {
		t.Errorf("observing files just written read %d files, want all 20 again and the inventory", n)
	}
	age(t, current(t, root), time.Hour)
	observe(t, s, req) // the stamps moved: every file is read once more
	if _, n := observe(t, s, req); n != 1 {
		t.Errorf("observing an unchanged tree read %d files, want only the inventory", n)
	}
}
