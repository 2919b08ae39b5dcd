package httpapi

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
)

// uiMaxListed bounds the resources a fabric's page lists per kind; the
// REST API lists them all.
const uiMaxListed = 200

// kindGroup is one kind's resources in the browser.
type kindGroup struct {
	Kind  string
	Items []resItem
	// More counts those not listed.
	More int
}

// resItem is one resource in the browser.
type resItem struct {
	Name, Namespace, Path string
	// URL is its page.
	URL string
	// Outcomes are its last outcomes at the sinks that report per object
	// (the kubernetes sink): applied, unchanged, drift, conflict, rejected.
	Outcomes []ResourceOutcomeView
}

// outcomesByKey returns a fabric's per-object sink outcomes by resource key.
func (a *api) outcomesByKey(ws watchSet, fabric string) (map[string][]ResourceOutcomeView, error) {
	outcomes, err := a.store.Outcomes(ws, fabric)
	if err != nil {
		return nil, err
	}
	byKey := map[string][]ResourceOutcomeView{}
	for _, o := range outcomes {
		byKey[o.Key] = append(byKey[o.Key], ResourceOutcomeView{Sink: o.Sink, Outcome: o.Outcome,
			Message: audit.RedactText(o.Message), At: o.At})
	}
	return byKey, nil
}

// resourcePage is GET /fabrics/{name}/managed/{path...}: one resource's
// normalized YAML, as the sinks get it, provenance annotations included.
type resourcePage struct {
	Title     string
	Fabric    string
	FabricURL string
	Res       resItem
	Kind      string
	Revision  string
	Body      string
	// Provenance are the hnp.githedgehog.com annotations, for the summary.
	Provenance []string
	Generated  time.Time
}

// browse groups a fabric's desired resources by kind, in name order, and
// builds the wiring picture from the same read.
func (u *ui) browse(fabric string) ([]kindGroup, *wiring, error) {
	rs, err := u.a.store.Desired(nil, fabric)
	if err != nil {
		return nil, nil, err
	}
	outcomes, err := u.a.outcomesByKey(nil, fabric)
	if err != nil {
		return nil, nil, err
	}
	byKind := map[string][]*state.Resource{}
	for _, r := range rs {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	var groups []kindGroup
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		list := byKind[k]
		slices.SortFunc(list, func(a, b *state.Resource) int { return strings.Compare(a.Path, b.Path) })
		g := kindGroup{Kind: k}
		for i, r := range list {
			if i == uiMaxListed {
				g.More = len(list) - i
				break
			}
			g.Items = append(g.Items, resItem{Name: r.Name, Namespace: r.Namespace, Path: r.Path, URL: resourceURL(fabric, r.Path),
				Outcomes: outcomes[r.Key]})
		}
		groups = append(groups, g)
	}
	var w *wiring
	if len(byKind["Switch"])+len(byKind["Server"])+len(byKind["Connection"]) > 0 {
		pic := buildWiring(byKind["Switch"], byKind["Server"], byKind["Connection"])
		w = &pic
	}
	return groups, w, nil
}

// resourceURL is a resource's page: its managed path below the fabric's.
func resourceURL(fabric, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/fabrics/" + url.PathEscape(fabric) + "/" + strings.Join(parts, "/")
}

// resource serves GET /fabrics/{name}/managed/{path...}.
func (u *ui) resource(w http.ResponseWriter, r *http.Request, _ caller) {
	fabric, rel := r.PathValue("name"), "managed/"+r.PathValue("path")
	rs, err := u.a.store.Desired(nil, fabric)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	now := u.now()
	for _, res := range rs {
		if res.Path != rel {
			continue
		}
		outcomes, err := u.a.outcomesByKey(nil, fabric)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		page := resourcePage{Title: res.Kind + " " + res.Name, Fabric: fabric, FabricURL: "/fabrics/" + url.PathEscape(fabric),
			Res: resItem{Name: res.Name, Namespace: res.Namespace, Path: res.Path, Outcomes: outcomes[res.Key]}, Kind: res.Kind, Revision: res.Revision,
			Body: string(res.Body), Generated: now.UTC()}
		for _, l := range strings.Split(page.Body, "\n") {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "hnp.githedgehog.com/") {
				page.Provenance = append(page.Provenance, t)
			}
		}
		u.render(w, r, http.StatusOK, "resource.html", page)
		return
	}
	u.render(w, r, http.StatusNotFound, "notfound.html", notFoundPage{
		Title: "Unknown resource", Name: clip(fabric + "/" + rel), Resource: true, Generated: now.UTC(),
	})
}
