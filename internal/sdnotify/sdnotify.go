// Package sdnotify tells systemd about fgd's life cycle (ready, reloading,
// stopping, status text) and keeps the service watchdog fed. Outside systemd
// (NOTIFY_SOCKET unset) every call is a no-op, so the daemon needs no special
// case for running in a terminal or a container.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends sd_notify messages to the socket systemd handed the process
// in NOTIFY_SOCKET.
type Notifier struct {
	logger  *slog.Logger
	enabled bool // NOTIFY_SOCKET was set when New ran
}

// New returns a Notifier. Whether it sends anything is decided here, once:
// when NOTIFY_SOCKET is unset it is a no-op for its whole life.
func New(logger *slog.Logger) *Notifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{logger: logger, enabled: os.Getenv("NOTIFY_SOCKET") != ""}
}

// Enabled reports whether the process runs under a service manager that
// listens for notifications.
func (n *Notifier) Enabled() bool { return n.enabled }

// Ready tells systemd that start-up (or a reload) has finished: READY=1.
func (n *Notifier) Ready() error { return n.send(daemon.SdNotifyReady) }

// Stopping tells systemd that shutdown has begun: STOPPING=1.
func (n *Notifier) Stopping() error { return n.send(daemon.SdNotifyStopping) }

// Reloading tells systemd that a configuration reload has begun:
// RELOADING=1 with MONOTONIC_USEC, which Type=notify-reload (systemd ≥ 253)
// requires and older versions ignore. Call Ready when the reload is done.
func (n *Notifier) Reloading() error {
	return n.send(daemon.SdNotifyReloading + "\n" + strings.TrimSuffix(daemon.SdNotifyMonotonicUsec(), "\n"))
}

// Status sets the one-line status text `systemctl status fgd` shows:
// STATUS=s. Line breaks in s are turned into spaces, so the text cannot smuggle
// in other assignments (READY=1, MAINPID=…).
func (n *Notifier) Status(s string) error {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return n.send("STATUS=" + s)
}

// send writes one notification datagram.
func (n *Notifier) send(state string) error {
	if !n.enabled {
		return nil
	}
	if _, err := daemon.SdNotify(false, state); err != nil {
		first, _, _ := strings.Cut(state, "\n")
		return fmt.Errorf("sd_notify %s to NOTIFY_SOCKET=%s: %w", first, os.Getenv("NOTIFY_SOCKET"), err)
	}
	return nil
}

// RunWatchdog feeds systemd's watchdog (WatchdogSec= in the unit) until ctx is
// done: when WATCHDOG_USEC is set and WATCHDOG_PID is unset or this process,
// it sends WATCHDOG=1 at once and then every half interval. Otherwise it only
// waits for ctx. A failed ping is logged and retried at the next tick: systemd
// acts on missing pings, so giving up early would only make things worse. It
// returns nil when ctx is done, or an error when WATCHDOG_USEC is malformed.
func (n *Notifier) RunWatchdog(ctx context.Context) error {
	interval := time.Duration(0)
	if n.enabled {
		var err error
		interval, err = daemon.SdWatchdogEnabled(false)
		if err != nil {
			return fmt.Errorf("systemd watchdog: WATCHDOG_USEC=%q WATCHDOG_PID=%q: %w",
				os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), err)
		}
	}
	if interval <= 0 {
		<-ctx.Done()
		return nil
	}
	period := interval / 2
	n.logger.Debug("systemd watchdog enabled", "interval", interval, "ping_every", period)
	n.ping()
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			n.ping()
		}
	}
}

func (n *Notifier) ping() {
	if err := n.send(daemon.SdNotifyWatchdog); err != nil {
		n.logger.Warn("systemd watchdog ping failed; systemd restarts fgd if pings keep failing", "err", err)
	}
}
