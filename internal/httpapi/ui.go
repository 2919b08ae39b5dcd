package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/fgdproject/fgd/internal/state"
)

// uiFiles are the status page's templates and assets, built into the
// binary: the page works offline, with no CDN and no external fonts.
//
//go:embed ui/templates/*.html ui/static/*
var uiFiles embed.FS

// uiSyncs is how many recent syncs a fabric's page shows.
const uiSyncs = 20

// uiCSP keeps the page to its own origin: its stylesheet, its script and
// the event stream, nothing inline and nothing from elsewhere.
const uiCSP = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ui serves the status page (SPEC §6): GET / lists the fabrics, GET
// /fabrics/{name} shows one fabric's recent syncs. It reads through the
// REST API's data access and token check (api.reader).
type ui struct {
	a     *api
	pages map[string]*template.Template
	now   func() time.Time
}

// uiRoutes is the status page, served when Options.State is set. Its data
// pages follow the API's read rule; the static assets are open.
func (s *Server) uiRoutes(a *api) []route {
	if a == nil {
		return nil
	}
	u := &ui{a: a, pages: mustParsePages(), now: time.Now}
	static, err := fs.Sub(uiFiles, "ui/static")
	if err != nil {
		panic(fmt.Sprintf("httpapi: embedded ui/static: %v", err)) // a build defect, not an operator's
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return []route{
		{pattern: "GET /{$}", handler: a.reader(u.index)},
		{pattern: "GET /fabrics/{name}", handler: a.reader(u.fabric)},
		{pattern: "GET /fabrics/{name}/managed/{path...}", handler: a.reader(u.resource)},
		{pattern: "GET /static/", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			files.ServeHTTP(w, r)
		})},
	}
}

// mustParsePages parses each page with the shared layout. The templates are
// embedded, so an error is a defect of the build, caught by every test.
func mustParsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"index.html", "fabric.html", "notfound.html", "resource.html"} {
		pages[name] = template.Must(template.New(name).ParseFS(uiFiles, "ui/templates/layout.html", "ui/templates/notices.html", "ui/templates/"+name))
	}
	return pages
}

// index serves GET /: every fabric's health at a glance.
func (u *ui) index(w http.ResponseWriter, r *http.Request, _ caller) {
	page, err := u.indexPage()
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "index.html", page)
}

// fabric serves GET /fabrics/{name}: a fabric's recent syncs.
func (u *ui) fabric(w http.ResponseWriter, r *http.Request, _ caller) {
	name := r.PathValue("name")
	page, found, err := u.fabricPage(name)
	switch {
	case err != nil:
		u.fail(w, r, err)
	case !found:
		u.render(w, r, http.StatusNotFound, "notfound.html", notFoundPage{
			Title: "Unknown fabric", Name: clip(name), Generated: u.now().UTC(),
		})
	default:
		u.render(w, r, http.StatusOK, "fabric.html", page)
	}
}

// render executes a page into a buffer first, so a template error answers
// 500 rather than half a page.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := u.pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		u.fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// fail answers 500 and logs why; the page says where to look.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, err error) {
	u.a.logger.Error("status page failed", "path", clip(r.URL.Path), "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = fmt.Fprintln(w, "fgd: the status page could not be built; see the daemon's log (\"status page failed\") and retry")
}

// fabricRows reads every fabric, with its counts and its latest sync,
// through the API's data access.
func (u *ui) fabricRows(now time.Time) ([]fabricRow, error) {
	fs, err := u.a.store.Fabrics(nil)
	if err != nil {
		return nil, err
	}
	rows := make([]fabricRow, 0, len(fs))
	for _, f := range fs {
		counts, err := u.a.countsOf(nil, f.Name)
		if err != nil {
			return nil, err
		}
		var last *state.Sync
		if f.LastSyncID != "" {
			if last, err = u.a.store.Sync(nil, f.LastSyncID); err != nil {
				return nil, err
			}
		}
		rows = append(rows, newFabricRow(fabricView(f, counts), last, now))
	}
	return rows, nil
}

// indexPage builds the data of GET /.
func (u *ui) indexPage() (indexPage, error) {
	now := u.now()
	rows, err := u.fabricRows(now)
	if err != nil {
		return indexPage{}, err
	}
	return indexPage{Title: "Fabrics", Notices: u.notices(rows), Fabrics: rows, Generated: now.UTC()}, nil
}

// fabricPage builds the data of GET /fabrics/{name}; found is false for a
// fabric the store does not hold.
func (u *ui) fabricPage(name string) (page fabricPage, found bool, err error) {
	f, err := u.a.store.Fabric(nil, name)
	if err != nil || f == nil {
		return fabricPage{}, false, err
	}
	counts, err := u.a.countsOf(nil, name)
	if err != nil {
		return fabricPage{}, false, err
	}
	syncs, err := u.a.store.Syncs(nil, name, uiSyncs)
	if err != nil {
		return fabricPage{}, false, err
	}
	now := u.now()
	var last *state.Sync
	if len(syncs) > 0 {
		last = syncs[0]
	}
	groups, pic, err := u.browse(name)
	if err != nil {
		return fabricPage{}, false, err
	}
	page = fabricPage{
		Title:     "Fabric " + f.Name,
		Resources: groups,
		Wiring:    pic,
		Fabric:    newFabricRow(fabricView(f, counts), last, now),
		Generated: now.UTC(),
	}
	for _, s := range syncs {
		page.Syncs = append(page.Syncs, newSyncRow(syncView(s, now), now))
	}
	drawTimelines(page.Syncs)
	if len(page.Syncs) > 0 {
		page.Last = &page.Syncs[0]
	}
	for _, n := range u.notices([]fabricRow{page.Fabric}) {
		if n.Fabric == "" || n.Fabric == f.Name {
			page.Notices = append(page.Notices, n)
		}
	}
	return page, true, nil
}
