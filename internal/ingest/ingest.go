// Package ingest is the ingestion engine (SPEC §2): it moves what users drop
// into an FGD's raw/ (and stray YAML elsewhere in it) into managed/, one
// normalized file per resource, or into unmanaged/ with the reasons, and
// keeps every original in .hnp/archive/. The daemon calls Run on every sync;
// `fgd ingest` and `fgd plan` call it once.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fgdproject/fgd/internal/buildinfo"
	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// Run ingests the FGD at root and reports what it did; with opts.DryRun it
// reports what it would do and writes nothing at all (no repair, no lock
// file, no temp file). An error means the run stopped (lock timeout, an
// unreadable FGD, a failed write); per-file problems are in the Report.
// With an error the Report may be nil, or hold what was done until then.
//
// Before raw/ is looked at, managed/ is validated like raw/ (see
// checkManaged): its files that fail go to unmanaged/ as a first batch.
//
// Crash safety. Files are taken in batches, in ascending path order; each
// batch is planned whole, then written in this order:
//
//  1. every managed file;
//  2. every unmanaged file and its sidecar;
//  3. every archive copy;
//  4. the archive log (one atomic rewrite);
//  5. the removal of the originals, in ascending path order.
//
// Every write is a temp file made durable and renamed into place, and every
// step is idempotent: contents are deterministic, names are chosen by
// content (identical content is found and stored once), sidecars are only
// written when missing, and log records are unique by (path, sha256). An
// original disappears only after all its outputs and its record are
// durable, so a SIGKILL at any instant leaves every original either still
// in place or fully handled. Because step 5 goes in ascending order, the
// originals left are always a suffix of the batch in path order, so on the
// re-run "the later file wins" picks the same winners, and the re-run
// reaches the tree an uninterrupted run would have reached.
func Run(ctx context.Context, root string, reg *resource.Registry, opts Options) (*Report, error) {
	if reg == nil {
		return nil, errors.New("ingest: no resource registry")
	}
	o := opts.withDefaults()
	root, err := checkFGD(root)
	if err != nil {
		return nil, err
	}
	if o.Fabric == "" {
		o.Fabric = DefaultFabric(root)
	}
	start := time.Now()
	rep := &Report{Fabric: o.Fabric, DryRun: o.DryRun, Files: []FileResult{}, Resources: []ResourceResult{},
		Retired: []Retired{}, Conflicts: []Conflict{}, Errors: []ErrorItem{}, Repairs: []fgd.Repair{}, Skipped: []Skipped{}, Deferred: []Skipped{}}
	lock, err := lockFGD(ctx, root, o, rep)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := prepare(root, o, rep); err != nil {
		return nil, err
	}
	log, moved, err := readArchiveLog(root, o.DryRun)
	if err != nil {
		return rep, err
	}
	if moved != nil {
		rep.Repairs = append(rep.Repairs, *moved)
		rep.Changed = rep.Changed || !o.DryRun
	}
	o.Progress(StageDiscovering)
	p := newPlanner(root, o.Fabric, o.Now(), log, rep)
	p.workers = o.Workers
	p.beforeRemove = o.beforeRemove
	p.cache = o.ManagedCache
	p.stamps = map[string]fgd.Stamp{}
	if err := p.untrustManaged(ctx, reg, o); err != nil {
		return rep, err
	}
	cands, err := p.discoverRaw(ctx, o)
	if err != nil {
		return rep, err
	}
	o.Progress(StageProcessing)
	if err := p.ingestBatches(ctx, reg, cands, o); err != nil {
		return rep, err
	}
	p.resources()
	logRun(ctx, o, rep, root, start)
	return rep, nil
}

// checkFGD returns root as an absolute path, or why it is not an FGD's
// folder.
func checkFGD(root string) (string, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("fgd: %w", err)
	}
	if fi, err := os.Stat(root); err != nil {
		return "", fmt.Errorf("fgd: %w (check the FGD path)", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("fgd: %s is not a folder; point fgd at the FGD's folder", root)
	}
	return root, nil
}

// lockFGD takes the FGD's lock: shared for a dry run, else exclusive.
func lockFGD(ctx context.Context, root string, o Options, rep *Report) (*fgd.Lock, error) {
	var lock *fgd.Lock
	var err error
	if o.DryRun {
		lock, err = fgd.AcquireShared(ctx, root, o.LockTimeout)
	} else {
		lock, err = fgd.Acquire(ctx, root, o.LockTimeout)
	}
	if err != nil {
		return nil, err
	}
	if lock != nil {
		rep.LockWaitedMS, rep.LockWaitedFor = lock.Waited.Milliseconds(), lock.WaitedFor
		if lock.Waited > 0 {
			o.Logger.Info("waited for another fgd's lock", "fgd", root, "pid", lock.WaitedFor, "waited", lock.Waited)
		}
	}
	return lock, nil
}

// prepare validates and repairs the FGD's structure (a dry run only
// reports what it would repair).
func prepare(root string, o Options, rep *Report) error {
	m := fgd.Manifest{Fabric: o.Fabric, LayoutVersion: fgd.LayoutVersion, FGDVersion: buildinfo.Version}
	if o.DryRun {
		var err error
		rep.Repairs, err = fgd.Inspect(root, m)
		if err != nil {
			return err
		}
	} else {
		cleaned, err := fgd.CleanTemp(root)
		if err != nil {
			return err
		}
		reps, err := fgd.Ensure(root, m)
		if err != nil {
			return err
		}
		rep.Repairs = append(cleaned, reps...)
	}
	rep.Changed = len(rep.Repairs) > 0
	return nil
}

// discoverRaw lists the files to ingest, settled and not held open by a
// writer; the others are reported as skipped or deferred.
func (p *planner) discoverRaw(ctx context.Context, o Options) ([]candidate, error) {
	rep := p.rep
	cands, skipped, errs := discover(p.root)
	if wait := settleWait(cands, o.Settle, time.Now()); wait > 0 && wait <= maxSettleWait {
		// Files copied in just before this run (the daemon's startup) are
		// waited for, once, and taken by it instead of a follow-up sync.
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("fgd: ingest of %s stopped: %w", p.root, err)
		}
		cands, skipped, errs = discover(p.root)
	}
	rep.Skipped = append(rep.Skipped, skipped...)
	cands, deferred := settled(cands, o.Settle, time.Now())
	rep.Deferred = append(rep.Deferred, deferred...)
	cands, deferred = notHeld(p.root, cands)
	rep.Deferred = append(rep.Deferred, deferred...)
	rep.Errors = append(rep.Errors, errs...)
	rep.Failed += len(errs)
	for _, c := range cands {
		p.stamps[c.rel] = c.stamp
	}
	return cands, nil
}

// ingestBatches plans and writes cands batch by batch, in path order (the
// crash-safety argument of Run holds per batch and across them); reading
// and validating the next batch overlaps the writing of the current one,
// since it touches none of the files being written.
func (p *planner) ingestBatches(ctx context.Context, reg *resource.Registry, cands []candidate, o Options) error {
	examineFrom := func(first int) <-chan examinedBatch {
		ch := make(chan examinedBatch, 1)
		last := nextBatch(cands, first, o)
		go func() {
			t0 := time.Now()
			ch <- examinedBatch{first: first, last: last, ex: examineAll(ctx, p.root, cands[first:last], reg, o), took: time.Since(t0)}
		}()
		return ch
	}
	var next <-chan examinedBatch
	if len(cands) > 0 {
		next = examineFrom(0)
	}
	// An early return still waits for the batch being examined, so no
	// goroutine outlives Run.
	defer func() {
		if next != nil {
			<-next
		}
	}()
	for next != nil {
		cur := <-next
		next = nil
		if cur.last < len(cands) {
			next = examineFrom(cur.last)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fgd: ingest of %s stopped: %w", p.root, err)
		}
		if err := p.ingestBatch(cur, o); err != nil {
			return err
		}
		if o.OnFile != nil {
			for i := cur.first; i < cur.last; i++ {
				o.OnFile(i+1, len(cands))
			}
		}
	}
	return nil
}

// ingestBatch plans one examined batch and, unless in a dry run, writes it.
func (p *planner) ingestBatch(cur examinedBatch, o Options) error {
	b, err := p.plan(cur.ex)
	if err != nil {
		return err
	}
	if len(b.remove) > 0 || len(b.retire) > 0 {
		p.rep.Changed = true
	}
	if o.DryRun {
		return nil
	}
	t1 := time.Now()
	release := o.Gate()
	changed, err := p.apply(b)
	release()
	p.rep.Changed = p.rep.Changed || changed
	o.Logger.Debug("batch written", "fgd", p.root, "files", cur.last-cur.first, "examine", cur.took, "apply", time.Since(t1))
	if err != nil {
		return fmt.Errorf("fgd: ingest of %s stopped (a re-run finishes it): %w", p.root, err)
	}
	return nil
}

// logRun writes the run's one log line: at info when it did something.
func logRun(ctx context.Context, o Options, rep *Report, root string, start time.Time) {
	level := slog.LevelDebug
	if rep.Changed || len(rep.Files) > 0 {
		level = slog.LevelInfo
	}
	o.Logger.Log(ctx, level, "ingest", "fgd", root, "fabric", o.Fabric, "dry_run", o.DryRun, "files", len(rep.Files),
		"created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged, "unmanaged", rep.Unmanaged,
		"retired", len(rep.Retired), "conflicts", len(rep.Conflicts), "failed", rep.Failed, "changed", rep.Changed, "took", time.Since(start).Round(time.Millisecond).String())
}

// untrustManaged validates managed/ (see checkManaged) before raw/ is
// ingested, and routes each file that fails to unmanaged/ with its reasons,
// like a rejected raw file: a raw file can then take its path.
func (p *planner) untrustManaged(ctx context.Context, reg *resource.Registry, o Options) error {
	bad, deferred, err := checkManaged(ctx, p.root, reg, o)
	if err != nil {
		return fmt.Errorf("fgd: validate %s: %w", fgd.ManagedDir, err)
	}
	p.rep.Deferred = append(p.rep.Deferred, deferred...)
	if len(bad) == 0 {
		return nil
	}
	for _, e := range bad {
		p.stamps[e.c.rel] = e.c.stamp
	}
	b, err := p.plan(bad)
	if err != nil {
		return err
	}
	for _, e := range bad {
		if e.fatal == nil {
			// Moved away: a raw file may claim the path (in a dry run too).
			p.before[e.c.rel] = before{}
		}
	}
	if len(b.remove) > 0 {
		p.rep.Changed = true
	}
	if o.DryRun {
		return nil
	}
	release := o.Gate()
	changed, err := p.apply(b)
	release()
	p.rep.Changed = p.rep.Changed || changed
	if err != nil {
		return fmt.Errorf("fgd: ingest of %s stopped (a re-run finishes it): %w", p.root, err)
	}
	return nil
}

// examinedBatch is cands[first:last] after the parallel read and validation.
type examinedBatch struct {
	first, last int
	ex          []examined
	took        time.Duration
}

// maxSettleWait bounds how long a run waits, holding the FGD's lock, for
// young files to settle; a longer Options.Settle defers them instead.
const maxSettleWait = 2 * time.Second

// maxBatchFiles keeps batches small enough for reading the next batch to
// overlap writing the current one.
const maxBatchFiles = 50

// nextBatch returns the end of the batch starting at first: at most
// maxBatchFiles files, whose content held in memory adds up to about
// o.BatchBytes (at least one file). Two batches are in memory at once.
func nextBatch(cands []candidate, first int, o Options) int {
	var held int64
	last := first
	for last < len(cands) {
		c := cands[last]
		var n int64
		if c.kind == entryYAML && c.size <= o.Limits.MaxFileBytes {
			n = c.size
		}
		if last > first && (held+n > o.BatchBytes || last-first >= maxBatchFiles) {
			break
		}
		held += n
		last++
	}
	return last
}

// DefaultFabric is the fabric name of the FGD at root when none is given:
// the manifest's, else the folder's base name.
func DefaultFabric(root string) string {
	if m, found, err := fgd.ReadManifest(root); err == nil && found && m.Fabric != "" {
		return m.Fabric
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return filepath.Base(root)
	}
	return filepath.Base(abs)
}
