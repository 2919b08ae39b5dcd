package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// Issue codes of this package, beside resource's.
const (
	CodeNotYAML      = "not-yaml"      // a file in raw/ whose name is not *.yaml / *.yml
	CodeSymlink      = "symlink"       // a symlink: never followed
	CodeSpecial      = "special-file"  // a FIFO, socket or device: never opened
	CodeUnreadable   = "unreadable"    // cannot be opened or read
	CodePathConflict = "path-conflict" // another identity holds the managed file
	CodeBadPath      = "bad-path"      // the resource's managed path would leave its folder
)

// examined is one input after the parallel read, parse and validate stage.
type examined struct {
	c   candidate
	sum fgd.Sum
	// data is the file's content; nil when the file is not held in memory
	// (too large, not YAML: it is copied from the source when written).
	data      []byte
	stream    bool
	linkTo    string          // for a symlink: its target, never read
	fileIssue *resource.Issue // the whole file is rejected
	docs      []docResult     // documents with content, in file order
	fatal     *ErrorItem      // cannot be read or moved: left in place
}

// docResult is one document with content.
type docResult struct {
	index, line int
	raw         []byte
	issues      []resource.Issue // rejected when not empty
	res         *resolved        // the valid resource otherwise
}

// resolved is a valid, normalized resource.
type resolved struct {
	id    resource.Identity
	key   string
	path  string // managed path below the FGD
	bytes []byte
}

// examineAll runs examine over cands with workers goroutines; result i is
// cands[i]'s, whatever the scheduling.
func examineAll(ctx context.Context, root string, cands []candidate, reg *resource.Registry, o Options) []examined {
	out := make([]examined, len(cands))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(o.Workers, len(cands)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				release := o.Gate()
				out[i] = examine(root, cands[i], reg, o)
				release()
			}
		}()
	}
feed:
	for i := range cands {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out
}

// examine reads, parses, validates and normalizes one input. What it cannot
// read is decided here, on purpose:
//   - a symlink is never followed (wherever it points: outside the FGD, to
//     itself, nowhere); the link itself is moved to unmanaged/ with a
//     sidecar, which loses nothing, since a link holds only its target;
//   - a FIFO, socket or device, or a file that cannot be opened or read, is
//     left where it is and reported with the fix: moving what fgd cannot
//     read would risk losing it, and "nothing lost" wins over "nothing
//     stranded". Such a file makes `fgd ingest` exit 1 until it is fixed.
//
// Files are opened with O_NOFOLLOW|O_NONBLOCK (a FIFO cannot block), fstat'ed
// before reading, and read through a limit of MaxFileBytes+1.
func examine(root string, c candidate, reg *resource.Registry, o Options) examined {
	e := examined{c: c}
	abs := filepath.Join(root, filepath.FromSlash(c.rel))
	switch c.kind {
	case entrySpecial:
		e.fatal = &ErrorItem{File: c.rel, Document: -1, Code: CodeSpecial,
			Message: fmt.Sprintf("not a regular file (%s): fgd never opens it", c.mode.Type()),
			Hint:    "remove it from the FGD, or replace it with a regular file"}
		return e
	case entrySymlink:
		t, err := os.Readlink(abs)
		if err != nil {
			e.fatal = unreadable(c.rel, err)
			return e
		}
		e.linkTo, e.sum = t, fgd.LinkSum(t)
		e.fileIssue = &resource.Issue{Document: -1, Code: CodeSymlink,
			Message: fmt.Sprintf("symlink not followed (it points to %q); the link itself was moved here, its target was not read", t),
			Hint:    "put a regular file with the content into raw/ instead of a link"}
		return e
	}
	f, err := fgd.Open(root, c.rel)
	if err != nil {
		e.fatal = unreadable(c.rel, err)
		return e
	}
	defer f.Close()
	if c.kind == entryOther {
		e.fileIssue = &resource.Issue{Document: -1, Code: CodeNotYAML,
			Message: "not YAML: only *.yaml and *.yml files in raw/ are read",
			Hint:    "rename it to .yaml if it holds fabric YAML and drop it into raw/ again"}
		return e.hashRest(f, nil)
	}
	max := o.Limits.MaxFileBytes
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		e.fatal = unreadable(c.rel, err)
		return e
	}
	if int64(len(data)) > max {
		// Too large: hash it through without holding it.
		e = e.hashRest(f, data)
		if e.fatal == nil {
			e.fileIssue = asIssue(resource.CheckSize(e.c.size, o.Limits))
		}
		return e
	}
	e.data, e.sum = data, sha256.Sum256(data)
	e.parse(reg, o.Limits, o.Fabric)
	return e
}

// parse parses and validates e.data, document by document.
func (e *examined) parse(reg *resource.Registry, lim resource.Limits, fabric string) {
	docs, err := resource.ParseFile(e.data, lim)
	if err != nil {
		e.fileIssue = asIssue(err)
		return
	}
	for _, d := range docs {
		if d.Empty {
			continue
		}
		dr := docResult{index: d.Index, line: d.Line, raw: d.Raw}
		if d.Err != nil {
			dr.issues = []resource.Issue{*d.Err}
		} else {
			dr.res, dr.issues = decode(reg, d, e.c.rel, fabric)
		}
		for i := range dr.issues {
			dr.issues[i].Document = d.Index
		}
		e.docs = append(e.docs, dr)
	}
}

// decode validates and normalizes one document.
func decode(reg *resource.Registry, d resource.Document, rel, fabric string) (*resolved, []resource.Issue) {
	r, issues := reg.Decode(d)
	if len(issues) > 0 || r == nil {
		if len(issues) == 0 {
			issues = []resource.Issue{{Line: d.Line, Code: resource.CodeSchema, Message: "not a valid fabric resource"}}
		}
		return nil, issues
	}
	p := r.ManagedPath()
	if !safeManagedPath(p) {
		return nil, []resource.Issue{{Line: d.Line, Path: "metadata.name", Code: CodeBadPath,
			Message: fmt.Sprintf("the resource would be written to %q, outside its managed folder", p),
			Hint:    "use a valid Kubernetes object name"}}
	}
	b, err := resource.Normalize(r, resource.Provenance{Fabric: fabric, OriginalFile: rel, DocumentIndex: d.Index})
	if err != nil {
		return nil, []resource.Issue{{Line: d.Line, Code: resource.CodeSchema, Message: "cannot normalize: " + err.Error()}}
	}
	return &resolved{id: r.ID, key: r.ID.Key(), path: p, bytes: b}, nil
}

// safeManagedPath checks, as a second line of defence after name
// validation, that p is managed/<kinddir>/<file>.yaml and nothing else.
func safeManagedPath(p string) bool {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != fgd.ManagedDir || path.Clean(p) != p || !strings.HasSuffix(p, ".yaml") {
		return false
	}
	for _, d := range resource.KindDirs() {
		if parts[1] == d {
			return parts[2] != ".yaml" && !strings.HasPrefix(parts[2], ".")
		}
	}
	return false
}

// hashRest hashes head and the rest of f without holding the content; the
// file is copied from its source when written.
func (e examined) hashRest(f *os.File, head []byte) examined {
	h := sha256.New()
	h.Write(head)
	n, err := io.Copy(h, f)
	if err != nil {
		e.fatal = unreadable(e.c.rel, err)
		return e
	}
	e.c.size = int64(len(head)) + n
	copy(e.sum[:], h.Sum(nil))
	e.stream = true
	return e
}

func unreadable(rel string, err error) *ErrorItem {
	hint := "make it readable by fgd (for example chmod a+r), or move it out of the FGD"
	switch {
	case errors.Is(err, syscall.ELOOP) || errors.Is(err, fgd.ErrSymlink):
		hint = "it (or a folder on its way) turned into a symlink while fgd was reading; it is handled on the next run"
	case errors.Is(err, fgd.ErrNotRegular):
		hint = "it turned into a FIFO, socket, device or folder while fgd was reading; it is handled on the next run"
	case errors.Is(err, os.ErrNotExist):
		hint = "it disappeared while fgd was reading; nothing to do"
	}
	return &ErrorItem{File: rel, Document: -1, Code: CodeUnreadable, Message: "cannot read it: " + err.Error(), Hint: hint}
}

// asIssue turns a whole-file rejection from resource into an Issue.
func asIssue(err error) *resource.Issue {
	var iss *resource.Issue
	if errors.As(err, &iss) {
		c := *iss
		c.Document = -1
		return &c
	}
	return &resource.Issue{Document: -1, Code: resource.CodeSyntax, Message: err.Error()}
}

// withoutProvenance drops the lines of the provenance annotations that name
// the source file and document, so two files holding one resource compare
// equal ("identical ones are merged silently").
func withoutProvenance(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("hnp.githedgehog.com/original-file:")) || bytes.HasPrefix(t, []byte("hnp.githedgehog.com/original-document-index:")) {
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}
