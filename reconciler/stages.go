package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/ingest"
	"github.com/fgdproject/fgd/internal/resource"
)

// syncStages runs the stages of one sync in order: directory, ingestion,
// completion. Each stage is a step with one signature; the caller's single
// deferred block records the outcome whatever happens here.
func (r *Reconciler) syncStages(ctx context.Context, f *fabric, run *syncRun) error {
	if f.spec.Unsupported != "" {
		_ = run.transition(StateInitializing)
		return &RemediableError{Err: errors.New(f.spec.Unsupported), Remediation: "change the fabric's source in the config"}
	}
	_ = run.transition(StateInitializing)
	if err := checkRoot(f.spec.Root); err != nil {
		return err
	}
	rep, err := ingest.Run(ctx, f.spec.Root, r.opts.Registry, ingest.Options{
		Fabric:      f.spec.Name,
		LockTimeout: r.opts.LockTimeout,
		// The ingest line names the fabric itself.
		Logger: r.log,
		Now:    r.opts.Now,
		Settle: f.spec.Settle,
		Progress: func(stage string) {
			switch stage {
			case ingest.StageDiscovering:
				_ = run.transition(StateDiscovering)
			case ingest.StageProcessing:
				_ = run.transition(StateProcessing)
			}
		},
	})
	if rep != nil {
		run.setSummary(summarize(rep))
		r.countFiles(f.spec.Name, rep)
		if len(rep.Deferred) > 0 {
			// Files still being written: look again once they have settled.
			f.triggerAfter(f.spec.Settle, Trigger{Kind: "settle", Detail: rep.Deferred[0].Path})
		}
	}
	if err != nil {
		return fmt.Errorf("ingest %s: %w", f.spec.Root, err)
	}
	r.countResources(f.spec.Name, f.spec.Root)
	return nil
}

// checkRoot fails early, with a fix, when the FGD cannot be used at all.
func checkRoot(root string) error {
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &RemediableError{Err: fmt.Errorf("FGD %s does not exist", root),
			Remediation: "create the directory or fix the fabric's source path in the config"}
	case errors.Is(err, fs.ErrPermission):
		return &RemediableError{Err: fmt.Errorf("FGD %s: %w", root, err),
			Remediation: "give the fgd user read and write access to the directory"}
	case err != nil:
		return fmt.Errorf("FGD %s: %w", root, err)
	case !fi.IsDir():
		return &RemediableError{Err: fmt.Errorf("FGD %s is not a directory", root),
			Remediation: "point the fabric's source path at the FGD directory"}
	}
	// Root runs through permission bits; an unreadable FGD still shows up
	// when listing it.
	if _, err := os.ReadDir(root); err != nil {
		return &RemediableError{Err: fmt.Errorf("FGD %s is not readable: %w", root, err),
			Remediation: "give the fgd user read and write access to the directory"}
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
		Conflicts: len(rep.Conflicts),
		Errors:    len(rep.Errors),
		Changed:   rep.Changed,
	}
}

func (r *Reconciler) countFiles(fabric string, rep *ingest.Report) {
	if r.opts.Metrics == nil {
		return
	}
	for _, f := range rep.Files {
		r.opts.Metrics.files.WithLabelValues(fabric, f.Outcome).Inc()
	}
}

// countResources sets fgd_resources from the managed tree, the desired set.
func (r *Reconciler) countResources(fabric, root string) {
	if r.opts.Metrics == nil {
		return
	}
	for _, k := range resource.Kinds() {
		entries, err := os.ReadDir(filepath.Join(root, fgd.ManagedDir, k.Dir))
		if err != nil {
			continue
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".yaml") {
				n++
			}
		}
		r.opts.Metrics.resources.WithLabelValues(fabric, k.Kind).Set(float64(n))
	}
}
