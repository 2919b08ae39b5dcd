package systemd_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSysusersAndTmpfiles applies both snippets to an empty root with
// systemd's own tools and checks the user and directories they make.
func TestSysusersAndTmpfiles(t *testing.T) {
	need(t, "systemd-sysusers")
	need(t, "systemd-tmpfiles")
	if os.Geteuid() != 0 {
		t.Skip("systemd-tmpfiles needs root to chown the directories it creates")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Absolute paths: with --root, relative ones are looked up inside root.
	run(t, "systemd-sysusers", "--root="+root, abs(t, "fgd.sysusers"))
	passwd := readFile(t, filepath.Join(root, "etc/passwd"))
	var uid, gid int
	found := false
	for _, line := range strings.Split(passwd, "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[0] == "fgd" {
			found = true
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			if f[4] != "fgd fabric GitOps daemon" || f[5] != "/var/lib/fgd" || !strings.HasSuffix(f[6], "nologin") {
				t.Errorf("fgd's passwd entry = %q, want comment, home /var/lib/fgd and no login shell", line)
			}
			if uid == 0 || uid >= 1000 {
				t.Errorf("fgd uid = %d, want a system uid", uid)
			}
		}
	}
	if !found {
		t.Fatalf("no fgd user in %s/etc/passwd:\n%s", root, passwd)
	}

	run(t, "systemd-tmpfiles", "--create", "--root="+root, abs(t, "fgd.tmpfiles"))
	for _, dir := range []string{"var/lib/fgd", "srv/fabrics"} {
		fi, err := os.Stat(filepath.Join(root, dir))
		if err != nil {
			t.Errorf("tmpfiles did not create /%s: %v", dir, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if !fi.IsDir() || fi.Mode().Perm() != 0o750 || int(st.Uid) != uid || int(st.Gid) != gid {
			t.Errorf("/%s = %s uid %d gid %d, want a 0750 directory owned by fgd (%d:%d)",
				dir, fi.Mode(), st.Uid, st.Gid, uid, gid)
		}
	}
}

func abs(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// installTree copies what `make install` reads into a temporary tree, with a
// stand-in bin/fgd: building the real binary belongs to `make build`, which
// the test skips with make's -o so it runs in seconds and does not depend on
// the rest of the tree compiling.
func installTree(t *testing.T) (dir, config string) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"../Makefile", "fgd.service", "fgd.sysusers", "fgd.tmpfiles"} {
		dst := filepath.Join(dir, strings.TrimPrefix(f, "../"))
		if !strings.HasPrefix(f, "../") {
			dst = filepath.Join(dir, "systemd", f)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(readFile(t, f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/fgd"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	config = filepath.Join(dir, "example.yaml")
	if err := os.WriteFile(config, []byte("listen: 127.0.0.1:9477\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, config
}

func TestMakeInstall(t *testing.T) {
	need(t, "make")
	tests := []struct {
		prefix  string // "" = the Makefile's default
		bin     string
		unitDir string
		confDir string // where sysusers.d and tmpfiles.d go
	}{
		{"", "/usr/local/bin/fgd", "/usr/local/lib/systemd/system", "/usr/local/lib"},
		{"/usr", "/usr/bin/fgd", "/usr/lib/systemd/system", "/usr/lib"},
		{"/opt/fgd", "/opt/fgd/bin/fgd", "/etc/systemd/system", "/etc"},
	}
	for _, tt := range tests {
		t.Run("PREFIX="+tt.prefix, func(t *testing.T) {
			tree, config := installTree(t)
			dest := t.TempDir()
			args := []string{"-C", tree, "-o", "build", "DESTDIR=" + dest, "CONFIG_EXAMPLE=" + config}
			if tt.prefix != "" {
				args = append(args, "PREFIX="+tt.prefix)
			}
			run(t, "make", append(args, "install")...)

			wantFiles := map[string]fs.FileMode{
				tt.bin:                              0o755,
				tt.unitDir + "/fgd.service":         0o644,
				tt.confDir + "/sysusers.d/fgd.conf": 0o644,
				tt.confDir + "/tmpfiles.d/fgd.conf": 0o644,
				"/etc/fgd/config.yaml":              0o644,
			}
			for f, mode := range wantFiles {
				fi, err := os.Stat(filepath.Join(dest, f))
				if err != nil {
					t.Errorf("not installed: %v", err)
					continue
				}
				if fi.Mode().Perm() != mode {
					t.Errorf("%s mode = %s, want %s", f, fi.Mode().Perm(), mode)
				}
			}
			// The installed unit is the template with ExecStart pointing at
			// the installed binary, and nothing else changed.
			unit := readFile(t, filepath.Join(dest, tt.unitDir, "fgd.service"))
			template := readFile(t, "fgd.service")
			want := strings.Replace(template, "ExecStart="+installedBinary+" ", "ExecStart="+tt.bin+" ", 1)
			if unit != want {
				t.Errorf("installed unit differs from the template beyond ExecStart; its ExecStart lines: %q",
					serviceSettings(t, unit)["ExecStart"])
			}
			if got := serviceSettings(t, unit)["ExecStart"]; len(got) != 1 || !strings.HasPrefix(got[0], tt.bin+" ") {
				t.Errorf("installed ExecStart = %q, want %s …", got, tt.bin)
			}

			// A second install keeps the operator's config.
			cfg := filepath.Join(dest, "etc/fgd/config.yaml")
			if err := os.WriteFile(cfg, []byte("# edited by the operator\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			run(t, "make", append(args, "install")...)
			if got := readFile(t, cfg); got != "# edited by the operator\n" {
				t.Errorf("a second make install overwrote the config: %q", got)
			}

			run(t, "make", append(args, "uninstall")...)
			for f := range wantFiles {
				_, err := os.Stat(filepath.Join(dest, f))
				if kept := err == nil; kept != (f == "/etc/fgd/config.yaml") {
					t.Errorf("after uninstall %s exists = %v", f, kept)
				}
			}
		})
	}
}
