package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
)

// A failed audit write is logged with what it was about; the caller goes on.
func TestRecordAuditLogsAFailedWrite(t *testing.T) {
	// /dev/full answers every write with ENOSPC, as a full disk does.
	log, err := audit.New("/dev/full", audit.DefaultMaxBytes, audit.DefaultKeep, time.Now)
	if err != nil {
		t.Skipf("cannot open /dev/full as an audit log here: %v", err)
	}
	var out bytes.Buffer
	recordAudit(log, slog.New(slog.NewTextHandler(&out, nil)), audit.Entry{Actor: "operator", Action: audit.ActionReload, Fabric: "lab", Outcome: audit.OutcomeOK})
	for _, want := range []string{"audit log write failed", "action=reload", "fabric=lab", "no space left on device"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log %q lacks %q", out.String(), want)
		}
	}
	out.Reset()
	recordAudit(nil, slog.New(slog.NewTextHandler(&out, nil)), audit.Entry{Action: audit.ActionReload})
	if out.Len() != 0 {
		t.Errorf("no audit log configured, yet logged %q", out.String())
	}
}
