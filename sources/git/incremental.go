package git

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Why fetches after the first one do not go through go-git's Fetch:
// asked for depth 1, the server cuts the new head's parents, so the commit
// the clone has is no longer an edge of what it sends, and it sends the
// head's whole tree again (every file of the repository for one changed
// file). Without a depth, go-git neither tells the server where the clone is
// shallow nor accepts a thin pack (deltas against objects the clone has), so
// each changed directory's tree would come whole. fetchNew asks as `git
// fetch` does in a shallow clone: the clone's shallow commits, its commits
// as haves, no depth, a thin pack; the server then sends the new commits,
// the changed trees and files, as deltas where it can. History grows by the
// commits fetched until compact cuts it back to the head.

// haveWalk is how many commits below each of the clone's tips are offered
// as haves: enough for a remote that went back a few commits.
const haveWalk = 32

// errNoCommonBase is an incremental fetch that found nothing in common with
// the remote (a rewritten branch): the server would send the new branch's
// whole history, so a shallow fetch is made instead.
var errNoCommonBase = errors.New("the remote branch shares no commit with the clone")

// errNotIncremental is an incremental fetch that failed past the network:
// the remote's answer could not be used (a server without shallow support,
// a pack go-git cannot read). The head is then fetched as by the first
// fetch, which reports its own errors.
var errNotIncremental = errors.New("the incremental fetch failed")

// fetchNew brings the remote branch's head into a clone that holds a
// commit, sending only what is new, and points the tracking ref at it.
// Callers hold r.mu.
func (r *Repo) fetchNew(ctx context.Context, auth transport.AuthMethod) (plumbing.Hash, error) {
	cl, err := client.NewClient(r.endpoint)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	sess, err := cl.NewUploadPackSession(r.endpoint, auth)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	head, ok := ar.References[r.branchRef().String()]
	if !ok {
		return plumbing.ZeroHash, errBranchNotFound{r.o.Branch}
	}
	if c, err := r.commit(head); err != nil || c != nil {
		return head, errors.Join(err, r.setRef(r.trackingRef(), head))
	}
	req, err := r.uploadRequest(ar.Capabilities, head)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %w", errNotIncremental, err)
	}
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer resp.Close()
	if len(resp.ACKs) == 0 {
		return plumbing.ZeroHash, errNoCommonBase
	}
	if err := r.storeThinPack(buildSideband(req.Capabilities, resp)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: store the fetched objects: %w", errNotIncremental, err)
	}
	if c, err := r.commit(head); err != nil || c == nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: the fetched objects lack the head %s", errNotIncremental, head)
	}
	return head, r.setRef(r.trackingRef(), head)
}

// uploadRequest asks for head, with the clone's shallow commits and recent
// commits, and a thin pack.
func (r *Repo) uploadRequest(adv *capability.List, head plumbing.Hash) (*packp.UploadPackRequest, error) {
	req := packp.NewUploadPackRequestFromCapabilities(adv)
	req.Wants = []plumbing.Hash{head}
	shallows, err := r.repo.Storer.Shallow()
	if err != nil {
		return nil, fmt.Errorf("read the clone's shallow commits: %w", err)
	}
	if len(shallows) > 0 {
		if !adv.Supports(capability.Shallow) {
			return nil, errors.New("the remote does not support shallow clones")
		}
		req.Shallows = shallows
		_ = req.Capabilities.Set(capability.Shallow)
	}
	// go-git's transports drop thin-pack from what the server advertises,
	// as go-git cannot store a thin pack; storeThinPack can. Every git
	// server sends thin packs.
	_ = req.Capabilities.Set(capability.ThinPack)
	if adv.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	req.Haves = r.haves(shallows)
	return req, nil
}

// haves are the clone's tips (tracking, branch, last verified) and up to
// haveWalk commits below each, never below a shallow commit: the clone
// may hold commits there (left by a compaction cut short) without their
// trees, and the server sends nothing it is told the clone has.
func (r *Repo) haves(shallows []plumbing.Hash) []plumbing.Hash {
	shallow := map[plumbing.Hash]bool{}
	for _, h := range shallows {
		shallow[h] = true
	}
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	for _, name := range []plumbing.ReferenceName{r.trackingRef(), r.branchRef(), verifiedRef} {
		queue := []plumbing.Hash{r.ref(name)}
		for n := 0; len(queue) > 0 && n < haveWalk; n++ {
			h := queue[0]
			queue = queue[1:]
			c, err := r.commit(h)
			if err != nil || c == nil || seen[h] {
				continue
			}
			seen[h] = true
			out = append(out, h)
			if !shallow[h] {
				queue = append(queue, c.ParentHashes...)
			}
		}
	}
	return out
}

// storeThinPack reads a pack whose deltas may have bases in the clone, and
// stores its objects whole. Commits are stored last: a write cut short
// (a crash, a full disk) leaves no commit whose tree is missing, so the
// next sync fetches again instead of reading a broken head.
func (r *Repo) storeThinPack(pack io.Reader) error {
	mem := &overlay{Storage: memory.NewStorage(), base: r.repo.Storer}
	p, err := packfile.NewParserWithStorage(packfile.NewScanner(pack), mem)
	if err != nil {
		return err
	}
	if _, err := p.Parse(); err != nil {
		return err
	}
	var commits []plumbing.EncodedObject
	for _, o := range mem.Objects {
		if o.Type() == plumbing.CommitObject {
			commits = append(commits, o)
			continue
		}
		if _, err := r.repo.Storer.SetEncodedObject(o); err != nil {
			return err
		}
	}
	for _, o := range commits {
		if _, err := r.repo.Storer.SetEncodedObject(o); err != nil {
			return err
		}
	}
	return nil
}

// overlay keeps a pack's objects in memory and reads the bases of its
// deltas from the clone.
type overlay struct {
	*memory.Storage
	base storer.EncodedObjectStorer
}

func (o *overlay) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if obj, err := o.Storage.EncodedObject(t, h); err == nil {
		return obj, nil
	}
	return o.base.EncodedObject(t, h)
}

// buildSideband demultiplexes the pack from the server's progress
// messages when the request asked for a side band.
func buildSideband(caps *capability.List, resp *packp.UploadPackResponse) io.Reader {
	switch {
	case caps.Supports(capability.Sideband64k):
		return sideband.NewDemuxer(sideband.Sideband64k, resp)
	case caps.Supports(capability.Sideband):
		return sideband.NewDemuxer(sideband.Sideband, resp)
	}
	return resp
}
