package ingest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/fgdproject/fgd/internal/fgd"
	"github.com/fgdproject/fgd/internal/resource"
)

// batch is the plan for one batch of files, carried out by apply in the
// crash-safe order described on Run.
type batch struct {
	managed   map[string][]byte // managed path → normalized bytes (the batch's last claim)
	unmanaged []unmanagedWrite
	archive   []archiveWrite
	records   []Record
	remove    []string // originals, in ascending path order
	retire    []retireWrite
}

// unmanagedWrite stores content (and its sidecar) in unmanaged/.
type unmanagedWrite struct {
	file      string // the original it comes from
	rel       string // where it goes
	data      []byte // the bytes, or
	copyFrom  string // the original to copy (not held in memory), or
	linkTo    string // the target of the symlink to recreate
	isLink    bool
	sum       fgd.Sum
	writeData bool // false: identical content is already stored
	sidecar   []byte
	sidecarAt string // "" when the sidecar is already there
}

// archiveWrite copies an original into .hnp/archive/.
type archiveWrite struct {
	file, rel string
	data      []byte
}

// claim is the latest document of one identity in the run.
type claim struct {
	ref   DocumentRef
	bytes []byte
	res   *resolved
}

// planner holds what a run has decided so far, across batches.
type planner struct {
	root    string
	fabric  string
	workers int
	now     time.Time
	v       *view
	log     *archiveLog
	rep     *Report
	claims  map[string]claim       // identity key → latest claim
	holder  map[string]string      // managed path → identity key that holds it ("" unreadable)
	holdBy  map[string]DocumentRef // managed path → who holds it
	before  map[string]before      // managed path → state before the run
	files   map[string]int         // original → index in rep.Files
	stamps  map[string]fgd.Stamp   // original → as discovery saw it
	// cache is Options.ManagedCache.
	cache *ManagedCache
	// unmanagedBy lists the entries of unmanaged/ by original (read once,
	// see unmanagedIndex); retired holds those already planned to go.
	unmanagedBy map[string][]unmanagedEntry
	retired     map[string]bool
	// beforeRemove is Options.beforeRemove (tests only).
	beforeRemove func()
}

func newPlanner(root, fabric string, now time.Time, log *archiveLog, rep *Report) *planner {
	return &planner{root: root, fabric: fabric, now: now, v: newView(root), log: log, rep: rep,
		claims: map[string]claim{}, holder: map[string]string{}, holdBy: map[string]DocumentRef{},
		before: map[string]before{}, files: map[string]int{}, retired: map[string]bool{}}
}

func (p *planner) when() string { return p.now.UTC().Format(time.RFC3339) }

// plan decides the fate of each examined file, in order.
func (p *planner) plan(ex []examined) (*batch, error) {
	b := &batch{managed: map[string][]byte{}}
	for _, e := range ex {
		if err := p.planFile(e, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (p *planner) planFile(e examined, b *batch) error {
	fr := FileResult{Path: e.c.rel, Reasons: []string{}}
	if err := p.decide(e, &fr, b); err != nil {
		return err
	}
	if fr.Outcome != OutcomeError {
		if err := p.retireStale(e, &fr, b); err != nil {
			return err
		}
	}
	p.addFile(fr)
	return nil
}

func (p *planner) decide(e examined, fr *FileResult, b *batch) error {
	rel := e.c.rel
	if e.fatal != nil {
		fr.Outcome = OutcomeError
		fr.Reasons = append(fr.Reasons, e.fatal.Message+" ("+e.fatal.Hint+")")
		p.rep.Errors = append(p.rep.Errors, *e.fatal)
		return nil
	}
	fr.SHA256 = hex.EncodeToString(e.sum[:])
	fr.Documents = len(e.docs)
	if e.fileIssue != nil {
		p.reject(rel, *e.fileIssue, fr)
		fr.Outcome = OutcomeUnmanaged
		return p.routeWhole(e, []resource.Issue{*e.fileIssue}, nil, fr, b)
	}
	if item := p.preload(e); item != nil {
		fr.Outcome = OutcomeError
		fr.Reasons = append(fr.Reasons, item.Message+" ("+item.Hint+")")
		p.rep.Errors = append(p.rep.Errors, *item)
		return nil
	}
	var rejected []docResult
	for _, d := range e.docs {
		if d.res != nil {
			iss, err := p.claim(rel, d, b)
			if err != nil {
				return err
			}
			if iss == nil {
				fr.Resources++
				continue
			}
			d.issues = []resource.Issue{*iss}
		}
		rejected = append(rejected, d)
	}
	var issues []resource.Issue
	var indexes []int
	for _, d := range rejected {
		indexes = append(indexes, d.index)
		for _, iss := range d.issues {
			p.reject(rel, iss, fr)
			issues = append(issues, iss)
		}
	}
	switch {
	case len(e.docs) == 0:
		fr.Outcome = OutcomeEmpty
	case len(rejected) == 0:
		fr.Outcome = OutcomeIngested
	case fr.Resources == 0:
		fr.Outcome = OutcomeUnmanaged
		return p.routeWhole(e, issues, indexes, fr, b)
	default:
		fr.Outcome = OutcomePartial
		if err := p.routeDocs(e, rejected, issues, indexes, fr, b); err != nil {
			return err
		}
	}
	return p.archive(e, fr, b)
}

func (p *planner) addFile(fr FileResult) {
	p.files[fr.Path] = len(p.rep.Files)
	p.rep.Files = append(p.rep.Files, fr)
	switch fr.Outcome {
	case OutcomeIngested:
		p.rep.Ingested++
	case OutcomePartial:
		p.rep.Partial++
	case OutcomeEmpty:
		p.rep.Empty++
	case OutcomeError:
		p.rep.Failed++
	}
}

// fail turns a planned file into one left in place, after a write for it
// failed (its original changed while fgd was copying it).
func (p *planner) fail(file string, err error) {
	i, ok := p.files[file]
	if !ok {
		return
	}
	fr := &p.rep.Files[i]
	switch fr.Outcome {
	case OutcomeIngested:
		p.rep.Ingested--
	case OutcomePartial:
		p.rep.Partial--
	case OutcomeEmpty:
		p.rep.Empty--
	}
	if fr.UnmanagedAs != "" {
		p.rep.Unmanaged--
	}
	p.unretire(file)
	fr.Outcome, fr.UnmanagedAs, fr.ArchivedAs = OutcomeError, "", ""
	fr.Reasons = append(fr.Reasons, err.Error())
	p.rep.Failed++
	p.rep.Errors = append(p.rep.Errors, ErrorItem{File: file, Document: -1, Code: CodeUnreadable, Message: err.Error(),
		Hint: "leave the file alone while fgd runs; it is handled on the next run"})
}

func (p *planner) reject(rel string, iss resource.Issue, fr *FileResult) {
	fr.Reasons = append(fr.Reasons, iss.Error())
	p.rep.Errors = append(p.rep.Errors, ErrorItem{File: rel, Document: iss.Document, Line: iss.Line, Path: iss.Path,
		Message: iss.Message, Hint: iss.Hint, Code: iss.Code})
}

// claim makes d's resource the managed file at its path, or returns the
// issue that rejects it: another identity holds that path.
func (p *planner) claim(rel string, d docResult, b *batch) (*resource.Issue, error) {
	res := d.res
	ref := DocumentRef{File: rel, Document: d.index}
	if err := p.load(res); err != nil {
		return nil, err
	}
	if k, held := p.holder[res.path]; held && k != res.key {
		by := p.holdBy[res.path]
		what := "the resource in it"
		if k == "" {
			what = "a file fgd cannot read as a resource"
		}
		p.rep.Conflicts = append(p.rep.Conflicts, Conflict{Kind: ConflictPath, ManagedPath: res.path, Identity: res.key,
			Documents: []DocumentRef{by, ref}, Winner: by,
			Message: fmt.Sprintf("%s document %d and %s map to one managed file %s; the first keeps it", rel, d.index, describe(by), res.path)})
		return &resource.Issue{Document: d.index, Line: d.line, Path: "metadata.name", Code: CodePathConflict,
			Message: fmt.Sprintf("its managed file %s already holds %s, a different identity (namespace and name joined give one file name)", res.path, what),
			Hint:    "rename one of the two resources so their <namespace>-<name> differ"}, nil
	}
	if c, ok := p.claims[res.key]; ok && !bytes.Equal(withoutProvenance(c.bytes), withoutProvenance(res.bytes)) {
		p.rep.Conflicts = append(p.rep.Conflicts, Conflict{Kind: ConflictIdentity, ManagedPath: res.path, Identity: res.key,
			Documents: []DocumentRef{c.ref, ref}, Winner: ref,
			Message: fmt.Sprintf("%s document %d and %s document %d define %s differently; the later one (%s) wins", c.ref.File, c.ref.Document, rel, d.index, res.key, rel)})
	}
	p.claims[res.key] = claim{ref: ref, bytes: res.bytes, res: res}
	p.holder[res.path], p.holdBy[res.path] = res.key, ref
	b.managed[res.path] = res.bytes
	p.v.set(res.path, sumOf(res.bytes), res.key)
	return nil, nil
}

// preload examines, before any claim of e's, the managed file each of its
// resources would replace. One that cannot be examined (unreadable, say)
// makes e an error left in place, naming that file: it is e's outcome, and
// the rest of the run goes on.
func (p *planner) preload(e examined) *ErrorItem {
	for _, d := range e.docs {
		if d.res == nil {
			continue
		}
		if err := p.load(d.res); err != nil {
			return &ErrorItem{File: e.c.rel, Document: d.index, Line: d.line, Code: CodeUnreadable,
				Message: fmt.Sprintf("its managed file %s cannot be examined: %v", d.res.path, err),
				Hint:    fmt.Sprintf("make %s readable and writable by fgd, or remove it; the file stays where it is until then", d.res.path)}
		}
	}
	return nil
}

// load records, the first time the run meets a managed path, its state
// before the run and which identity holds it.
func (p *planner) load(res *resolved) error {
	if _, seen := p.before[res.path]; seen {
		return nil
	}
	st, err := diskState(p.v.abs(res.path))
	if err != nil {
		return err
	}
	p.before[res.path] = st
	if st.exists {
		p.holdBy[res.path] = DocumentRef{File: res.path, Document: -1}
		if st.sum == sumOf(res.bytes) {
			p.holder[res.path] = res.key
		} else if k, ok := p.v.managedKey(res.path); ok {
			p.holder[res.path] = k
		} else {
			p.holder[res.path] = ""
		}
	}
	return nil
}

func describe(r DocumentRef) string {
	if r.Document < 0 {
		return "the existing " + r.File
	}
	return fmt.Sprintf("%s document %d", r.File, r.Document)
}

// routeWhole sends the whole original to unmanaged/.
func (p *planner) routeWhole(e examined, issues []resource.Issue, indexes []int, fr *FileResult, b *batch) error {
	u := unmanagedWrite{file: e.c.rel, sum: e.sum, data: e.data, linkTo: e.linkTo, isLink: e.c.kind == entrySymlink}
	if e.stream {
		u.copyFrom = e.c.rel
	}
	if err := p.unmanaged(e, u, issues, indexes, fr, b); err != nil {
		return err
	}
	p.record(e, fr.UnmanagedAs, fr.Outcome, b)
	return nil
}

// routeDocs sends a mixed file's rejected documents to unmanaged/.
func (p *planner) routeDocs(e examined, rejected []docResult, issues []resource.Issue, indexes []int, fr *FileResult, b *batch) error {
	var buf bytes.Buffer
	for i, d := range rejected {
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(d.raw)
		if len(d.raw) > 0 && d.raw[len(d.raw)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	data := buf.Bytes()
	return p.unmanaged(e, unmanagedWrite{file: e.c.rel, data: data, sum: sumOf(data)}, issues, indexes, fr, b)
}

func (p *planner) unmanaged(e examined, u unmanagedWrite, issues []resource.Issue, indexes []int, fr *FileResult, b *batch) error {
	name, exists, err := fgd.ChooseName(fgd.UnmanagedDir, fgd.SourceName(e.c.rel), u.sum, fgd.SidecarSuffix, p.v.lookup)
	if err != nil {
		return err
	}
	u.rel = path.Join(fgd.UnmanagedDir, name)
	u.writeData = !exists
	fr.UnmanagedAs = u.rel
	side := fgd.Sidecar{Original: e.c.rel, StoredAs: u.rel, SHA256: hex.EncodeToString(e.sum[:]), Fabric: p.fabric,
		Outcome: fr.Outcome, Documents: indexes, When: p.when()}
	for _, iss := range issues {
		side.Reasons = append(side.Reasons, fgd.Reason{Document: iss.Document, Line: iss.Line, Path: iss.Path, Code: iss.Code, Message: iss.Message, Hint: iss.Hint})
	}
	if u.sidecar, err = side.Marshal(); err != nil {
		return err
	}
	sideRel := u.rel + fgd.SidecarSuffix
	if _, there, err := p.v.lookup(sideRel); err != nil {
		return err
	} else if !there {
		u.sidecarAt = sideRel
		p.v.set(sideRel, sumOf(u.sidecar), "")
	}
	p.v.set(u.rel, u.sum, "")
	b.unmanaged = append(b.unmanaged, u)
	p.rep.Unmanaged++
	b.remove = appendOnce(b.remove, e.c.rel)
	return nil
}

// archive keeps the original in .hnp/archive/ (stored once).
func (p *planner) archive(e examined, fr *FileResult, b *batch) error {
	name, exists, err := fgd.ChooseName(fgd.ArchiveDir, fgd.SourceName(e.c.rel), e.sum, "", p.v.lookup)
	if err != nil {
		return err
	}
	rel := path.Join(fgd.ArchiveDir, name)
	if !exists {
		b.archive = append(b.archive, archiveWrite{file: e.c.rel, rel: rel, data: e.data})
		p.v.set(rel, e.sum, "")
	}
	fr.ArchivedAs = rel
	p.record(e, rel, fr.Outcome, b)
	return nil
}

func (p *planner) record(e examined, storedAs, outcome string, b *batch) {
	b.records = append(b.records, Record{Path: e.c.rel, SHA256: hex.EncodeToString(e.sum[:]), ArchivedAs: storedAs,
		Documents: len(e.docs), Outcome: outcome, When: p.when()})
	b.remove = appendOnce(b.remove, e.c.rel)
}

func appendOnce(list []string, s string) []string {
	if len(list) > 0 && list[len(list)-1] == s {
		return list
	}
	return append(list, s)
}

// resources fills the report's per-resource results and counts, from each
// managed path's state before the run and after it.
func (p *planner) resources() {
	paths := map[string]claim{}
	for _, c := range p.claims {
		paths[c.res.path] = c
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, mp := range keys {
		c := paths[mp]
		st := p.before[mp]
		action := ActionUpdate
		switch {
		case !st.exists:
			action = ActionCreate
		case st.sum == p.v.over[mp].sum:
			action = ActionUnchanged
		}
		switch action {
		case ActionCreate:
			p.rep.Created++
		case ActionUpdate:
			p.rep.Updated++
		default:
			p.rep.Unchanged++
		}
		id := c.res.id
		p.rep.Resources = append(p.rep.Resources, ResourceResult{
			Identity:    Identity{Group: id.Group, Version: id.Version, Kind: id.Kind, Namespace: id.Namespace, Name: id.Name},
			ManagedPath: mp, Action: action, File: c.ref.File, Document: c.ref.Document})
	}
}
