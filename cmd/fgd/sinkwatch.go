package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/fgdproject/fgd/reconciler"
)

// sinkWatcher is a sink that watches its target and asks for a sync when someone else changes it
// (the kubernetes sink).
type sinkWatcher interface {
	Watch(ctx context.Context, trigger func(reconciler.Trigger)) error
}

// withSinkWatches runs the fabric's watching sinks alongside its source, so their triggers reach
// the fabric like the source's.
func withSinkWatches(spec *reconciler.FabricSpec, log *slog.Logger) {
	var ws []sinkWatcher
	for _, s := range spec.Sinks {
		if w, ok := s.Sink.(sinkWatcher); ok {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return
	}
	inner := spec.NewSource
	spec.NewSource = func(trigger func(reconciler.Trigger), report func(error)) (reconciler.Source, error) {
		ws := &watchedSource{watches: ws, trigger: trigger, log: log}
		if inner != nil {
			src, err := inner(trigger, report)
			if err != nil {
				return nil, err
			}
			ws.src = src
		}
		return ws, nil
	}
}

// watchedSource runs a fabric's source and its sinks' watches until ctx is done.
type watchedSource struct {
	src     reconciler.Source
	watches []sinkWatcher
	trigger func(reconciler.Trigger)
	log     *slog.Logger
}

func (w *watchedSource) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range w.watches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Watch(ctx, w.trigger); err != nil && ctx.Err() == nil {
				w.log.Error("sink watch stopped", "err", err)
			}
		}()
	}
	defer wg.Wait()
	if w.src == nil {
		<-ctx.Done()
		return nil
	}
	return w.src.Run(ctx)
}
