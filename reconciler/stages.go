package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
)

// ingestFGD ingests the FGD at s.root (states discovering and processing).
func ingestFGD(ctx context.Context, s *syncCtx) error {
	r, f, run, root := s.r, s.f, s.run, s.root
	// One sync alone may use every core; when several run, each works on
	// one goroutine and all of them together on at most cores-1 at a time.
	// Ingestion is mostly slow file-system calls, and a goroutine inside one
	// holds its processor: without the gate a storm of first syncs starves
	// the API and webhooks of processors (p99 above 100 ms at 1,000 fabrics
	// on 2 cores, under 50 ms with it).
	workers, gate := 0, func() func() { return func() {} }
	if len(r.sem) > 1 {
		workers, gate = 1, r.workGate
	}
	rep, err := ingest.Run(ctx, root, r.opts.Registry, ingest.Options{
		Fabric:      f.spec.Name,
		Workers:     workers,
		Gate:        gate,
		LockTimeout: r.opts.LockTimeout,
		// The ingest line names the fabric itself.
		Logger:       r.log,
		Now:          r.opts.Now,
		Settle:       f.spec.Settle,
		ManagedCache: f.managed,
		Progress: func(stage string) {
			// A refused move is kept by the run (moveErr) and fails the
			// sync: the callback cannot return it.
			switch stage {
			case ingest.StageDiscovering:
				_ = run.transition(state.SyncDiscovering)
			case ingest.StageProcessing:
				_ = run.transition(state.SyncProcessing)
			}
		},
	})
	if rep != nil {
		run.setSummary(summarize(rep))
		r.countFiles(f.spec.Name, rep)
		f.followDeferred(rep.Deferred)
	}
	if err != nil {
		return localFailure(f, unsafeFile(fmt.Errorf("ingest %s: %w", root, err)))
	}
	s.rep = rep
	// Unchanged counts the whole desired set the sync left as it was, not
	// only the resources of the files it read: a sync with nothing to
	// ingest leaves every managed resource unchanged.
	total := r.countResources(f.spec.Name, root)
	sum := summarize(rep)
	sum.Unchanged = max(sum.Unchanged, total-sum.Created-sum.Updated)
	run.setSummary(sum)
	return nil
}

// loadDesired brings the store's desired set and unmanaged list up to the
// FGD. The desired set is re-read when ingestion changed managed/, for a
// git fabric whenever the revision moved (a commit may edit or delete
// managed files without touching raw/), and when an operator asked for the
// sync: managed files edited by hand in a dir fabric are then seen.
func loadDesired(_ context.Context, s *syncCtx) error {
	r, f, run, root, rep := s.r, s.f, s.run, s.root, s.rep
	rev := run.status().Revision
	row := f.row()
	if rep.Changed || !row.DesiredLoaded || row.DesiredRevision != rev || f.fullPassDue(run.byOperator()) {
		// A first read has no set to compare with.
		changes, err := r.storeDesired(f, rev, root, row.DesiredLoaded)
		if err != nil {
			return unsafeFile(err)
		}
		run.setChanges(changes)
		r.updateFabric(f.spec.Name, func(rec *state.Fabric) { rec.DesiredLoaded, rec.DesiredRevision = true, rev })
	}
	if rep.Changed || !row.UnmanagedLoaded || row.UnmanagedRevision != rev || run.byOperator() {
		if err := r.storeUnmanaged(f.spec.Name, root); err != nil {
			// The list is a view for the status page: a sync does not fail
			// for it, and the next one tries again.
			f.log.Warn("could not list the unmanaged files", "err", err)
		} else {
			r.updateFabric(f.spec.Name, func(rec *state.Fabric) { rec.UnmanagedLoaded, rec.UnmanagedRevision = true, rev })
		}
	}
	return nil
}

// checkRoot fails early, with a fix, when the FGD cannot be used at all.
// These need a human, so they stall the fabric instead of being retried.
func checkRoot(root string) error {
	const access = "give the fgd user read and write access to the directory"
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return resilience.Stalled(fmt.Errorf("FGD %s does not exist", root),
			"create the directory or fix the fabric's source path in the config")
	case errors.Is(err, fs.ErrPermission):
		return resilience.Stalled(fmt.Errorf("FGD %s: %w", root, err), access)
	case err != nil:
		return fmt.Errorf("FGD %s: %w", root, err)
	case !fi.IsDir():
		return resilience.Stalled(fmt.Errorf("FGD %s is not a directory", root),
			"point the fabric's source path at the FGD directory")
	}
	// Root runs through permission bits; an unreadable FGD still shows up
	// when listing it.
	if _, err := os.ReadDir(root); err != nil {
		return resilience.Stalled(fmt.Errorf("FGD %s is not readable: %w", root, err), access)
	}
	return nil
}

func summarize(rep *ingest.Report) Summary {
	return Summary{
		Files:     len(rep.Files),
		Created:   rep.Created,
		Updated:   rep.Updated,
		Unchanged: rep.Unchanged,
		Unmanaged: rep.Unmanaged,
		Retired:   retiredPaths(rep),
		Conflicts: len(rep.Conflicts),
		Repairs:   len(rep.Repairs),
		Errors:    len(rep.Errors),
		Changed:   rep.Changed,
	}
}

func (r *Reconciler) countFiles(fabric string, rep *ingest.Report) {
	for _, f := range rep.Files {
		r.opts.Metrics.files.WithLabelValues(fabric, f.Outcome).Inc()
	}
}

// countResources counts the managed tree (fgd.CountManaged), sets
// fgd_resources from it and returns the total.
func (r *Reconciler) countResources(fabric, root string) (total int) {
	for kind, n := range fgd.CountManaged(root) {
		total += n
		r.opts.Metrics.resources.WithLabelValues(fabric, kind).Set(float64(n))
	}
	return total
}

// retiredPaths lists the entries of unmanaged/ a run archived, or nil.
func retiredPaths(rep *ingest.Report) []string {
	var out []string
	for _, r := range rep.Retired {
		out = append(out, r.Path)
	}
	return out
}
