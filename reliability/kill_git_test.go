package reliability

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// This file holds the soak's git plumbing: reading a remote's history and
// tree, and pushing inputs to it as someone else.

// killGitLog reads the commits of a bare repository that git log revs
// lists ("refs/heads/main", "^<hash>"), newest first.
func killGitLog(repo string, revs ...string) ([]killCommit, error) {
	args := append([]string{"log", "--no-abbrev", "--no-renames", "--raw", "--format=%x01%H%x02%P%x02%T%x02%an"}, revs...)
	out, err := gittest.RunGit(repo, args...)
	if err != nil {
		return nil, err
	}
	var commits []killCommit
	for _, rec := range strings.Split(out, "\x01")[1:] {
		lines := strings.Split(rec, "\n")
		head := strings.Split(lines[0], "\x02")
		if len(head) != 4 {
			return nil, fmt.Errorf("git log: unexpected line %q", lines[0])
		}
		c := killCommit{Hash: head[0], Parents: strings.Fields(head[1]), Tree: head[2], Author: head[3]}
		for _, l := range lines[1:] {
			// :100644 100644 <old> <new> M\t<path>
			meta, p, ok := strings.Cut(l, "\t")
			f := strings.Fields(meta)
			if !ok || len(f) != 5 || !strings.HasPrefix(f[0], ":") {
				continue
			}
			c.Changes = append(c.Changes, killChange{Status: f[4], Path: p, Blob: f[3]})
		}
		commits = append(commits, c)
	}
	return commits, nil
}

// killRemoteFiles reads the files below prefix at rev of a repository,
// with paths relative to prefix: one ls-tree, and one cat-file --batch for
// the blobs not in blobs (hash → content, filled in; nil reads them all).
func killRemoteFiles(repo, rev, prefix string, blobs map[string]string) (killFiles, error) {
	ls, err := gittest.RunGit(repo, "ls-tree", "-r", "-z", "--full-tree", rev, "--", prefix+"/")
	if err != nil {
		return nil, err
	}
	if blobs == nil {
		blobs = map[string]string{}
	}
	paths := map[string]string{} // path → blob
	var missing []string
	var in bytes.Buffer
	for _, e := range strings.Split(ls, "\x00") {
		meta, p, ok := strings.Cut(e, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" {
			continue
		}
		paths[strings.TrimPrefix(p, prefix+"/")] = f[2]
		if _, known := blobs[f[2]]; !known {
			missing = append(missing, f[2])
			in.WriteString(f[2] + "\n")
		}
	}
	if len(missing) > 0 {
		cmd := exec.Command("git", "cat-file", "--batch")
		cmd.Dir, cmd.Env, cmd.Stdin = repo, gittest.Env(repo), &in
		raw, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git cat-file --batch in %s: %w", repo, err)
		}
		rd := bufio.NewReader(bytes.NewReader(raw))
		for _, h := range missing {
			hdr, err := rd.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("git cat-file %s: %w", h, err)
			}
			f := strings.Fields(hdr)
			if len(f) != 3 || f[0] != h {
				return nil, fmt.Errorf("git cat-file: unexpected header %q for %s", hdr, h)
			}
			size, _ := strconv.Atoi(f[2])
			body := make([]byte, size+1) // the content and its newline
			if _, err := io.ReadFull(rd, body); err != nil {
				return nil, fmt.Errorf("git cat-file %s: %w", h, err)
			}
			blobs[h] = string(body[:size])
		}
	}
	files := killFiles{}
	for p, h := range paths {
		files[p] = blobs[h]
	}
	return files, nil
}

// killPush commits files to the remote's branch as someone other than fgd,
// with the effect of a push: the commit is built in the bare repository
// (git fast-import, on the branch's head) and the branch moves to it only
// if it is still at that head (update-ref's compare-and-swap); when fgd
// pushed in between, the commit is built again on fgd's head, so no push
// is ever lost. (Remote.Change fails the test when fgd pushes between its
// clone and its push, and costs a clone per input.)
func killPush(r *gittest.Remote, files map[string]string, message string) (string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	const tmpRef = "refs/fgdtest/incoming"
	var lastErr error
	for range 20 {
		old, err := gittest.RunGit(r.Dir(), "rev-parse", "refs/heads/"+r.Branch)
		if err != nil {
			return "", err
		}
		var in bytes.Buffer
		fmt.Fprintf(&in, "commit %s\ncommitter %s <%s> %d +0000\ndata %d\n%s\nfrom %s\n",
			tmpRef, gittest.AuthorName, gittest.AuthorEmail, time.Now().Unix(), len(message), message, old)
		for _, p := range paths {
			fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
		}
		cmd := exec.Command("git", "fast-import", "--quiet", "--force")
		cmd.Dir, cmd.Env, cmd.Stdin = r.Dir(), gittest.Env(r.Root), &in
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("git fast-import: %v: %s", err, out)
		}
		h, err := gittest.RunGit(r.Dir(), "rev-parse", tmpRef)
		if err != nil {
			return "", err
		}
		if _, lastErr = gittest.RunGit(r.Dir(), "update-ref", "refs/heads/"+r.Branch, h, old); lastErr == nil {
			_, err := gittest.RunGit(r.Dir(), "update-ref", "-d", tmpRef)
			return h, err
		}
	}
	return "", fmt.Errorf("the branch kept moving: %w", lastErr)
}

// history returns the remote branch's history, newest first. When the
// branch only grew since the last call, only the new commits are read.
func (f *killFabric) history() ([]killCommit, error) {
	branch := "refs/heads/" + killBranch
	if f.head != "" {
		newer, err := killGitLog(f.remote.Dir(), branch, "^"+f.head)
		if err != nil {
			return nil, err
		}
		if len(newer) == 0 {
			head, err := gittest.RunGit(f.remote.Dir(), "rev-parse", branch)
			if err != nil {
				return nil, err
			}
			if head == f.head {
				return f.commits, nil
			}
		} else if p := newer[len(newer)-1].Parents; len(p) == 1 && p[0] == f.head {
			f.commits, f.head = append(newer, f.commits...), newer[0].Hash
			return f.commits, nil
		}
		// The branch went back or sideways: read it all again.
	}
	all, err := killGitLog(f.remote.Dir(), branch)
	if err != nil || len(all) == 0 {
		return all, err
	}
	f.commits, f.head = all, all[0].Hash
	return all, nil
}
