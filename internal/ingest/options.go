package ingest

import (
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/fgdproject/fgd/internal/resource"
)

// Options tune one ingestion run. The zero value is usable.
type Options struct {
	// Fabric names the fabric in provenance annotations and sidecars; empty
	// means the manifest's fabric name, else the FGD folder's base name.
	Fabric string
	// DryRun computes the same Report and writes nothing at all.
	DryRun bool
	// Limits bound what one file may cost; zero fields mean the defaults.
	Limits resource.Limits
	// Workers parse and validate files in parallel; 0 means GOMAXPROCS.
	Workers int
	// LockTimeout is how long to wait for another writer; 0 means 30s.
	LockTimeout time.Duration
	// BatchBytes bounds the input bytes held in memory at once: files are
	// handled in batches of about this size, in name order; 0 means 64 MiB.
	BatchBytes int64
	// Logger receives one line per run and debug lines per file; nil discards.
	Logger *slog.Logger
	// Progress, when set, is told each stage as the run enters it
	// (StageDiscovering, then StageProcessing), for the daemon's state machine.
	Progress func(stage string)
	// OnFile, when set, is told the input files handled so far (done) of
	// all those this run takes (total), once per file, after the batch that
	// holds the file is written (planned, for a dry run). It is called from
	// the run's one writing goroutine, in order, so it needs no locking;
	// the CLI draws its progress bar with it.
	OnFile func(done, total int)
	// Settle is how long a file must have been left untouched before the
	// run takes it: a run waits, once and for at most 2 s, for the files
	// modified less than this long ago, and defers those still younger to
	// a later run, so a file still being written is not read half-done even
	// when its writer cannot be seen in /proc; 0 (the CLI) takes every file
	// that no process holds open for writing. The daemon sets it to the
	// watcher's debounce.
	Settle time.Duration
	// Gate, when set, is called before each file is parsed and validated
	// and before each batch is written, and returns the function that ends
	// that work: the daemon uses it to bound how many goroutines of all its
	// concurrent syncs burn CPU or sit in file-system calls at once, so
	// that a storm of syncs cannot starve the API of processors.
	Gate func() (release func())
	// beforeRemove, in tests only, runs just before the originals of a batch
	// are removed: it plays a writer that is still at work.
	beforeRemove func()
	// ManagedCache, when set, remembers the managed files found valid
	// across runs, so an unchanged managed/ is not parsed again; nil
	// validates every managed file on every run.
	ManagedCache *ManagedCache
	// Now is the clock for the "when" of sidecars and archive-log records.
	Now func() time.Time
}

// Stages passed to Options.Progress.
const (
	StageDiscovering = "discovering" // layout repaired; looking for input files
	StageProcessing  = "processing"  // parsing, validating and writing
)

// Default values of Options.
const (
	DefaultLockTimeout = 30 * time.Second
	DefaultBatchBytes  = 32 << 20
)

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Gate == nil {
		o.Gate = func() func() { return func() {} }
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits.MaxFileBytes <= 0 {
		o.Limits.MaxFileBytes = resource.DefaultLimits().MaxFileBytes
	}
	return o
}
