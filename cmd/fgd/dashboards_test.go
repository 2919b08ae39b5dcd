package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fgdproject/fgd/internal/testutil/daemontest"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// The operator examples checked here, and the doc their runbooks point to.
const (
	dashboardFile  = "../../examples/grafana-dashboard.json"
	alertsFile     = "../../examples/prometheus-alerts.yaml"
	operationsFile = "../../docs/operations.md"
)

// grafanaDashboard is the part of a Grafana dashboard model the tests read.
type grafanaDashboard struct {
	Title         string `json:"title"`
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Inputs        []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	Templating struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"` // a string, or {"query": "..."}
	Definition string          `json:"definition"`
}

// query returns the variable's query whichever shape Grafana stored.
func (v grafanaVariable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	ID          int                `json:"id"`
	Type        string             `json:"type"`
	Title       string             `json:"title"`
	Description string             `json:"description"`
	Datasource  *grafanaDatasource `json:"datasource"`
	GridPos     struct{ W, H int } `json:"gridPos"`
	Targets     []struct {
		RefID      string             `json:"refId"`
		Expr       string             `json:"expr"`
		Datasource *grafanaDatasource `json:"datasource"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"` // of a collapsed row
}

// ruleFile is a Prometheus rule file, decoded strictly.
type ruleFile struct {
	Groups []struct {
		Name  string      `yaml:"name"`
		Rules []alertRule `yaml:"rules"`
	} `yaml:"groups"`
}

type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

func loadAlerts(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s is not a Prometheus rule file: %v", alertsFile, err)
	}
	var rules []alertRule
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("%s: group %q needs a name and rules", alertsFile, g.Name)
		}
		rules = append(rules, g.Rules...)
	}
	return rules
}

// allPanels flattens rows, collapsed or not.
func allPanels(ps []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// metricRefs returns every metric name an expression references: the
// identifiers starting fgd_, go_ or process_, outside string literals and
// not Grafana variables ($name). Names are kept as written (a histogram's
// _bucket stays), since that is the series Prometheus must find.
func metricRefs(expr string) []string {
	var out []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i++
			for i < len(expr) && expr[i] != c {
				if expr[i] == '\\' && c != '`' {
					i++
				}
				i++
			}
			i++
		case isIdentStart(c):
			j := i
			for j < len(expr) && (isIdentStart(expr[j]) || expr[j] >= '0' && expr[j] <= '9') {
				j++
			}
			name := expr[i:j]
			if (i == 0 || expr[i-1] != '$') && isFGDMetricName(name) && !slices.Contains(out, name) {
				out = append(out, name)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isFGDMetricName reports whether name is one of the metric families fgd
// exports itself or through the Go and process collectors.
func isFGDMetricName(name string) bool {
	for _, p := range []string{"fgd_", "go_", "process_"} {
		if rest, ok := strings.CutPrefix(name, p); ok && rest != "" {
			return strings.Trim(rest, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
		}
	}
	return false
}

// exposition is what a /metrics scrape (text format) exports: the family
// types from # TYPE lines, and the names of the sample lines.
type exposition struct {
	types   map[string]string
	samples map[string]bool
}

func parseExposition(text string) exposition {
	e := exposition{types: map[string]string{}, samples: map[string]bool{}}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "# TYPE "):
			if f := strings.Fields(line); len(f) == 4 {
				e.types[f[2]] = f[3]
			}
		case strings.HasPrefix(line, "# HELP "):
			if f := strings.Fields(line); len(f) >= 3 {
				if _, ok := e.types[f[2]]; !ok {
					e.types[f[2]] = "untyped"
				}
			}
		case line != "" && !strings.HasPrefix(line, "#"):
			if n := strings.IndexAny(line, "{ "); n > 0 {
				e.samples[line[:n]] = true
			}
		}
	}
	return e
}

// exports reports whether a query may name the series name: a sample line
// has it, or a # HELP/# TYPE line announces its family (for a series that
// appears only after some event). A histogram's or summary's own family
// name is not a series: only its _bucket, _sum and _count are.
func (e exposition) exports(name string) bool {
	if e.samples[name] {
		return true
	}
	if typ, ok := e.types[name]; ok && typ != "histogram" && typ != "summary" {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		switch e.types[base] {
		case "histogram":
			return true
		case "summary":
			return suffix != "_bucket"
		}
	}
	return false
}

// missingMetrics returns, sorted, "name (used by …)" for each referenced
// name that e does not export; refs maps a name to where it is used.
func missingMetrics(refs map[string][]string, e exposition) []string {
	var out []string
	for name, where := range refs {
		if !e.exports(name) {
			out = append(out, fmt.Sprintf("%s (used by %s)", name, strings.Join(where, "; ")))
		}
	}
	sort.Strings(out)
	return out
}

// exampleMetricRefs collects the metric names of every query of the
// dashboard (panel targets and template variables) and of every alert.
func exampleMetricRefs(t *testing.T) map[string][]string {
	t.Helper()
	refs := map[string][]string{}
	add := func(where, expr string) {
		for _, n := range metricRefs(expr) {
			refs[n] = append(refs[n], where)
		}
	}
	d := loadDashboard(t)
	for _, v := range d.Templating.List {
		add("dashboard variable "+v.Name, v.query())
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			add(fmt.Sprintf("dashboard panel %q", p.Title), tg.Expr)
		}
	}
	for _, r := range loadAlerts(t) {
		add("alert "+r.Alert, r.Expr)
	}
	return refs
}

func TestMetricRefs(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`histogram_quantile(0.99, sum by (le) (rate(fgd_sync_duration_seconds_bucket{fabric=~"$fabric"}[$__rate_interval])))`,
			[]string{"fgd_sync_duration_seconds_bucket"}},
		{`label_values(fgd_syncs_total, fabric)`, []string{"fgd_syncs_total"}},
		{`fgd_x{a="fgd_in_a_string", b='go_too', c=~"\"process_escaped"} and $fgd_variable`, []string{"fgd_x"}},
		{`go_goroutines and on (instance, job) fgd_build_info or process_open_fds + go_goroutines`,
			[]string{"go_goroutines", "fgd_build_info", "process_open_fds"}},
		{`time() - up{job="fgd"} > fgd_`, nil},
		{`my_fgd_metric + fgd_Upper + fgd:recorded`, nil},
	} {
		if got := metricRefs(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricRefs(%s) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// The checker fails on a name nothing exports, on a suffix its family does
// not have, and on a histogram's bare family name.
func TestMissingMetricsChecker(t *testing.T) {
	const scrape = `# HELP fgd_syncs_total Syncs.
# TYPE fgd_syncs_total counter
fgd_syncs_total{fabric="a",result="success"} 1
# HELP fgd_sync_duration_seconds Durations.
# TYPE fgd_sync_duration_seconds histogram
fgd_sync_duration_seconds_bucket{fabric="a",le="+Inf"} 1
fgd_sync_duration_seconds_sum{fabric="a"} 0.1
fgd_sync_duration_seconds_count{fabric="a"} 1
# HELP fgd_announced_only A family with no sample yet.
# TYPE fgd_announced_only gauge
# HELP go_gc_duration_seconds GC pauses.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.001
go_gc_duration_seconds_sum 0.01
go_gc_duration_seconds_count 3
`
	e := parseExposition(scrape)
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"fgd_syncs_total", true},
		{"fgd_sync_duration_seconds_bucket", true},
		{"fgd_sync_duration_seconds_count", true},
		{"fgd_announced_only", true},
		{"go_gc_duration_seconds", true},
		{"go_gc_duration_seconds_sum", true},
		{"fgd_nope", false},
		{"fgd_sync_duration_seconds", false},
		{"fgd_syncs_total_bucket", false},
		{"go_gc_duration_seconds_bucket", false},
	} {
		if got := e.exports(tc.name); got != tc.want {
			t.Errorf("exports(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	got := missingMetrics(map[string][]string{"fgd_nope": {"alert X"}, "fgd_syncs_total": {"panel Y"}}, e)
	if want := []string{"fgd_nope (used by alert X)"}; !slices.Equal(got, want) {
		t.Errorf("missingMetrics = %q, want %q", got, want)
	}
}

// plainText reports why s is not plain text for a title or description,
// or "" when it is: Grafana shows these verbatim or as Markdown.
func plainText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	if i := strings.IndexAny(s, "<>`*#[]|"); i >= 0 {
		return fmt.Sprintf("markup character %q", s[i])
	}
	return ""
}

func TestGrafanaDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.SchemaVersion < 36 || d.Title == "" || d.UID == "" {
		t.Errorf("schemaVersion %d, title %q, uid %q: want schemaVersion ≥ 36, a title and a uid", d.SchemaVersion, d.Title, d.UID)
	}
	const ds = "${DS_PROMETHEUS}"
	vars := map[string]grafanaVariable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["DS_PROMETHEUS"]; v.Type != "datasource" || v.query() != "prometheus" {
		t.Errorf("no Prometheus data source variable DS_PROMETHEUS: %+v", v)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].PluginID != "prometheus" {
		t.Errorf("__inputs = %+v, want the DS_PROMETHEUS Prometheus input", d.Inputs)
	}
	if v := vars["fabric"]; v.Type != "query" || v.query() != "label_values(fgd_syncs_total, fabric)" {
		t.Errorf("fabric variable = %+v, want a query label_values(fgd_syncs_total, fabric)", v)
	}

	ids := map[int]bool{}
	var exprs []string
	for _, p := range allPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if why := plainText(p.Title); why != "" {
			t.Errorf("panel %d title %q: %s", p.ID, p.Title, why)
		}
		if p.Type == "row" {
			continue
		}
		if why := plainText(p.Description); why != "" {
			t.Errorf("panel %q description: %s", p.Title, why)
		}
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("panel %q has no size", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != ds || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %+v and %d queries, want %s and at least one", p.Title, p.Datasource, len(p.Targets), ds)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.RefID == "" || tg.Datasource == nil || tg.Datasource.UID != ds {
				t.Errorf("panel %q query %q: want an expr, a refId and data source %s", p.Title, tg.RefID, ds)
			}
			if strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") || strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") {
				t.Errorf("panel %q: unbalanced brackets in %s", p.Title, tg.Expr)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	// What the dashboard must show, each by a query fragment.
	for _, want := range []struct{ what, fragment string }{
		{"syncs per minute by result", "sum by (fabric, result) (rate(fgd_syncs_total"},
		{"sync failures", `fgd_syncs_total{result="failure"`},
		{"sync duration p50", "histogram_quantile(0.5, sum by (le) (rate(fgd_sync_duration_seconds_bucket"},
		{"sync duration p95", "histogram_quantile(0.95, sum by (le) (rate(fgd_sync_duration_seconds_bucket"},
		{"sync duration p99", "histogram_quantile(0.99, sum by (le) (rate(fgd_sync_duration_seconds_bucket"},
		{"time since last successful sync", "time() - max by (fabric) (fgd_last_sync_success_timestamp_seconds"},
		{"circuit states", "fgd_circuit_state"},
		{"resources per kind", "sum by (kind) (fgd_resources"},
		{"files by outcome", "sum by (outcome) (increase(fgd_files_processed_total"},
		{"unmanaged files", `fgd_files_processed_total{outcome="unmanaged"`},
		{"active syncs", "fgd_active_syncs"},
		{"git operations by result", "sum by (op, result) (rate(fgd_git_operations_total"},
		{"webhooks by result", "sum by (provider, result) (rate(fgd_webhooks_total"},
		{"sink drift", "fgd_sink_drift_resources"},
		{"config reload status", "fgd_config_last_reload_successful"},
		{"selected fabrics", `fabric=~"$fabric"`},
	} {
		if !slices.ContainsFunc(exprs, func(e string) bool { return strings.Contains(e, want.fragment) }) {
			t.Errorf("no panel shows %s (no query contains %s)", want.what, want.fragment)
		}
	}
}

// alertTemplateData is what Prometheus gives an annotation template, with
// every label the example alerts keep.
type alertTemplateData struct {
	Labels         map[string]string
	ExternalLabels map[string]string
	ExternalURL    string
	Value          float64
}

// checkAnnotation executes an annotation as Prometheus does (the same
// variable prelude; stand-ins for the humanize functions it uses) and
// returns what went wrong, or "".
func checkAnnotation(text string) string {
	const prelude = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	funcs := template.FuncMap{
		"humanize":          func(v any) string { return fmt.Sprint(v) },
		"humanizeDuration":  func(v any) string { return fmt.Sprint(v) },
		"humanizeTimestamp": func(v any) string { return fmt.Sprint(v) },
	}
	tmpl, err := template.New("annotation").Funcs(funcs).Option("missingkey=error").Parse(prelude + text)
	if err != nil {
		return err.Error()
	}
	labels := map[string]string{"fabric": "dc1", "target": "git:file:///r", "sink": "published", "op": "fetch", "remote": "file:///r", "instance": "127.0.0.1:9477", "job": "fgd"}
	var out strings.Builder
	if err := tmpl.Execute(&out, alertTemplateData{Labels: labels, Value: 2}); err != nil {
		return err.Error()
	}
	return ""
}

func TestPrometheusAlerts(t *testing.T) {
	rules := loadAlerts(t)
	anchors := func() []string {
		b, err := os.ReadFile(operationsFile)
		if err != nil {
			t.Fatal(err)
		}
		return headingAnchors(string(b))
	}()
	byName := map[string]alertRule{}
	for _, r := range rules {
		if r.Alert == "" {
			t.Errorf("a rule without an alert name (expr %q): this file holds alerts only", r.Expr)
			continue
		}
		if _, dup := byName[r.Alert]; dup {
			t.Errorf("alert %s defined twice", r.Alert)
		}
		byName[r.Alert] = r
		if strings.TrimSpace(r.Expr) == "" || len(metricRefs(r.Expr)) == 0 {
			t.Errorf("%s: expr %q references no fgd metric", r.Alert, r.Expr)
		}
		if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") || strings.Count(r.Expr, "{") != strings.Count(r.Expr, "}") {
			t.Errorf("%s: unbalanced brackets in %s", r.Alert, r.Expr)
		}
		if r.For != "" {
			if d, err := time.ParseDuration(r.For); err != nil || d <= 0 {
				t.Errorf("%s: for %q is not a positive duration", r.Alert, r.For)
			}
		}
		if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
			t.Errorf("%s: labels.severity %q, want critical, warning or info", r.Alert, s)
		}
		for _, key := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[key]) == "" {
				t.Errorf("%s: no annotations.%s", r.Alert, key)
			}
		}
		for key, text := range r.Annotations {
			if why := checkAnnotation(text); why != "" {
				t.Errorf("%s: annotations.%s: %s", r.Alert, key, why)
			}
		}
		doc, anchor, _ := strings.Cut(r.Annotations["runbook"], "#")
		if doc != "docs/operations.md" || !slices.Contains(anchors, anchor) {
			t.Errorf("%s: runbook %q is not a section of docs/operations.md", r.Alert, r.Annotations["runbook"])
		}
	}
	// The alerts it must hold: name, its for, and a fragment of its
	// expression that makes it that alert.
	for _, want := range []struct{ alert, forDur, fragment string }{
		{"FgdFabricNotSynced", "5m", "time() - fgd_last_sync_success_timestamp_seconds > 900"},
		{"FgdCircuitOpen", "10m", "fgd_circuit_state == 2"},
		{"FgdUnmanagedFiles", "", `increase(fgd_files_processed_total{outcome="unmanaged"}[1h])) > 0`},
		{"FgdConfigReloadFailed", "5m", "fgd_config_last_reload_successful == 0"},
		{"FgdSyncFailures", "5m", `rate(fgd_syncs_total{result="failure"}`},
		{"FgdSinkDrift", "15m", "fgd_sink_drift_resources > 0"},
	} {
		r, ok := byName[want.alert]
		switch {
		case !ok:
			t.Errorf("no alert %s", want.alert)
		case r.For != want.forDur:
			t.Errorf("%s: for %q, want %q", want.alert, r.For, want.forDur)
		case !strings.Contains(r.Expr, want.fragment):
			t.Errorf("%s: expr %q does not contain %s", want.alert, r.Expr, want.fragment)
		}
	}
}

// Every metric the dashboard and the alerts query is exported by the real
// daemon: a dir fabric with a directory sink, a git fabric on a file://
// remote (its circuit and git operations), a webhook call, and syncs.
func TestExampleMetricsExported(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	refs := exampleMetricRefs(t)
	if len(refs) < 12 {
		t.Fatalf("only %d metric names found in the examples: is the tokenizer broken? %v", len(refs), refs)
	}
	bin := daemontest.Build(t)
	dir := t.TempDir()
	remote := gittest.NewRemote(t, dir, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": fmt.Sprintf(e2eVPC, "vpc-a")})
	secret := gittest.WriteSecret(t, dir, "hook-secret", "hook-s3cret")
	dropVPC(t, filepath.Join(dir, "lab"), "vpc-1")
	// A file ingestion refuses: fgd_files_processed_total{outcome="unmanaged"}.
	if err := os.WriteFile(filepath.Join(dir, "lab", "raw", "broken.yaml"), []byte("kind: [not valid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := daemontest.FreePort(t)
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(`listen: 127.0.0.1:%d
state_dir: state
fabrics:
  - name: lab
    source:
      dir: {path: lab, debounce: 20ms}
    sinks:
      - directory: {path: published}
  - name: dc1
    source:
      git: {url: %q, branch: main, path: fgd, interval: 1h, webhook_secret_file: %s, push: true}
`, port, remote.FileURL(), secret)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, dir, cfg, port)
	d.WaitFor("/readyz", daemonWait, func() bool { c, _ := d.Get("/readyz"); return c == 200 })

	// A generic webhook wakes a sync of the git fabric.
	req, err := http.NewRequest(http.MethodPost, d.Base+"/hooks/generic/dc1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer hook-s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("generic webhook: %d, want 202", resp.StatusCode)
	}

	// The label values the examples select on are real too.
	series := []string{
		`fgd_files_processed_total{fabric="lab",outcome="unmanaged"}`,
		`fgd_syncs_total{fabric="dc1",result="success"}`,
		`fgd_webhooks_total{provider="generic",result="queued"}`,
		`fgd_circuit_state{fabric="dc1",target="git:`,
		`fgd_sink_drift_resources{fabric="lab",sink=`,
	}
	absent := func(scrape string) []string {
		var out []string
		for _, s := range series {
			if !strings.Contains(scrape, s) {
				out = append(out, s)
			}
		}
		return out
	}
	// Series appear as syncs finish: scrape until none is missing, for 30 s
	// at most, then report what is still missing.
	var missing, gone []string
	var scrape string
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, scrape = d.Get("/metrics")
		missing = missingMetrics(refs, parseExposition(scrape))
		gone = absent(scrape)
		if len(missing)+len(gone) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Errorf("the examples reference metrics the daemon does not export:\n  %s", strings.Join(missing, "\n  "))
	}
	for _, s := range gone {
		t.Errorf("/metrics has no %s", s)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", scrape)
	}
}
