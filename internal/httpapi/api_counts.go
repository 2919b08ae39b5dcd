package httpapi

import (
	"encoding/json"
	"reflect"
	"sync"

	"github.com/fgdproject/fgd/internal/state"
)

// kindCounts caches each fabric's count of desired resources per kind. An
// entry holds the store's watch channels of the fabric's desired set and
// stays valid until one of them fires, so GET /api/v1/fabrics walks only
// the desired sets that changed since the last request instead of every
// resource of every fabric (50,000 with 1,000 fabrics).
type kindCounts struct {
	mu       sync.Mutex
	byFabric map[string]countsEntry
}

// countsEntry is one fabric's cached counts. counts is never changed once
// cached: answers share it.
type countsEntry struct {
	counts map[string]int
	watch  []<-chan struct{}
	// view is the fabric's encoded FabricView for viewIndex, the fabric
	// record's ModifyIndex: the list endpoint re-encodes only the fabrics
	// that changed since the last request (encoding 1,000 views per request
	// was most of its cost).
	view      json.RawMessage
	viewIndex uint64
}

// viewOf returns f's FabricView, encoded, from the cache when neither the
// fabric record nor its counts changed.
func (a *api) viewOf(ws watchSet, f *state.Fabric) (json.RawMessage, error) {
	counts, err := a.countsOf(ws, f.Name)
	if err != nil {
		return nil, err
	}
	a.counts.mu.Lock()
	e, ok := a.counts.byFabric[f.Name]
	a.counts.mu.Unlock()
	if ok && e.view != nil && e.viewIndex == f.ModifyIndex && sameMap(e.counts, counts) {
		return e.view, nil
	}
	b, err := json.Marshal(fabricView(f, counts))
	if err != nil {
		return nil, err
	}
	a.counts.mu.Lock()
	if e, ok := a.counts.byFabric[f.Name]; ok && sameMap(e.counts, counts) {
		e.view, e.viewIndex = b, f.ModifyIndex
		a.counts.byFabric[f.Name] = e
	}
	a.counts.mu.Unlock()
	return b, nil
}

// sameMap reports whether a and b are the same map (not equal contents):
// a refreshed counts entry is a new map.
func sameMap(a, b map[string]int) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// countsOf returns fabric's desired resources per kind; ws (when not nil)
// then watches the fabric's desired set. The map must not be changed.
func (a *api) countsOf(ws watchSet, fabric string) (map[string]int, error) {
	a.counts.mu.Lock()
	e, ok := a.counts.byFabric[fabric]
	a.counts.mu.Unlock()
	if !ok || anyClosed(e.watch) {
		own := newWatchSet()
		counts, err := a.store.DesiredByKind(own, fabric)
		if err != nil {
			return nil, err
		}
		e = countsEntry{counts: counts, watch: make([]<-chan struct{}, 0, len(own))}
		for ch := range own {
			e.watch = append(e.watch, ch)
		}
		a.counts.mu.Lock()
		if a.counts.byFabric == nil {
			a.counts.byFabric = make(map[string]countsEntry)
		}
		a.counts.byFabric[fabric] = e
		a.counts.mu.Unlock()
	}
	if ws != nil {
		for _, ch := range e.watch {
			ws.Add(ch)
		}
	}
	return e.counts, nil
}

// pruneCounts drops the entries of fabrics not in keep (removed from the
// store), once the cache holds more entries than there are fabrics.
func (a *api) pruneCounts(keep map[string]bool) {
	a.counts.mu.Lock()
	defer a.counts.mu.Unlock()
	if len(a.counts.byFabric) <= len(keep) {
		return
	}
	for name := range a.counts.byFabric {
		if !keep[name] {
			delete(a.counts.byFabric, name)
		}
	}
}

// anyClosed reports whether any of chs is closed, without blocking.
func anyClosed(chs []<-chan struct{}) bool {
	for _, ch := range chs {
		if closed(ch) {
			return true
		}
	}
	return false
}
