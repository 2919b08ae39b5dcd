package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fgdproject/fgd/internal/ingest"
)

// writeText renders a report for people: one line per file, per resource,
// per conflict and repair, then a summary line. Every name and message is
// passed through safe: file names are anyone's to choose.
func writeText(w io.Writer, cmd string, rep *ingest.Report) {
	would := ""
	if rep.DryRun {
		would = "would "
	}
	for _, r := range rep.Repairs {
		fmt.Fprintf(w, "repair %s: %s%s\n", safe(r.Path), would, safe(r.Action))
	}
	for _, f := range rep.Files {
		line := fmt.Sprintf("%s: %s (%s, %s)", safe(f.Path), f.Outcome, plural(f.Documents, "document"), plural(f.Resources, "resource"))
		if f.UnmanagedAs != "" {
			line += " → " + safe(f.UnmanagedAs)
		}
		if len(f.Reasons) > 0 {
			line += ": " + strings.Join(safeAll(f.Reasons), "; ")
		}
		fmt.Fprintln(w, line)
	}
	for _, r := range rep.Resources {
		id := r.Identity
		fmt.Fprintf(w, "%s %s (%s %s/%s from %s document %d)\n", r.Action, safe(r.ManagedPath), safe(id.Kind), safe(id.Namespace), safe(id.Name), safe(r.File), r.Document)
	}
	for _, c := range rep.Conflicts {
		fmt.Fprintf(w, "conflict (%s) %s: %s\n", c.Kind, safe(c.ManagedPath), safe(c.Message))
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", safe(s.Path), safe(s.Reason))
	}
	for _, d := range rep.Deferred {
		fmt.Fprintf(w, "deferred %s: %s\n", d.Path, d.Reason)
	}
	state := "nothing changed"
	switch {
	case rep.DryRun && rep.Changed:
		state = "changes pending"
	case rep.DryRun:
		state = "nothing to do"
	case rep.Changed:
		state = "changed"
	}
	lock := ""
	if rep.LockWaitedMS > 0 {
		lock = fmt.Sprintf("; waited %dms for the lock of pid %d", rep.LockWaitedMS, rep.LockWaitedFor)
	}
	fmt.Fprintf(w, "fgd %s %s: %d files (%d ingested, %d partial, %d to unmanaged/, %d empty, %d failed); resources: %d created, %d updated, %d unchanged; %d conflicts; %s%s\n",
		cmd, safe(rep.Fabric), len(rep.Files), rep.Ingested, rep.Partial, rep.Unmanaged, rep.Empty, rep.Failed,
		rep.Created, rep.Updated, rep.Unchanged, len(rep.Conflicts), state, lock)
}
