package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/config"
)

// fdHeadroom is how many file descriptors beyond api.max_connections fgd
// wants for its own work: git clones and packs, sink trees, the file
// watcher, the audit logs.
const fdHeadroom = 1024

// openAudit opens the audit log (kept for audit.retention) and the log of
// rejected requests beside it, both in state_dir.
func openAudit(cfg *config.Config, log *slog.Logger) (*audit.Log, *audit.Rejections, error) {
	auditLog, err := audit.New(filepath.Join(cfg.StateDir, audit.FileName), audit.DefaultMaxBytes, audit.DefaultKeep, time.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("open the audit log in %s: %w", cfg.StateDir, err)
	}
	auditLog.KeepFor(cfg.Audit.Retention, audit.DefaultMaxFiles)
	rejLog, err := audit.New(filepath.Join(cfg.StateDir, audit.RejectedFileName), audit.DefaultMaxBytes, audit.DefaultKeep, time.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("open the audit log of rejected requests in %s: %w", cfg.StateDir, err)
	}
	rejected := audit.NewRejections(rejLog, time.Now, func(err error) {
		log.Error("audit log write failed; the operation itself went ahead", "action", audit.ActionRejected, "err", err)
	})
	return auditLog, rejected, nil
}

// checkOpenFileLimit warns when the open-file limit leaves too little room
// beside api.max_connections. The Go runtime has already raised the soft
// limit to the hard one at start (since Go 1.19), so the soft limit is
// what fgd has.
func checkOpenFileLimit(cfg *config.Config, log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if want := uint64(cfg.API.MaxConnections + fdHeadroom); lim.Cur < want {
		log.Warn("the open-file limit leaves little room beside api.max_connections: lower it, or raise LimitNOFILE in the unit",
			"open_file_limit", lim.Cur, "max_connections", cfg.API.MaxConnections, "want_at_least", want)
	}
}

// applyMemoryLimit sets the Go runtime's soft memory limit from
// memory_limit_mib, so the heap the collector lets grow between cycles
// (by default as much again as the live heap) stays under it and RSS
// tracks the live heap. It is soft: with more live heap than the limit the
// collector runs more often, never fails an allocation. 0 leaves the
// runtime's own limit (GOMEMLIMIT, else none). It returns the limit in
// force, in bytes (math.MaxInt64 for none).
func applyMemoryLimit(cfg *config.Config, log *slog.Logger) int64 {
	if cfg.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(cfg.MemoryLimitMiB) << 20)
		log.Info("soft memory limit set", "memory_limit_mib", cfg.MemoryLimitMiB)
	}
	return debug.SetMemoryLimit(-1)
}
