package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/oklog/run"

	"github.com/fgdproject/fgd/internal/buildinfo"
	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/internal/logging"
	"github.com/fgdproject/fgd/internal/resource"
	"github.com/fgdproject/fgd/internal/sdnotify"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
	"log/slog"
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

// runDaemon wires the long-lived actors into one run.Group: each one's
// execute runs until its interrupt is called, and the first to return stops
// them all.
func runDaemon(cfg *config.Config, log *slog.Logger) error {
	version, revision, _ := buildinfo.Info()
	reg := httpapi.NewRegistry(version, revision)
	registry, err := resource.NewRegistry()
	if err != nil {
		return fmt.Errorf("load the embedded CRD schemas: %w", err)
	}
	store, err := state.New()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return fmt.Errorf("state_dir %s: %w (create it, or fix state_dir in the config)", cfg.StateDir, err)
	}
	auditLog, rejected, err := openAudit(cfg, log)
	if err != nil {
		return err
	}
	checkOpenFileLimit(cfg, log)
	rec, err := reconciler.New(reconciler.Options{
		Store:              store,
		StateDir:           cfg.StateDir,
		OnSyncEnd:          auditSync(auditLog, log),
		Logger:             log,
		Metrics:            reconciler.NewMetrics(reg),
		Registry:           registry,
		MaxConcurrentSyncs: cfg.SyncLimit(),
		ShutdownTimeout:    cfg.ShutdownTimeout,
	})
	if err != nil {
		return err
	}
	notifier := sdnotify.New(log)
	d := newDaemon(log, reg, rec, notifier, cfg)
	d.audit = auditLog
	srv := httpapi.New(httpapi.Options{
		State:      store,
		Controller: apiController{rec},
		Tokens: httpapi.Tokens{OperatorFile: cfg.API.TokenFile, OperatorName: cfg.API.TokenName,
			ReadFile: cfg.API.ReadTokenFile, ReadName: cfg.API.ReadTokenName},
		Audit:           auditLog,
		Listen:          cfg.Listen,
		Gatherer:        reg,
		Readiness:       d.readiness,
		Reload:          d.reload,
		Notices:         notices(&d.notice, rec),
		Hooks:           hookTarget{d},
		Registerer:      reg,
		Logger:          log,
		ShutdownTimeout: shutdownGrace,
		Rejected:        rejected,
		MaxConnections:  cfg.API.MaxConnections,
		MaxEventStreams: cfg.API.MaxEventStreams,
		AllowedHosts:    cfg.API.AllowedHosts,
	})
	// Fail before anything starts when the port is taken.
	if err := srv.Listen(); err != nil {
		return err
	}
	log.Info("fgd starting", "version", version, "config", cfg.File, "fabrics", len(cfg.Fabrics), "listen", srv.Addr().String())

	var g run.Group
	{
		// Signals: SIGINT/SIGTERM end the group; everything else drains.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error {
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sig)
			select {
			case s := <-sig:
				log.Info("received signal, shutting down", "signal", s.String(), "drain_timeout", cfg.ShutdownTimeout)
				_ = notifier.Stopping()
			case <-ctx.Done():
			}
			return nil
		}, func(error) { cancel() })
	}
	{
		// The reconciler: fabric loops and their sources. On interrupt it
		// stops taking triggers and lets running syncs finish within
		// shutdown_timeout.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return rec.Run(ctx) }, func(error) { cancel() })
	}
	{
		// Start-up and reload: apply the first config (then READY=1), then
		// reload on every SIGHUP through the same path as POST /-/reload.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error {
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			if err := d.start(ctx); err != nil {
				return fmt.Errorf("start fabrics: %w", err)
			}
			_ = notifier.Ready()
			for {
				select {
				case <-hup:
					log.Info("received SIGHUP, reloading the config")
					_ = d.reload(ctx)
				case <-ctx.Done():
					return nil
				}
			}
		}, func(error) { cancel() })
	}
	{
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return srv.Run(ctx) }, func(error) { cancel() })
	}
	{
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return notifier.RunWatchdog(ctx) }, func(error) { cancel() })
	}
	{
		// Rejected requests: one record per caller and minute, the last
		// ones written when the daemon stops.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return rejected.Run(ctx) }, func(error) { cancel() })
	}
	{
		// The audit log closes after everything else has stopped writing.
		ctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return auditLog.Run(ctx) }, func(error) { cancel() })
	}
	err = g.Run()
	// Rejections counted while the server shut down, after the last
	// window was written.
	rejected.Flush()
	log.Info("fgd stopped")
	return err
}
