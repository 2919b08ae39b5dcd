package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
)

// filesHolding returns the files directly in dir whose content holds every
// one of subs.
func filesHolding(dir string, subs ...string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
next:
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, s := range subs {
			if !strings.Contains(string(b), s) {
				continue next
			}
		}
		out = append(out, e.Name())
	}
	return out
}

// A process that writes a document into raw/, pauses with the file still
// open, then writes two more and closes it (`cat > raw/x.yaml` typed by
// hand) loses nothing, with the default debounce: each document ends in
// managed/ or unmanaged/, and the archived original holds all three.
func TestPausingWriterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	cfg, port := daemontest.Config(t, dir, `fabrics:
  - name: lab
    source:
      dir: {path: lab, rescan_interval: 1h}
`)
	lab := filepath.Join(dir, "lab")
	if err := os.MkdirAll(filepath.Join(lab, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz 200", 2*time.Minute, func() bool { c, _ := d.Get("/readyz"); return c == 200 })

	pauses := map[string]time.Duration{"p100ms": 100 * time.Millisecond, "p1s": time.Second, "p5s": 5 * time.Second}
	// The third document is not a fabric resource: it goes to unmanaged/.
	rejected := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	var wg sync.WaitGroup
	for name, pause := range pauses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Create(filepath.Join(lab, "raw", name+".yaml"))
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			write := func(s string) {
				if _, err := f.WriteString(s); err != nil {
					t.Error(err)
				}
			}
			write(fmt.Sprintf(e2eVPC, name+"-1") + "---\n")
			time.Sleep(pause)
			write(fmt.Sprintf(e2eVPC, name+"-2") + "---\n")
			write(fmt.Sprintf(rejected, name+"-3"))
			if err := f.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	for name := range pauses {
		d.WaitFor(name+"'s documents in managed/ and unmanaged/, its original archived", 2*time.Minute, func() bool {
			return fileExists(filepath.Join(lab, "managed", "vpcs", name+"-1.yaml")) &&
				fileExists(filepath.Join(lab, "managed", "vpcs", name+"-2.yaml")) &&
				len(filesHolding(filepath.Join(lab, "unmanaged"), "name: "+name+"-3")) > 0 &&
				len(filesHolding(filepath.Join(lab, ".hnp", "archive"), "name: "+name+"-1\n", "name: "+name+"-2\n", "name: "+name+"-3\n")) > 0 &&
				!fileExists(filepath.Join(lab, "raw", name+".yaml"))
		})
	}
}

// `fgd ingest` leaves a file that a process holds open for writing where it
// is and says so, naming the writer; it takes it once the writer closed it.
func TestIngestDefersFileHeldOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs fgd")
	}
	bin := daemontest.Build(t)
	root := t.TempDir()
	dropVPC(t, root, "vpc-1")
	f, err := os.OpenFile(filepath.Join(root, "raw", "vpc-1.yaml"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code, out, errOut := runFGD(t, bin, "ingest", root)
	if code != 0 || !strings.Contains(out, "deferred raw/vpc-1.yaml: open for writing by ") {
		t.Fatalf("fgd ingest with a writer = %d\n%s%s\nwant exit 0 and the file deferred, naming its writer", code, out, errOut)
	}
	if fileExists(filepath.Join(root, "managed", "vpcs", "vpc-1.yaml")) {
		t.Fatal("a file held open for writing was ingested")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runFGD(t, bin, "ingest", root); code != 0 || !fileExists(filepath.Join(root, "managed", "vpcs", "vpc-1.yaml")) {
		t.Fatalf("fgd ingest after the writer closed = %d\n%s%s\nwant vpc-1 ingested", code, out, errOut)
	}
}
