package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/oklog/run"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/buildinfo"
	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/logging"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/sdnotify"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
)

// runOpts are the flags of fgd run.
type runOpts struct {
	config, level, format *string
}

// flags defines the flag set of fgd run, which the command and shell
// completion both use. --log.level and --log.format, the names of earlier
// releases, stay accepted as hidden aliases.
func (o *runOpts) flags() *flag.FlagSet {
	fs := newFlagSet("run")
	o.config = fs.String("config", "/etc/fgd/config.yaml", "read the configuration from this `FILE`")
	o.level = choice(fs, "log-level", "", "log at this `LEVEL` and above: debug, info, warn or error (default: the config's log.level)",
		[]string{"debug", "info", "warn", "error"}, nil)
	o.format = choice(fs, "log-format", "", "write logs in this `FORMAT`: auto, json or text (default: the config's log.format)",
		[]string{"auto", "json", "text"}, nil)
	addAlias(fs, "log.level", "log-level")
	addAlias(fs, "log.format", "log-format")
	return fs
}

var runHelp = help{
	usage: "fgd run [--config FILE] [--log-level LEVEL] [--log-format FORMAT]",
	about: `Runs the daemon: keeps every configured fabric's FGD ingested, one sync at a
time per fabric, and serves /healthz, /readyz, /metrics and POST /-/reload on
the config's listen address. SIGHUP (systemctl reload fgd) or POST /-/reload
reloads the config; an invalid new config is refused and the old one keeps
running. SIGTERM or SIGINT lets running syncs finish (shutdown_timeout) and
exits 0. Logs go to stderr (journald under systemd).`,
	examples: []string{
		"fgd run --config /etc/fgd/config.yaml",
		"fgd run --config config.yaml --log-level debug --log-format text",
	},
	exits: `0  stopped by SIGTERM or SIGINT after draining
1  the config is not valid, the listen address is taken, or the daemon failed
2  usage error`,
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	var o runOpts
	fs := o.flags()
	pos, code, ok := parse(fs, runHelp, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, "run", runHelp, fmt.Sprintf("unexpected argument %q (the config is given with --config)", pos[0]))
	}
	cfgPath, level, format := o.config, o.level, o.format

	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "fgd run: %s\n", safeLines(err.Error()))
		return 1
	}
	if *level == "" {
		*level = cfg.Log.Level
	}
	if *format == "" {
		*format = cfg.Log.Format
	}
	log, err := logging.New(stderr, *level, *format)
	if err != nil {
		fmt.Fprintf(stderr, "fgd run: %v\n", err)
		return 2
	}
	if err := runDaemon(cfg, log); err != nil {
		log.Error("fgd stopped with an error", "err", err)
		return 1
	}
	return 0
}

// runDaemon builds the daemon, then runs its long-lived actors in one
// run.Group: each one's execute runs until its interrupt is called, and
// the first to return stops them all. The audit logs are no actors: they
// close only once every actor has returned, so the reconciler's last sync
// and the server's last request are recorded in an open file.
func runDaemon(cfg *config.Config, log *slog.Logger) error {
	p, err := newParts(cfg, log)
	if err != nil {
		return err
	}
	// Fail before anything starts when the port is taken.
	if err := p.srv.Listen(); err != nil {
		return err
	}
	log.Info("fgd starting", "version", p.version, "config", cfg.File, "fabrics", len(cfg.Fabrics), "listen", p.srv.Addr().String())
	closeAudit := p.runAudit()
	var g run.Group
	p.addActors(&g)
	err = g.Run()
	closeAudit()
	log.Info("fgd stopped")
	return err
}

// parts are what runDaemon builds before anything runs.
type parts struct {
	cfg      *config.Config
	log      *slog.Logger
	version  string
	rec      *reconciler.Reconciler
	d        *daemon
	srv      *httpapi.Server
	notifier *sdnotify.Notifier
	audit    *audit.Log
	rejected *audit.Rejections
}

// newParts builds the daemon's parts from the config: the state store, the
// audit logs, the reconciler, the reload path and the HTTP server.
func newParts(cfg *config.Config, log *slog.Logger) (*parts, error) {
	version, revision, _ := buildinfo.Info()
	reg := httpapi.NewRegistry(version, revision)
	registry, err := resource.NewRegistry()
	if err != nil {
		return nil, fmt.Errorf("load the embedded CRD schemas: %w", err)
	}
	store, err := state.New()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("state_dir %s: %w (create it, or fix state_dir in the config)", cfg.StateDir, err)
	}
	p := &parts{cfg: cfg, log: log, version: version, notifier: sdnotify.New(log)}
	if p.audit, p.rejected, err = openAudit(cfg, log); err != nil {
		return nil, err
	}
	checkOpenFileLimit(cfg, log)
	applyMemoryLimit(cfg, log)
	p.rec, err = reconciler.New(reconciler.Options{
		Store:              store,
		StateDir:           cfg.StateDir,
		OnSyncEnd:          auditSync(p.audit, log),
		Logger:             log,
		Metrics:            reconciler.NewMetrics(reg),
		Registry:           registry,
		MaxConcurrentSyncs: cfg.SyncLimit(),
		ShutdownTimeout:    cfg.ShutdownTimeout,
	})
	if err != nil {
		return nil, err
	}
	p.d = newDaemon(log, reg, p.rec, p.notifier, cfg)
	p.d.audit = p.audit
	p.srv = httpapi.New(httpapi.Options{
		State:      store,
		Controller: apiController{p.rec},
		Tokens: httpapi.Tokens{OperatorFile: cfg.API.TokenFile, OperatorName: cfg.API.TokenName,
			ReadFile: cfg.API.ReadTokenFile, ReadName: cfg.API.ReadTokenName},
		Audit:           p.audit,
		Listen:          cfg.Listen,
		Gatherer:        reg,
		Readiness:       p.d.readiness,
		Reload:          p.d.reload,
		Notices:         notices(&p.d.notice, p.rec),
		Hooks:           hookTarget{p.d},
		Registerer:      reg,
		Logger:          log,
		ShutdownTimeout: shutdownGrace,
		Rejected:        p.rejected,
		MaxConnections:  cfg.API.MaxConnections,
		MaxEventStreams: cfg.API.MaxEventStreams,
		AllowedHosts:    cfg.API.AllowedHosts,
	})
	return p, nil
}

// runAudit starts writing the rejected requests' records (one per caller
// and minute) and returns the function that closes both audit logs, to be
// called once nothing records any more: it writes the window still being
// counted first.
func (p *parts) runAudit() (closeAudit func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.rejected.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			p.log.Error("closing the audit log of rejected requests failed", "err", err)
		}
		if err := p.audit.Close(); err != nil {
			p.log.Error("closing the audit log failed", "err", err)
		}
	}
}

// addActors adds the long-lived actors to g. They are all interrupted at
// once when one returns; none of them depends on another still running.
func (p *parts) addActors(g *run.Group) {
	{
		// Signals: SIGINT/SIGTERM end the group; everything else drains.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return p.awaitStop(ctx) }, func(error) { cancel() })
	}
	{
		// The reconciler: fabric loops and their sources. On interrupt it
		// stops taking triggers and lets running syncs finish within
		// shutdown_timeout; Run returns when they have.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return p.rec.Run(ctx) }, func(error) { cancel() })
	}
	{
		// Start-up and reload: apply the first config (then READY=1), then
		// reload on every SIGHUP through the same path as POST /-/reload.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return p.startAndReload(ctx) }, func(error) { cancel() })
	}
	{
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return p.srv.Run(ctx) }, func(error) { cancel() })
	}
	{
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return p.notifier.RunWatchdog(ctx) }, func(error) { cancel() })
	}
}

// awaitStop returns on SIGINT or SIGTERM (telling systemd fgd is
// stopping), or when ctx is done.
func (p *parts) awaitStop(ctx context.Context) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		p.log.Info("received signal, shutting down", "signal", s.String(), "drain_timeout", p.cfg.ShutdownTimeout)
		_ = p.notifier.Stopping()
	case <-ctx.Done():
	}
	return nil
}

// startAndReload applies the first config, tells systemd fgd is ready, and
// then reloads on every SIGHUP until ctx is done.
func (p *parts) startAndReload(ctx context.Context) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := p.d.start(ctx); err != nil {
		return fmt.Errorf("start fabrics: %w", err)
	}
	_ = p.notifier.Ready()
	for {
		select {
		case <-hup:
			p.log.Info("received SIGHUP, reloading the config")
			_ = p.d.reload(ctx)
		case <-ctx.Done():
			return nil
		}
	}
}
