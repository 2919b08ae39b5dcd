package gittest_test

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The server works for git (clone, push), and a push cut short (its client
// killed mid-body) leaves no git http-backend running: the server closes
// promptly after it.
func TestHTTPServerSurvivesACutPush(t *testing.T) {
	gittest.RequireGit(t)
	root := t.TempDir()
	gittest.NewRemote(t, root, "g.git", "main", map[string]string{"a": "b"})
	srv := gittest.NewHTTPServer(t, root, "u", "p")
	u, err := url.Parse(srv.URL("g.git"))
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "work")
	withAuth := *u
	withAuth.User = url.UserPassword("u", "p")
	gittest.Git(t, filepath.Dir(work), "clone", "--quiet", withAuth.String(), work)
	if err := os.WriteFile(filepath.Join(work, "c"), []byte("d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work, "add", "--all")
	gittest.Git(t, work, "commit", "--quiet", "-m", "a change")
	gittest.Git(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
	if n := srv.ReceivePack.Load(); n != 1 {
		t.Fatalf("%d pushes reached the server, want 1", n)
	}

	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST %s/git-receive-pack HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\n"+
		"Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n0000PACK",
		u.Path, u.Host, base64.StdEncoding.EncodeToString([]byte("u:p")))
	<-time.After(200 * time.Millisecond) // the cut body is on its way
	c.Close()
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the git server did not close within 20 s of a push cut short: git http-backend is still reading the body")
	}
	if n := srv.ReceivePack.Load(); n != 1 {
		t.Errorf("the cut push reached git (%d pushes counted, want 1)", n)
	}
}

// The server counts the bytes it sends: a clone's upload-pack answer holds
// the whole pack the clone stores, plus a little framing.
func TestHTTPServerCountsBytesSent(t *testing.T) {
	gittest.RequireGit(t)
	root := t.TempDir()
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("f/%03d.yaml", i)] = fmt.Sprintf("name: file-%d\nvalue: %d\n", i, i*7919)
	}
	gittest.NewRemote(t, root, "g.git", "main", files)
	srv := gittest.NewHTTPServer(t, root, "", "")
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, filepath.Dir(work), "clone", "--quiet", srv.URL("g.git"), work)
	packs, err := filepath.Glob(filepath.Join(work, ".git", "objects", "pack", "*.pack"))
	if err != nil || len(packs) != 1 {
		t.Fatalf("the clone has packs %v (%v), want one", packs, err)
	}
	fi, err := os.Stat(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	infoRefs, uploadPack := srv.Sent()
	if infoRefs <= 0 {
		t.Errorf("%d bytes counted for the ref advertisement", infoRefs)
	}
	if uploadPack < fi.Size() || uploadPack > fi.Size()+4096 {
		t.Errorf("%d bytes counted for the clone's upload-pack, its pack is %d bytes", uploadPack, fi.Size())
	}
}
