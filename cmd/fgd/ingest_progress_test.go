package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIngestProgressBarRenders(t *testing.T) {
	tests := []struct {
		done, total, width int
		want               string
	}{
		{0, 200, 10, "[..........] 0/200 files"},
		{120, 200, 10, "[######....] 120/200 files"},
		{199, 200, 10, "[#########.] 199/200 files"},
		{200, 200, 10, "[##########] 200/200 files"},
		{1, 3, 3, "[#..] 1/3 files"},
		{0, 0, 4, "[....] 0/0 files"},
		{5, 3, 3, "[###] 3/3 files"},
		{-1, 3, 3, "[...] 0/3 files"},
	}
	for _, tt := range tests {
		if got := progressBar(tt.done, tt.total, tt.width); got != tt.want {
			t.Errorf("progressBar(%d, %d, %d) = %q, want %q", tt.done, tt.total, tt.width, got, tt.want)
		}
	}
}

// The bar is redrawn only when a cell fills: 1,000 files are not 1,000
// terminal writes.
func TestIngestProgressBarRedrawsPerCell(t *testing.T) {
	var b bytes.Buffer
	bar := newFileBar(&b, true)
	for i := 1; i <= 1000; i++ {
		bar.onFile(i, 1000)
	}
	bar.finish()
	out := b.String()
	// The first file draws the empty bar, then one redraw per cell.
	if n := strings.Count(out, "\r"); n != barWidth+1 {
		t.Errorf("%d redraws for 1000 files, want one per cell and the first (%d)", n, barWidth+1)
	}
	if !strings.HasSuffix(out, "\r"+progressBar(1000, 1000, barWidth)+"\n") {
		t.Errorf("the bar does not end full on its own line: %q", out[max(0, len(out)-80):])
	}
	var none *fileBar = newFileBar(&b, false)
	none.finish() // a nil bar is safe to finish
	if none != nil {
		t.Error("newFileBar(off) is not nil")
	}
}

// fgd ingest draws its bar on a terminal's stderr only: not into a pipe or
// file, and not with --output json.
func TestIngestProgressBarOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		args    []string
		wantBar bool
	}{
		{"not a terminal", false, nil, false},
		{"terminal", true, nil, true},
		{"terminal, json", true, []string{"--output", "json"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i := range 3 {
				writeRaw(t, filepath.Join(dir, "raw", fmt.Sprintf("vpc-%d.yaml", i)), fmt.Sprintf(vpcTemplate, i))
			}
			var stdout bytes.Buffer
			var stderr string
			if tt.tty {
				stderr = onTerminal(t, func(w io.Writer) {
					if code := cmdIngest(append([]string{dir}, tt.args...), &stdout, w); code != 0 {
						t.Errorf("fgd ingest exit %d\n%s", code, stdout.String())
					}
				})
			} else {
				var b bytes.Buffer
				if code := cmdIngest(append([]string{dir}, tt.args...), &stdout, &b); code != 0 {
					t.Fatalf("fgd ingest exit %d\n%s%s", code, stdout.String(), b.String())
				}
				stderr = b.String()
				if strings.Contains(stderr, "\r") {
					t.Errorf("stderr off a terminal has a carriage return: %q", stderr)
				}
			}
			if got := strings.Contains(stderr, "\r[##############################] 3/3 files"); got != tt.wantBar {
				t.Errorf("bar drawn = %v, want %v; stderr %q", got, tt.wantBar, stderr)
			}
			if !strings.Contains(stdout.String(), "3") {
				t.Errorf("stdout lacks the report: %q", stdout.String())
			}
		})
	}
}

const vpcTemplate = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-%d
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
      vlan: 1001
`

func writeRaw(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// onTerminal runs fn with the terminal side of a real pseudo-terminal and
// returns what fn wrote to it.
func onTerminal(t *testing.T, fn func(w io.Writer)) string {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals on this machine (%v): cannot test the terminal progress bar", err)
	}
	defer m.Close()
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pty's terminal side (%v): cannot test the terminal progress bar", err)
	}
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, m) // ends with EIO once the terminal side is closed
		got <- b.String()
	}()
	fn(s)
	s.Close()
	return <-got
}
