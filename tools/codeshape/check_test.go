package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	small := limits{funcLines: 5, fileLines: 20}
	tests := []struct {
		name string
		dir  string
		want []string // "file:line what lines/limit"
	}{
		{name: "nothing over", dir: "clean"},
		{
			name: "functions and methods over, one at the limit and a test file not",
			dir:  "funcs",
			want: []string{
				"a.go:11 func over 6/5",
				"b.go:7 func (*T).Ptr 7/5",
				"b.go:15 func T.Val 6/5",
				"b.go:22 func (*G).Gen 6/5",
			},
		},
		{
			name: "a file over",
			dir:  "bigfile",
			want: []string{"big.go:1 file 21/20"},
		},
		{name: "nested modules, testdata, hidden and underscore folders not looked at", dir: "skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := small
			if tt.dir == "funcs" {
				lim.fileLines = 100 // the functions only
			}
			found, err := check(filepath.Join("testdata", tt.dir), lim)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range found {
				got = append(got, fmt.Sprintf("%s:%d %s %d/%d", f.file, f.line, f.what, f.lines, f.limit))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("check(%s) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}

// brokenTree is a folder holding bad.go, which does not parse; it is
// written at run time, as gofmt would refuse it in testdata/.
func brokenTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package broken\n\nfunc f( {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckNamesAFileThatDoesNotParse(t *testing.T) {
	_, err := check(brokenTree(t), limits{funcLines: 80, fileLines: 500})
	if err == nil || !strings.Contains(err.Error(), "bad.go") {
		t.Fatalf("err = %v, want one naming bad.go", err)
	}
}

func TestLineCount(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want int
	}{{"", 0}, {"a", 1}, {"a\n", 1}, {"a\nb", 2}, {"a\n\n", 2}} {
		if got := lineCount([]byte(tt.src)); got != tt.want {
			t.Errorf("lineCount(%q) = %d, want %d", tt.src, got, tt.want)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		mention string
	}{
		{[]string{filepath.Join("testdata", "clean")}, 0, "no function over 80 lines"},
		{[]string{"-func-lines", "5", filepath.Join("testdata", "funcs")}, 1, "(*T).Ptr"},
		{[]string{"-file-lines", "20", filepath.Join("testdata", "bigfile")}, 1, "big.go:1"},
		{[]string{brokenTree(t)}, 2, "bad.go"},
		{[]string{"a", "b"}, 2, "usage"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String()+errOut.String(), tt.mention) {
			t.Errorf("run(%q) = %d, output %q%q; want %d mentioning %q", tt.args, code, out.String(), errOut.String(), tt.code, tt.mention)
		}
	}
}
