// Package systemd_test checks the shipped unit, sysusers and tmpfiles
// snippets with systemd's own tools, and the Makefile's install target.
package systemd_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// installedBinary is the ExecStart binary in the shipped unit.
const installedBinary = "/usr/local/bin/fgd"

// need returns the path of a tool or skips the test, saying why.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s not found (Debian: apt-get install -y systemd): cannot check the systemd files here", tool)
	}
	return path
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeUnit writes unit text as DIR/fgd.service (the name matters to
// systemd) and returns its path.
func writeUnit(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fgd.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// resolvable returns the shipped unit with ExecStart pointed at /bin/true, a
// real executable on every Linux machine: verify checks that the binary
// exists, and the real one is only there after `make install`.
func resolvable(t *testing.T) string {
	t.Helper()
	unit := readFile(t, "fgd.service")
	if !strings.Contains(unit, "\nExecStart="+installedBinary+" ") {
		t.Fatalf("fgd.service has no ExecStart=%s line", installedBinary)
	}
	return strings.Replace(unit, "\nExecStart="+installedBinary+" ", "\nExecStart=/bin/true ", 1)
}

// verify runs `systemd-analyze verify` and fails on a non-zero exit or on
// ANY output: systemd only warns about unknown keys and bad values (exit 0)
// and then ignores them, so silence is the only sign of a clean unit.
func verify(path string) error {
	cmd := exec.Command("systemd-analyze", "verify", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || out.Len() > 0 {
		return fmt.Errorf("systemd-analyze verify %s: exit: %v; output:\n%s", path, err, out.String())
	}
	return nil
}

func TestUnitVerify(t *testing.T) {
	need(t, "systemd-analyze")
	missing := filepath.Join(t.TempDir(), "no-such-fgd")
	tests := []struct {
		name    string
		mutate  func(string) string
		wantErr string // "" means verify must pass
	}{
		{"shipped unit", func(u string) string { return u }, ""},
		// The broken cases prove the check is not silenced into passing.
		{"unknown key", func(u string) string {
			return strings.Replace(u, "[Service]\n", "[Service]\nRestartEverySoOften=yes\n", 1)
		}, "Unknown key"},
		{"bad value", func(u string) string {
			return strings.Replace(u, "\nRestart=on-failure\n", "\nRestart=sometimes\n", 1)
		}, "Failed to parse"},
		{"missing executable", func(u string) string {
			return strings.Replace(u, "\nExecStart=/bin/true ", "\nExecStart="+missing+" ", 1)
		}, "not executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(writeUnit(t, tt.mutate(resolvable(t))))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Error(err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("verify passed a unit with a %s", tt.name)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("verify failed, but not with %q: %v", tt.wantErr, err)
			}
		})
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for fgd\.service: ([0-9.]+)`)

// threshold is an exposure of 2.0: systemd-analyze takes it in tenths
// (systemd 252 rejects "--threshold=2.0"; the default, 100, is 10.0).
const threshold = "20"

func TestUnitSecurityExposure(t *testing.T) {
	need(t, "systemd-analyze")
	tests := []struct {
		name     string
		unit     string
		wantPass bool
	}{
		{"shipped unit", resolvable(t), true},
		// Proves the threshold bites: an unsandboxed unit must fail it.
		{"unsandboxed unit", "[Unit]\nDescription=x\n\n[Service]\nType=notify\nExecStart=/bin/true\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold="+threshold,
				"--no-pager", writeUnit(t, tt.unit))
			cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0")
			out, err := cmd.CombinedOutput()
			m := exposureRE.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no overall exposure level in the output (exit %v):\n%s", err, out)
			}
			t.Logf("%s: overall exposure level %s (threshold 2.0)", tt.name, m[1])
			if pass := err == nil; pass != tt.wantPass {
				t.Errorf("security check passed = %v, want %v (exit %v):\n%s", pass, tt.wantPass, err, out)
			}
		})
	}
}

// serviceSettings returns the [Service] section's settings; a key that
// appears more than once keeps every value, in order.
func serviceSettings(t *testing.T, unit string) map[string][]string {
	t.Helper()
	settings := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("fgd.service: line %q is not key=value", line)
			}
			settings[k] = append(settings[k], v)
		}
	}
	return settings
}

// TestUnitSettings pins the settings operators and the daemon rely on, so a
// later edit cannot drop one unnoticed (verify would not mind).
func TestUnitSettings(t *testing.T) {
	got := serviceSettings(t, readFile(t, "fgd.service"))
	want := map[string]string{
		"Type":                    "notify",
		"NotifyAccess":            "main",
		"ExecStart":               installedBinary + " run --config /etc/fgd/config.yaml",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"WatchdogSec":             "60s",
		"Restart":                 "on-failure",
		"User":                    "fgd",
		"Group":                   "fgd",
		"StateDirectory":          "fgd",
		"ConfigurationDirectory":  "fgd",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"ProtectClock":            "yes",
		"ProtectHostname":         "yes",
		"ProtectProc":             "invisible",
		"ProcSubset":              "pid",
		"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"RestrictNamespaces":      "yes",
		"RestrictRealtime":        "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"SystemCallFilter":        "@system-service|~@privileged @resources",
		"SystemCallErrorNumber":   "EPERM",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"UMask":                   "0077",
		"DevicePolicy":            "closed",
		"PrivateUsers":            "yes",
		"RemoveIPC":               "yes",
		"ReadWritePaths":          "-/srv/fabrics -/srv/fgd",
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || strings.Join(g, "|") != w {
			t.Errorf("%s = %q, want %q", k, strings.Join(g, "|"), w)
		}
	}
	// SIGTERM waits up to shutdown_timeout (30s by default) for syncs;
	// systemd must not kill fgd before that.
	stop, err := time.ParseDuration(strings.Join(got["TimeoutStopSec"], ""))
	if err != nil || stop <= 30*time.Second || stop > 2*time.Minute {
		t.Errorf("TimeoutStopSec = %q, want a little above the default shutdown_timeout of 30s", got["TimeoutStopSec"])
	}
}
