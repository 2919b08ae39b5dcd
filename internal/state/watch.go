package state

import memdb "github.com/hashicorp/go-memdb"

// WatchSet collects what a read depends on: pass it to the read methods,
// then block on WatchCtx until one of those things changes. It is go-memdb's
// watch set, named here so that no other package imports go-memdb.
type WatchSet = memdb.WatchSet

// NewWatchSet returns an empty watch set.
func NewWatchSet() WatchSet { return memdb.NewWatchSet() }
