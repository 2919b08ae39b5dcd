package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/sdnotify"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sinks/directory"
	execsink "github.com/fgdproject/fgd/sinks/exec"
	kubesink "github.com/fgdproject/fgd/sinks/kubernetes"
	"github.com/fgdproject/fgd/sources/dir"
	"github.com/fgdproject/fgd/sources/git"
)

// daemon holds what `fgd run` shares between its actors: the current config
// and the one reload path that SIGHUP and POST /-/reload both take.
type daemon struct {
	log      *slog.Logger
	rec      *reconciler.Reconciler
	notifier *sdnotify.Notifier
	reloadOK prometheus.Gauge
	reloadTS prometheus.Gauge
	git      *git.Hub
	dirs     *dir.Hub // the one inotify instance of every dir fabric; lives while one runs
	audit    *audit.Log
	// notice is the last reload that did not take, for the status page.
	notice reloadNotice

	mu  sync.Mutex // serializes reloads
	cfg *config.Config
	// cur is the configuration in force, for readers that must not wait
	// for a reload (webhooks).
	cur atomic.Pointer[config.Config]
	// started is set once the configuration loaded at start is applied.
	started atomic.Bool
}

func newDaemon(log *slog.Logger, reg prometheus.Registerer, rec *reconciler.Reconciler, n *sdnotify.Notifier, cfg *config.Config) *daemon {
	d := &daemon{
		log: log, rec: rec, notifier: n, cfg: cfg,
		git:  git.NewHub(cfg.StateDir, log, git.NewMetrics(reg)),
		dirs: dir.NewHub(log),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fgd_config_last_reload_successful",
			Help: "1 when the last configuration load (start or reload) succeeded, 0 when it was rejected.",
		}),
		reloadTS: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fgd_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load.",
		}),
	}
	d.git.GuardPolls(rec.GuardRemote)
	reg.MustRegister(d.reloadOK, d.reloadTS)
	d.cur.Store(cfg)
	return d
}

// start applies the configuration loaded at startup.
func (d *daemon) start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	specs, err := d.specs(d.cfg)
	if err != nil {
		d.reloadOK.Set(0)
		return err
	}
	if err := d.rec.Apply(ctx, specs); err != nil {
		d.reloadOK.Set(0)
		return err
	}
	d.started.Store(true)
	d.loaded()
	return nil
}

// reload re-reads the config file and applies it. An invalid file is
// rejected and the running configuration stays in force.
func (d *daemon) reload(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.notifier.Reloading()
	defer func() { _ = d.notifier.Ready() }()

	next, err := config.Load(d.cfg.File)
	if err != nil {
		d.reloadOK.Set(0)
		d.log.Error("config reload rejected; the running configuration stays in force", "file", d.cfg.File, "err", err)
		d.notice.set(d.cfg.File, err.Error(), time.Now())
		d.auditReload(audit.OutcomeRejected, err.Error())
		return fmt.Errorf("reload %s: %w", d.cfg.File, err)
	}
	keys := append(restartOnly(config.ChangedSettings(d.cfg, next)), config.ChangedServing(d.cfg, next)...)
	if len(keys) > 0 {
		d.log.Warn("config reload: these settings take effect only after a restart", "keys", strings.Join(keys, ","))
	}
	ch := config.DiffFabrics(d.cfg, next)
	specs, err := d.specs(next)
	if err == nil {
		err = d.rec.Apply(ctx, specs)
	}
	if err != nil {
		d.reloadOK.Set(0)
		d.log.Error("config reload failed to apply", "err", err)
		d.notice.set(d.cfg.File, err.Error(), time.Now())
		d.auditReload(audit.OutcomeFailed, err.Error())
		return fmt.Errorf("reload %s: %w", d.cfg.File, err)
	}
	d.cfg = next
	d.notice.clear()
	d.loaded()
	d.auditReload(audit.OutcomeOK, fmt.Sprintf("added %v, removed %v, changed %v", ch.Added, ch.Removed, ch.Changed))
	d.log.Info("config reloaded", "file", next.File, "added", ch.Added, "removed", ch.Removed, "changed", ch.Changed)
	return nil
}

func (d *daemon) loaded() {
	d.cur.Store(d.cfg)
	d.reloadOK.Set(1)
	d.reloadTS.SetToCurrentTime()
	_ = d.notifier.Status(fmt.Sprintf("%d fabrics configured", len(d.cfg.Fabrics)))
}

func (d *daemon) auditReload(outcome, detail string) {
	recordAudit(d.audit, d.log, audit.Entry{Actor: "operator", Action: audit.ActionReload, Outcome: outcome, Detail: detail})
}

// restartOnly keeps the settings a reload cannot change in place.
func restartOnly(keys []string) []string {
	var out []string
	for _, k := range keys {
		switch k {
		case "listen", "state_dir", "max_concurrent_syncs", "memory_limit_mib", "log", "shutdown_timeout", "audit":
			out = append(out, k)
		}
	}
	return out
}

// specs turns the configured fabrics into what the reconciler runs.
// Suspended fabrics are not run.
func (d *daemon) specs(cfg *config.Config) ([]reconciler.FabricSpec, error) {
	var out []reconciler.FabricSpec
	for _, f := range cfg.Fabrics {
		if f.Suspended {
			d.log.Info("fabric suspended by config", "fabric", f.Name)
			continue
		}
		spec := reconciler.FabricSpec{Name: f.Name, Hash: config.FabricHash(f)}
		sinks, err := d.sinks(f)
		if err != nil {
			return nil, err
		}
		spec.Sinks = sinks
		switch {
		case f.Source.Dir != nil:
			src := *f.Source.Dir
			spec.Root, spec.Settle = src.Path, src.Debounce
			spec.NewSource, err = dir.NewFabricSource(src.Path,
				dir.Options{Debounce: src.Debounce, Rescan: src.RescanInterval, Logger: d.log.With("fabric", f.Name), Hub: d.dirs})
		case f.Source.Git != nil:
			if spec.Git, err = d.git.GitSpec(f.Source.Git); err == nil {
				spec.NewSource, err = d.git.NewFabricSource(f.Source.Git)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("fabric %s: %w", f.Name, err)
		}
		withSinkWatches(&spec, d.log.With("fabric", f.Name))
		out = append(out, spec)
	}
	return out, nil
}

// sinks builds a fabric's sinks; each is named by its kind and position
// ("directory-0", "exec-1"), which names its inventory in the state dir.
func (d *daemon) sinks(f config.Fabric) ([]reconciler.SinkSpec, error) {
	var out []reconciler.SinkSpec
	for i, s := range f.Sinks {
		log := d.log.With("fabric", f.Name)
		switch {
		case s.Directory != nil:
			c := s.Directory
			p, err := directory.New(directory.Options{Path: c.Path, Prune: c.Prune, AllowEmpty: c.AllowEmpty,
				DetectOnly: c.Mode == config.ModeDetectOnly, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("fabric %s: sink %d: %w", f.Name, i, err)
			}
			out = append(out, reconciler.SinkSpec{Name: fmt.Sprintf("directory-%d", i), Sink: directory.NewSink(p),
				Prune: c.Prune, AllowEmpty: c.AllowEmpty, DetectOnly: c.Mode == config.ModeDetectOnly})
		case s.Exec != nil:
			c := s.Exec
			r, err := execsink.New(execsink.Options{Command: c.Command, PruneCommand: c.PruneCommand, Env: c.Env,
				EnvFiles: c.EnvFiles, Dir: c.Dir, Timeout: c.Timeout, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("fabric %s: sink %d: %w", f.Name, i, err)
			}
			out = append(out, reconciler.SinkSpec{Name: fmt.Sprintf("exec-%d", i), Sink: execsink.NewSink(r),
				Prune: len(c.PruneCommand) > 0, AllowEmpty: c.AllowEmpty, DetectOnly: c.Mode == config.ModeDetectOnly})
		case s.Kubernetes != nil:
			c := s.Kubernetes
			k, err := kubesink.New(kubesink.Options{Fabric: f.Name, KubeconfigFile: c.KubeconfigFile, Context: c.Context,
				Namespace: c.Namespace, FieldManager: c.FieldManager, ForceConflicts: c.ForceConflicts,
				DetectOnly: c.Mode == config.ModeDetectOnly, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("fabric %s: sink %d: %w", f.Name, i, err)
			}
			out = append(out, reconciler.SinkSpec{Name: fmt.Sprintf("kubernetes-%d", i), Sink: k,
				Prune: c.Prune, AllowEmpty: c.AllowEmpty, DetectOnly: c.Mode == config.ModeDetectOnly})
		}
	}
	return out, nil
}

// readiness reports, per fabric, whether it is ready, and names every
// fabric that is not with the reason: its first sync not attempted yet,
// its source failing (a git remote down or refusing the credentials), its
// last sync stalled (it waits for a human), or no sync succeeded yet.
func readiness(rec *reconciler.Reconciler) func() []httpapi.FabricReadiness {
	return func() []httpapi.FabricReadiness {
		var out []httpapi.FabricReadiness
		for _, f := range rec.Fabrics() {
			r := httpapi.FabricReadiness{Fabric: f.Name, Ready: false}
			last := f.Last
			switch {
			case !f.Attempted && f.Syncing:
				r.Reason = "first sync in progress"
			case !f.Attempted:
				r.Reason = "waiting for the first sync"
			case f.SourceError != nil:
				r.Reason = failingReason("source failing", f.SourceError.Class, f.SourceError.Error, f.SourceError.Remediation)
			case last != nil && last.State == reconciler.StateFailed && last.ErrorClass == "stalled":
				r.Reason = failingReason("stalled", last.ErrorClass, last.Error, last.Remediation)
			case f.LastSuccess.IsZero() && last != nil && last.State == reconciler.StateFailed:
				r.Reason = failingReason("never synced", last.ErrorClass, last.Error, last.Remediation)
			default:
				r.Ready = true
			}
			out = append(out, r)
		}
		return out
	}
}

// readiness is readiness(d.rec) once the configuration loaded at start is
// applied. Before that the reconciler knows no fabric yet, which must not
// read as "no fabrics: ready": every configured fabric is reported as
// starting, so /readyz is never ready before the fabrics' first syncs.
func (d *daemon) readiness() []httpapi.FabricReadiness {
	if d.started.Load() {
		return readiness(d.rec)()
	}
	var out []httpapi.FabricReadiness
	for _, f := range d.cur.Load().Fabrics {
		if !f.Suspended {
			out = append(out, httpapi.FabricReadiness{Fabric: f.Name, Reason: "starting"})
		}
	}
	return out
}

// failingReason is a /readyz reason for a failing fabric, e.g. "source
// failing (transient): git ls-remote …: connection refused; fix: check …",
// or "stalled: …" when what says the class already.
func failingReason(what, class, msg, remediation string) string {
	s := fmt.Sprintf("%s (%s): %s", what, class, msg)
	if what == class {
		s = what + ": " + msg
	}
	if remediation != "" && !strings.Contains(msg, remediation) {
		s += "; fix: " + remediation
	}
	return s
}

// shutdownGrace is how long the HTTP server may take to drain, on top of
// the syncs' own shutdown_timeout.
const shutdownGrace = 5 * time.Second
