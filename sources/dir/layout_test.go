package dir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		rel      string
		excluded bool
		work     bool // meaningful when not excluded
		temp     bool
	}{
		{rel: "raw/vpc.yaml", work: true},
		{rel: "raw/notes.txt", work: true},
		{rel: "raw/vpc.yaml~", work: true, temp: true},
		{rel: "raw/vpc.yaml.tmp", work: true, temp: true},
		{rel: "raw/vpc.yaml.swp", work: true, temp: true},
		{rel: "raw/.vpc.yaml.swp", excluded: true},
		{rel: "raw/.gitkeep", excluded: true},
		{rel: "raw/sub/vpc.yaml", work: true},
		{rel: "raw/sub/notes.txt"},
		{rel: "stray.yaml", work: true},
		{rel: "stray.yml", work: true},
		{rel: "STRAY.YAML", work: true},
		{rel: "stray.Yml", work: true},
		{rel: "README.md"},
		{rel: "site/dc1/wiring.yaml", work: true},
		{rel: "managed", excluded: true},
		{rel: "managed/vpcs/vpc-1.yaml", excluded: true},
		{rel: "unmanaged/bad.yaml", excluded: true},
		{rel: ".hnp/archive/x.yaml", excluded: true},
		{rel: ".git/objects/ab/cd", excluded: true},
		{rel: "site/.cache/x.yaml", excluded: true},
		{rel: "site/managed/x.yaml", work: true}, // only the FGD's own managed/ is fgd's
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			rel := filepath.FromSlash(tt.rel)
			if got := excluded(rel); got != tt.excluded {
				t.Errorf("excluded = %v, want %v", got, tt.excluded)
			}
			if tt.excluded {
				return
			}
			if got := isWork(rel); got != tt.work {
				t.Errorf("isWork = %v, want %v", got, tt.work)
			}
			if got := isTempName(filepath.Base(rel)); got != tt.temp {
				t.Errorf("isTempName = %v, want %v", got, tt.temp)
			}
		})
	}
}

func TestPending(t *testing.T) {
	tests := []struct {
		name    string
		files   []string // created with YAML content; a trailing "/" makes a folder
		links   []string // symlinks to a file outside the FGD
		want    bool
		wantErr bool
	}{
		{name: "empty FGD", files: []string{"raw/", "managed/vpcs/", "unmanaged/", ".hnp/archive/"}},
		{name: "only fgd's own files", files: []string{"raw/.gitkeep", "managed/vpcs/a.yaml", "unmanaged/b.yaml", ".hnp/archive-log.yaml", ".git/x.yaml", "README.md"}},
		{name: "file in raw", files: []string{"raw/notes.txt"}, want: true},
		{name: "temp file left in raw", files: []string{"raw/x.yaml~"}, want: true},
		{name: "stray YAML deep down", files: []string{"a/b/c/d/x.yml"}, want: true},
		{name: "YAML in a dot-folder", files: []string{"a/.b/x.yaml"}},
		{name: "symlink in raw", files: []string{"raw/"}, links: []string{"raw/link"}, want: true},
		{name: "symlinked folder is not followed", files: []string{"raw/"}, links: []string{"linked-dir"}},
		{name: "missing root", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outside := t.TempDir()
			root := filepath.Join(t.TempDir(), "fgd")
			if tt.files != nil || tt.links != nil {
				mustMkdir(t, root)
			}
			for _, f := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(f))
				if f[len(f)-1] == '/' {
					mustMkdir(t, p)
					continue
				}
				mustMkdir(t, filepath.Dir(p))
				mustWrite(t, p, vpcYAML)
			}
			// The symlinked folder points at a folder holding work.
			mustWrite(t, filepath.Join(outside, "x.yaml"), vpcYAML)
			for _, l := range tt.links {
				target := filepath.Join(outside, "x.yaml")
				if filepath.Base(l) == "linked-dir" {
					target = outside
				}
				if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(l))); err != nil {
					t.Fatal(err)
				}
			}
			w, err := New(root, func(string) {}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.Pending()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Pending error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Pending = %v, want %v", got, tt.want)
			}
		})
	}
}
