package state

import (
	"context"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// res builds a desired resource of kind with body, its key derived like
// resource.Identity.Key.
func res(kind, name, body string) Resource {
	return Resource{
		Key:       "vpc.githedgehog.com/" + kind + "/default/" + name,
		Kind:      kind,
		Name:      name,
		Namespace: "default",
		Path:      "managed/" + kind + "/" + name + ".yaml",
		Body:      []byte(body),
	}
}

// item is the inventory item a sink would hold after applying r.
func item(r Resource) InventoryItem {
	return InventoryItem{Key: r.Key, Hash: HashBytes(r.Body), Body: r.Body, AppliedAt: time.Unix(1700000000, 0)}
}

// fired reports whether ws fires within a generous bound; callers ask
// only after a write that must fire it.
func fired(ws memdb.WatchSet) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return ws.WatchCtx(ctx) == nil
}

// firedYet reports, without waiting, whether any channel of ws is closed.
func firedYet(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

func keys[T interface{ key() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.key()
	}
	return out
}

func (r *Resource) key() string      { return r.Key }
func (i *InventoryItem) key() string { return i.Key }
