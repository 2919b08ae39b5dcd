package main

import (
	"context"
	"errors"
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
	"github.com/fgdproject/fgd/reconciler"
	"log/slog"
)

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fgd run --config FILE [--log.level LEVEL] [--log.format FORMAT]")
		fmt.Fprintln(stderr, "\nRuns the daemon: watches every configured fabric, keeps its FGD ingested, serves /healthz, /readyz and /metrics.")
		fmt.Fprintln(stderr, "SIGHUP (or POST /-/reload) reloads the config; SIGTERM drains running syncs and exits 0.")
		fmt.Fprintln(stderr, "\nExample:\n  fgd run --config /etc/fgd/config.yaml --log.level debug\n\nFlags:")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "/etc/fgd/config.yaml", "path of the configuration file")
	level := fs.String("log.level", "", "log level: debug, info, warn, error (default: the config's log.level)")
	format := fs.String("log.format", "", "log format: auto, json, text (default: the config's log.format)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fgd run: unexpected argument %q (the config is given with --config)\n", fs.Arg(0))
		return 2
	}

	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "fgd run: %v\n", err)
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
	rec, err := reconciler.New(reconciler.Options{
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
	srv := httpapi.New(httpapi.Options{
		Listen:          cfg.Listen,
		Gatherer:        reg,
		Readiness:       readiness(rec),
		Reload:          d.reload,
		Logger:          log,
		ShutdownTimeout: shutdownGrace,
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
	err = g.Run()
	log.Info("fgd stopped")
	return err
}
