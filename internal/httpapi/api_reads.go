package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// fabricsIndex is the index the fabric endpoints answer with: the latest
// write to the fabrics or to the desired resources.
func (a *api) fabricsIndex() uint64 {
	return max(a.store.Index(state.TableFabrics), a.store.Index(state.TableResources))
}

// dated gives ans the index taken before its read (before), so the data is
// at least that new and a client waiting on it misses nothing. The index is
// read again now: a write that raced the read makes the answer ready, and
// the client, holding the older index, reads once more at once.
func (a *api) dated(ans answer, before uint64, p pollParams) answer {
	ans.index = before
	ans.ready = ans.ready || a.fabricsIndex() > p.index
	return ans
}

// listFabrics serves GET /api/v1/fabrics[?wait=INDEX[&timeout=D]].
func (a *api) listFabrics(w http.ResponseWriter, r *http.Request, _ caller) {
	p, ok := parsePoll(w, r, "wait")
	if !ok {
		return
	}
	a.poll(w, r, p, func(ws watchSet) (answer, error) {
		before := a.fabricsIndex()
		fs, err := a.store.Fabrics(ws)
		if err != nil {
			return answer{}, err
		}
		// The JSON of a FabricList, joined from each fabric's cached
		// encoding.
		list := make(encodedJSON, 0, 256*len(fs)+64)
		list = append(list, `{"index":`...)
		list = strconv.AppendUint(list, before, 10)
		list = append(list, `,"fabrics":[`...)
		present := make(map[string]bool, len(fs))
		for i, f := range fs {
			view, err := a.viewOf(ws, f)
			if err != nil {
				return answer{}, err
			}
			if i > 0 {
				list = append(list, ',')
			}
			list = append(list, view...)
			present[f.Name] = true
		}
		list = append(list, "]}"...)
		a.pruneCounts(present)
		return a.dated(answer{status: http.StatusOK, body: list}, before, p), nil
	})
}

// getFabric serves GET /api/v1/fabrics/{name}[?wait=INDEX[&timeout=D]].
func (a *api) getFabric(w http.ResponseWriter, r *http.Request, _ caller) {
	p, ok := parsePoll(w, r, "wait")
	if !ok {
		return
	}
	name := r.PathValue("name")
	a.poll(w, r, p, func(ws watchSet) (answer, error) {
		before := a.fabricsIndex()
		f, err := a.store.Fabric(ws, name)
		if err != nil || f == nil {
			return a.dated(unknownFabric(name), before, p), err
		}
		kinds, err := a.countsOf(ws, name)
		if err != nil {
			return answer{}, err
		}
		return a.dated(answer{status: http.StatusOK, body: fabricView(f, kinds)}, before, p), nil
	})
}

// listResources serves GET /api/v1/fabrics/{name}/resources[?kind=KIND]
// [&wait=INDEX[&timeout=D]]: the desired set, sorted by key, without the
// manifests' bodies.
func (a *api) listResources(w http.ResponseWriter, r *http.Request, _ caller) {
	p, ok := parsePoll(w, r, "wait")
	if !ok {
		return
	}
	name, kind := r.PathValue("name"), r.URL.Query().Get("kind")
	a.poll(w, r, p, func(ws watchSet) (answer, error) {
		before := a.fabricsIndex()
		f, err := a.store.Fabric(ws, name)
		if err != nil || f == nil {
			return a.dated(unknownFabric(name), before, p), err
		}
		var rs []*state.Resource
		if kind == "" {
			rs, err = a.store.Desired(ws, name)
		} else {
			rs, err = a.store.DesiredOfKind(ws, name, kind)
		}
		if err != nil {
			return answer{}, err
		}
		byKey, err := a.outcomesByKey(ws, name)
		if err != nil {
			return answer{}, err
		}
		list := ResourceList{Index: before, Fabric: name, Revision: f.Revision, Resources: make([]ResourceView, len(rs))}
		for i, res := range rs {
			list.Resources[i] = resourceView(res)
			list.Resources[i].Sinks = byKey[res.Key]
		}
		if len(rs) > 0 {
			// The revision the desired set was taken at, which may lag or
			// lead the fabric record by a moment.
			list.Revision = rs[0].Revision
		}
		return a.dated(answer{status: http.StatusOK, body: list}, before, p), nil
	})
}

// unknownFabric is the 404 answer for a fabric the store does not hold.
func unknownFabric(name string) answer {
	return answer{status: http.StatusNotFound, ready: true, body: ErrorBody{
		Error:       fmt.Sprintf("unknown fabric %q", clip(name)),
		Remediation: "GET /api/v1/fabrics (or fgd status) lists the configured fabrics",
	}}
}

// getSync serves GET /api/v1/syncs/{id}[?wait=1[&index=N][&timeout=D]]:
// with wait=1 it blocks until the sync is done, or — given the index of a
// previous answer — until the sync changes past it (a new stage), so a
// client can show the stages as they happen; &index=0 answers as soon as
// the sync exists. A sync not in the store yet (one just requested may
// take a moment to start) is waited for too; the timeout ends a wait for
// an ID that never comes with a 404.
func (a *api) getSync(w http.ResponseWriter, r *http.Request, _ caller) {
	p, ok := parsePoll(w, r, "index")
	if !ok {
		return
	}
	switch v := r.URL.Query().Get("wait"); v {
	case "", "0", "false":
		p.block = false
	case "1", "true":
		p.block = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("?wait=%s is not 1 or 0", clip(v)),
			"pass ?wait=1 to block until the sync is done, with &index=N (its last index) to block until its next change")
		return
	}
	id := r.PathValue("id")
	a.poll(w, r, p, func(ws watchSet) (answer, error) {
		s, err := a.store.Sync(ws, id)
		if err != nil || s == nil {
			return answer{status: http.StatusNotFound, ready: !p.block, body: ErrorBody{
				Error: fmt.Sprintf("unknown sync %q", clip(id)),
				Remediation: fmt.Sprintf("sync IDs come from POST /api/v1/fabrics/{name}/sync and a fabric's last_sync_id; "+
					"only the latest %d syncs of a fabric are kept", state.DefaultSyncsPerFabric),
			}, index: a.store.Index(state.TableSyncs)}, err
		}
		return answer{
			status: http.StatusOK,
			body:   syncView(s, time.Now()),
			index:  s.ModifyIndex,
			ready:  s.Done() || (p.hasIndex && s.ModifyIndex > p.index),
		}, nil
	})
}
