package main

import (
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/internal/testutil/testdocs"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

var crashSeed = flag.Uint64("crash.seed", 0, "seed of TestIngestCrashSafety's kill instants (0: a new one)")

// TestIngestCrashSafety is acceptance point 4: `fgd ingest` SIGKILLed at
// random instants, then re-run, always reaches the tree of an uninterrupted
// run, losing nothing and leaving no temp file or truncated YAML. The FGD
// starts with an archive log of crashLogRecords records in one file, as
// fgd kept it before segments, so every run rolls it into segments (before
// ingesting, and again once the new records push it over 1,000), and the
// inputs include names long enough to be shortened (a 253-character VPC
// name, a rejected file whose sidecar name would exceed 255 bytes).
func TestIngestCrashSafety(t *testing.T) {
	bin := daemontest.Build(t)
	base := t.TempDir()
	tmpl := filepath.Join(base, "template")
	generateInputs(t, tmpl, 200)
	gittest.WriteFiles(t, tmpl, map[string]string{
		"raw/" + strings.Repeat("l", 250) + ".yaml": testdocs.VPC(strings.Repeat("v", 253)),
		"raw/" + strings.Repeat("m", 250) + ".yaml": "kind: [unclosed\n",
		".hnp/archive-log.yaml":                     crashArchiveLog(crashLogRecords),
	})

	ref := filepath.Join(base, "ref")
	copyTree(t, tmpl, ref)
	start := time.Now()
	if code, out, errOut := runFGD(t, bin, "ingest", ref, "--fabric", "crash"); code != 0 {
		t.Fatalf("uninterrupted ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	full := time.Since(start)
	want := snapshot(t, ref, false)
	checkHandled(t, tmpl, ref)
	checkLogParses(t, ref)

	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("crash seed %d (replay with -crash.seed=%d); uninterrupted run took %s", seed, seed, full)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	trials := 50
	if testing.Short() {
		trials = 10
	}
	killedMidway := 0
	for i := 0; i < trials; i++ {
		dir := filepath.Join(base, "trial", fmt.Sprintf("%03d", i))
		copyTree(t, tmpl, dir)
		delay := time.Duration(rng.Int64N(int64(full) + 1))
		cmd := exec.Command(bin, "ingest", dir, "--fabric", "crash")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
			cmd.Process.Kill()
			<-exited
			killedMidway++
		case <-exited:
			timer.Stop()
		}
		if code, out, errOut := runFGD(t, bin, "ingest", dir, "--fabric", "crash"); code != 0 {
			t.Fatalf("trial %d (kill after %s): re-run exit %d\n%s\n%s", i, delay, code, out, errOut)
		}
		checkNoTempNoTruncated(t, dir)
		if d := snapshotDiff(want, snapshot(t, dir, false)); d != "" {
			t.Fatalf("trial %d (seed %d, kill after %s): tree differs from an uninterrupted run:\n%s", i, seed, delay, d)
		}
		checkHandled(t, tmpl, dir)
		os.RemoveAll(dir)
	}
	t.Logf("%d trials, %d killed before they finished", trials, killedMidway)
}

var docName = regexp.MustCompile(`(?m)^  name: (\S+)$`)

// checkNoTempNoTruncated: no temp file anywhere, every managed file parses.
func checkNoTempNoTruncated(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(d.Name(), ".fgd-tmp-") {
			t.Errorf("temp file left: %s", p)
		}
		rel, _ := filepath.Rel(root, p)
		if !d.IsDir() && strings.HasPrefix(rel, "managed/") && strings.HasSuffix(rel, ".yaml") {
			b, _ := os.ReadFile(p)
			var m map[string]any
			if err := yaml.Unmarshal(b, &m); err != nil || m["spec"] == nil && m["kind"] == nil {
				t.Errorf("managed file %s does not parse as a resource: %v", rel, err)
			}
		}
		return nil
	})
}

// checkHandled: raw/ holds nothing but .gitkeep, and every original of the
// template is byte for byte in .hnp/archive/ or whole in unmanaged/; every
// document of it is in managed/ or unmanaged/ (the reference run checks
// that by outcome: archived originals' rejected documents are in unmanaged/).
func checkHandled(t *testing.T, tmpl, root string) {
	t.Helper()
	es, _ := os.ReadDir(filepath.Join(root, "raw"))
	for _, e := range es {
		if e.Name() != ".gitkeep" {
			t.Errorf("raw/%s left after ingest", e.Name())
		}
	}
	stored := map[string]bool{}
	for _, d := range []string{".hnp/archive", "unmanaged"} {
		es, _ := os.ReadDir(filepath.Join(root, d))
		for _, e := range es {
			b, _ := os.ReadFile(filepath.Join(root, d, e.Name()))
			stored[string(b)] = true
		}
	}
	orig, _ := os.ReadDir(filepath.Join(tmpl, "raw"))
	for _, e := range orig {
		b, _ := os.ReadFile(filepath.Join(tmpl, "raw", e.Name()))
		if !stored[string(b)] {
			t.Errorf("original raw/%s is neither archived nor in unmanaged/", e.Name())
		}
	}
	// Every input document, by its name, is in managed/ or unmanaged/.
	var out strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		if err == nil && !d.IsDir() && (strings.HasPrefix(rel, "managed/") || strings.HasPrefix(rel, "unmanaged/")) {
			b, _ := os.ReadFile(p)
			out.Write(b)
		}
		return nil
	})
	for _, e := range orig {
		b, _ := os.ReadFile(filepath.Join(tmpl, "raw", e.Name()))
		for _, m := range docName.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(out.String(), "name: "+m[1]+"\n") {
				t.Errorf("document %s of raw/%s is in neither managed/ nor unmanaged/", m[1], e.Name())
			}
		}
	}
	// The archive log, segments first, holds the records it started with,
	// in order, then one per original. (Counted by their first lines; the
	// reference run's log is decoded as YAML by checkLogParses, and every
	// trial's must equal it.)
	logs, _ := filepath.Glob(filepath.Join(root, ".hnp/archive-log", "*.yaml"))
	var paths []string
	for _, p := range append(logs, filepath.Join(root, ".hnp/archive-log.yaml")) {
		b, _ := os.ReadFile(p)
		for _, m := range recordPath.FindAllSubmatch(b, -1) {
			paths = append(paths, string(m[1]))
		}
	}
	if len(paths) != crashLogRecords+len(orig) {
		t.Errorf("archive log: %d records, want %d earlier ones and one for each of %d originals", len(paths), crashLogRecords, len(orig))
		return
	}
	for i := range crashLogRecords {
		if paths[i] != fmt.Sprintf("raw/old-%05d.yaml", i) {
			t.Errorf("archive log record %d is %s: the earlier records are out of order", i, paths[i])
			return
		}
	}
}

var recordPath = regexp.MustCompile(`(?m)^- path: (.*)$`)

// checkLogParses: every file of root's archive log is a YAML list of
// records with a path, a sha256 and an outcome.
func checkLogParses(t *testing.T, root string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(root, ".hnp/archive-log", "*.yaml"))
	if len(logs) == 0 {
		t.Error("the archive log was not rolled into segments")
	}
	for _, p := range append(logs, filepath.Join(root, ".hnp/archive-log.yaml")) {
		b, _ := os.ReadFile(p)
		var recs []map[string]any
		if err := yaml.Unmarshal(b, &recs); err != nil || len(recs) == 0 {
			t.Errorf("%s: %d records (%v)", p, len(recs), err)
		}
		for _, r := range recs {
			if r["path"] == nil || r["sha256"] == nil || r["outcome"] == nil {
				t.Errorf("%s: incomplete record %v", p, r)
				break
			}
		}
	}
}

// crashLogRecords is the length of the archive log TestIngestCrashSafety
// starts with: over 1,000, so the first sync rolls it.
const crashLogRecords = 1990

// crashArchiveLog is an archive log of n records in one file, in fgd's
// record shape.
func crashArchiveLog(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- path: raw/old-%05d.yaml\n  sha256: %064x\n  archived_as: .hnp/archive/old-%05d.yaml\n  documents: 1\n  outcome: ingested\n  when: \"2025-06-01T00:00:00Z\"\n", i, i, i)
	}
	return b.String()
}
