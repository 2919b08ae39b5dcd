package gitwrite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/fgdproject/fgd/sources/git/gitwrite"
)

// commitDir commits the directory dir as the whole tree on parent (nil: on
// a commit with an empty tree) in s and returns the commit.
func commitDir(t *testing.T, s *memory.Storage, parent *object.Commit, dir, key string) (*object.Commit, bool, error) {
	t.Helper()
	if parent == nil {
		empty := s.NewEncodedObject()
		if err := (&object.Tree{}).Encode(empty); err != nil {
			t.Fatal(err)
		}
		th, err := s.SetEncodedObject(empty)
		if err != nil {
			t.Fatal(err)
		}
		parent = &object.Commit{TreeHash: th}
	}
	h, ok, err := gitwrite.Commit(s, gitwrite.Change{
		Parent: parent, Path: ".", Dir: dir, Message: "fgd: test",
		Author: gitwrite.Author{Name: "fgd", Email: "fgd@example.invalid", When: time.Unix(1e9, 0).UTC(), SigningKeyFile: key},
	})
	if err != nil || !ok {
		return nil, ok, err
	}
	c, err := object.GetCommit(s, h)
	if err != nil {
		t.Fatal(err)
	}
	return c, ok, nil
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCommitOnlyWhenChanged: a tree equal to the parent's makes no commit;
// a change makes one on the parent, with fgd's lock file, temporary files
// and .git left out.
func TestCommitOnlyWhenChanged(t *testing.T) {
	s := memory.NewStorage()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "managed/vpcs/a.yaml"), "a\n")
	first, ok, err := commitDir(t, s, nil, dir, "")
	if err != nil || !ok {
		t.Fatalf("first commit: %v %v", ok, err)
	}
	write(t, filepath.Join(dir, ".hnp/lock"), "1234\n")
	write(t, filepath.Join(dir, ".git/config"), "x\n")
	if _, ok, err := commitDir(t, s, first, dir, ""); err != nil || ok {
		t.Fatalf("unchanged tree: committed %v, %v", ok, err)
	}
	write(t, filepath.Join(dir, "managed/vpcs/b.yaml"), "b\n")
	second, ok, err := commitDir(t, s, first, dir, "")
	if err != nil || !ok {
		t.Fatalf("changed tree: %v %v", ok, err)
	}
	if len(second.ParentHashes) != 1 || second.ParentHashes[0] != first.Hash {
		t.Errorf("parents %v, want %s", second.ParentHashes, first.Hash)
	}
	tree, err := second.Tree()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	_ = tree.Files().ForEach(func(f *object.File) error { files = append(files, f.Name); return nil })
	if strings.Join(files, ",") != "managed/vpcs/a.yaml,managed/vpcs/b.yaml" {
		t.Errorf("files %v", files)
	}
}

// TestCommitRefusesBadInput: no message, no parent and an unusable signing
// key are errors; the key's error never quotes the key.
func TestCommitRefusesBadInput(t *testing.T) {
	s := memory.NewStorage()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "a\n")
	if _, _, err := gitwrite.Commit(s, gitwrite.Change{Path: ".", Dir: dir, Message: "m"}); err == nil {
		t.Error("a commit without a parent was written")
	}
	if _, _, err := gitwrite.Commit(s, gitwrite.Change{Parent: &object.Commit{}, Path: ".", Dir: dir, Message: " \n"}); err == nil {
		t.Error("a commit without a message was written")
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("not-a-key-secret-xyzzy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := commitDir(t, s, nil, dir, key)
	var ke *gitwrite.KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("bad key: %v, want a *KeyError", err)
	}
	if strings.Contains(err.Error(), "xyzzy") {
		t.Errorf("the error quotes the key: %v", err)
	}
}
