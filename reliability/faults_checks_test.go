package reliability

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/sources/git/gittest"
)

// faultCheckLeak compares the usage after the soak with the baselines (see
// TestFaultsSoak for the thresholds) for a daemon with clones git clones,
// and says what grew too much: goroutines and fds against base, in-use
// memory against memBase.
func faultCheckLeak(base, memBase, after faultUsage, clones int) []string {
	var out []string
	if limit := base.Goroutines + max(5, base.Goroutines/10); after.Goroutines > limit {
		out = append(out, fmt.Sprintf("%.0f goroutines, baseline %.0f: more than %.0f", after.Goroutines, base.Goroutines, limit))
	}
	if limit := base.FDs - base.PackFDs + 3; after.FDs-after.PackFDs > limit {
		out = append(out, fmt.Sprintf("%.0f open fds besides pack files, baseline %.0f: more than %.0f", after.FDs-after.PackFDs, base.FDs-base.PackFDs, limit))
	}
	if limit := float64(clones * faultPackFDs); after.PackFDs > limit {
		out = append(out, fmt.Sprintf("%.0f pack files open for %d clones: more than %.0f", after.PackFDs, clones, limit))
	}
	if limit := memBase.InUse()*3/2 + 16<<20; after.InUse() > limit {
		out = append(out, fmt.Sprintf("RSS in use %.1f MiB, baseline %.1f MiB: more than %.1f MiB",
			float64(after.InUse())/(1<<20), float64(memBase.InUse())/(1<<20), float64(limit)/(1<<20)))
	}
	if limit := memBase.LiveHeap*3/2 + 16<<20; after.LiveHeap > limit {
		out = append(out, fmt.Sprintf("live heap %.1f MiB, baseline %.1f MiB: more than %.1f MiB",
			float64(after.LiveHeap)/(1<<20), float64(memBase.LiveHeap)/(1<<20), float64(limit)/(1<<20)))
	}
	return out
}

// faultCheckIsolation says which raw files of the control fabric waited
// longer than bound to be ingested (latencies from faultLatencies).
func faultCheckIsolation(lat map[string]time.Duration, bound time.Duration) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(lat)) {
		if d := lat[name]; d > bound {
			out = append(out, fmt.Sprintf("%s: raw/%s.yaml ingested %s after it was pushed, more than %s", faultControl, name, d, bound))
		}
	}
	return out
}

// faultSpread summarizes latencies: median and maximum.
func faultSpread(lat map[string]time.Duration) string {
	if len(lat) == 0 {
		return "(none)"
	}
	v := slices.Sorted(maps.Values(lat))
	return fmt.Sprintf("%s median, %s at most (%d files)", v[len(v)/2], v[len(v)-1], len(v))
}

// faultLatencies returns, for each raw file others committed (in history,
// from faultRemoteLog), how long after that commit a commit of fgd's first
// touched its resource in managed/vpcs/ (commit times: 1 s resolution).
// Files fgd has not ingested yet are absent.
func faultLatencies(history string) map[string]time.Duration {
	pushed := map[string]int64{}
	out := map[string]time.Duration{}
	var at int64
	var author string
	for _, line := range strings.Split(history, "\n") {
		if head, ok := strings.CutPrefix(line, "@"); ok {
			ts, who, _ := strings.Cut(head, " ")
			at, _ = strconv.ParseInt(ts, 10, 64)
			author = who
			continue
		}
		dir, file := path.Split(line)
		name, ok := strings.CutSuffix(file, ".yaml")
		if !ok {
			continue
		}
		_, seen := pushed[name]
		_, done := out[name]
		switch {
		case author == gittest.AuthorName && dir == faultFGD+"/raw/" && !seen:
			pushed[name] = at
		case author != gittest.AuthorName && dir == faultFGD+"/managed/vpcs/" && seen && !done:
			out[name] = time.Duration(at-pushed[name]) * time.Second
		}
	}
	return out
}

// faultCheckTree says what keeps a remote's FGD (paths from the repository
// root) from holding every wanted resource in managed/ and nothing in raw/
// or unmanaged/.
func faultCheckTree(fabric string, paths, want []string) []string {
	var out []string
	have := map[string]bool{}
	for _, p := range paths {
		have[p] = true
		dir, name := path.Split(p)
		if strings.HasPrefix(name, ".") {
			continue // .gitkeep
		}
		switch dir {
		case faultFGD + "/raw/":
			out = append(out, fmt.Sprintf("%s: un-ingested raw file %s", fabric, p))
		case faultFGD + "/unmanaged/":
			out = append(out, fmt.Sprintf("%s: refused file %s", fabric, p))
		}
	}
	for _, w := range want {
		if p := faultFGD + "/managed/vpcs/" + w + ".yaml"; !have[p] {
			out = append(out, fmt.Sprintf("%s: the remote's head lacks %s", fabric, p))
		}
	}
	return out
}

// faultCheckSink says which wanted resources a directory sink's live tree
// (paths relative to it) does not publish.
func faultCheckSink(fabric string, published, want []string) []string {
	have := map[string]bool{}
	for _, p := range published {
		have[p] = true
	}
	var out []string
	for _, w := range want {
		if !have["vpcs/"+w+".yaml"] {
			out = append(out, fmt.Sprintf("%s: the sink does not publish vpcs/%s.yaml", fabric, w))
		}
	}
	return out
}

// faultTransition is one change of a circuit's state, from the log.
type faultTransition struct {
	At       time.Time
	From, To string
}

// faultNext are the changes SPEC §4's breaker can make.
var faultNext = map[string][]string{"closed": {"open"}, "open": {"half-open"}, "half-open": {"closed", "open"}}

// faultCheckCircuit checks one remote's circuit: its changes follow
// faultNext from closed; each open lasts openFor (less faultSlack) before
// the half-open probe; and no request reaches the git server while it is
// open, from grace after it opened (requests already sent may arrive late)
// until openFor less faultSlack after.
func faultCheckCircuit(trs []faultTransition, reqs []faultRequest, openFor, grace time.Duration) []string {
	var out []string
	state := "closed"
	for i, tr := range trs {
		at := tr.At.Format("15:04:05.000")
		if tr.From != state || !slices.Contains(faultNext[state], tr.To) {
			out = append(out, fmt.Sprintf("%s: %s → %s after %s", at, tr.From, tr.To, state))
		}
		state = tr.To
		if tr.To != "open" {
			continue
		}
		if i+1 < len(trs) && trs[i+1].At.Before(tr.At.Add(openFor-faultSlack)) {
			out = append(out, fmt.Sprintf("%s: open for only %s before %s", at, trs[i+1].At.Sub(tr.At).Round(time.Millisecond), trs[i+1].To))
		}
		from, to := tr.At.Add(grace), tr.At.Add(openFor-faultSlack)
		kinds := map[string]int{}
		n := 0
		for _, r := range reqs {
			if !r.At.Before(from) && r.At.Before(to) {
				kinds[r.Kind]++
				n++
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("opened at %s: %d requests reached the git server while open (+%s to +%s): %v", at, n, grace, openFor-faultSlack, kinds))
		}
	}
	return out
}

// The leak check flags each figure that grew past its threshold, and only
// those.
func TestFaultLeakCheck(t *testing.T) {
	const clones = 2
	base := faultUsage{Goroutines: 200, FDs: 60, PackFDs: 2, RSS: 40 << 20}
	tests := []struct {
		name        string
		base, after faultUsage
		want        []string // substrings, one per problem
	}{
		{"same", base, base, nil},
		{"within every threshold", base, faultUsage{220, 63 + 30, 32, 76 << 20, 0, 0}, nil},
		{"goroutines", base, faultUsage{221, 60, 2, 40 << 20, 0, 0}, []string{"goroutines"}},
		{"5 goroutines more on a small baseline", faultUsage{Goroutines: 10}, faultUsage{Goroutines: 15}, nil},
		{"6 goroutines more on a small baseline", faultUsage{Goroutines: 10}, faultUsage{Goroutines: 16}, []string{"goroutines"}},
		{"fds", base, faultUsage{200, 64, 2, 40 << 20, 0, 0}, []string{"fds besides pack files"}},
		{"pack files past the cache", base, faultUsage{200, 60 + 31, 33, 40 << 20, 0, 0}, []string{"33 pack files"}},
		{"rss", base, faultUsage{200, 60, 2, 77 << 20, 0, 0}, []string{"RSS"}},
		{"rss held free by the runtime", base, faultUsage{200, 60, 2, 200 << 20, 130 << 20, 0}, nil},
		{"rss in use", base, faultUsage{200, 60, 2, 200 << 20, 120 << 20, 0}, []string{"RSS in use 80.0 MiB"}},
		{"live heap within its bound", faultUsage{LiveHeap: 10 << 20}, faultUsage{LiveHeap: 31 << 20}, nil},
		{"live heap", faultUsage{LiveHeap: 10 << 20}, faultUsage{LiveHeap: 32<<20 + 1}, []string{"live heap 32.0 MiB, baseline 10.0 MiB"}},
		{"all", base, faultUsage{400, 100, 2, 200 << 20, 0, 0}, []string{"goroutines", "fds", "RSS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := faultCheckLeak(tt.base, tt.base, tt.after, clones)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %d problems about %v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not name %s", got[i], w)
				}
			}
		})
	}
}

// The convergence check, on a real remote: a raw file fgd has not ingested,
// a resource missing from managed/ or from the sink, or a refused file is
// reported; a converged FGD is not.
func TestFaultConvergenceCheck(t *testing.T) {
	gittest.RequireGit(t)
	managed := func(n string) string { return faultFGD + "/managed/vpcs/" + n + ".yaml" }
	tests := []struct {
		name      string
		files     []string
		published []string
		want      []string // substrings, one per problem, in order
	}{
		{"converged", []string{managed("a"), managed("b"), faultFGD + "/raw/.gitkeep"}, []string{"vpcs/a.yaml", "vpcs/b.yaml"}, nil},
		{"raw file left", []string{managed("a"), managed("b"), faultFGD + "/raw/b.yaml"}, []string{"vpcs/a.yaml", "vpcs/b.yaml"},
			[]string{"un-ingested raw file fgd/raw/b.yaml"}},
		{"not ingested at all", []string{managed("a"), faultFGD + "/raw/b.yaml"}, []string{"vpcs/a.yaml"},
			[]string{"un-ingested raw file fgd/raw/b.yaml", "lacks " + managed("b"), "does not publish vpcs/b.yaml"}},
		{"refused", []string{managed("a"), managed("b"), faultFGD + "/unmanaged/b.yaml"}, []string{"vpcs/a.yaml", "vpcs/b.yaml"},
			[]string{"refused file fgd/unmanaged/b.yaml"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for _, p := range tt.files {
				files[p] = "x\n"
			}
			r := gittest.NewRemote(t, t.TempDir(), fmt.Sprintf("c%d.git", i), "main", files)
			paths, err := faultRemotePaths(r)
			if err != nil {
				t.Fatal(err)
			}
			sink := t.TempDir()
			live := map[string]string{}
			for _, p := range tt.published {
				live[".trees/r1/"+p] = "x\n"
			}
			gittest.WriteFiles(t, sink, live)
			if err := os.Symlink(".trees/r1", filepath.Join(sink, "current")); err != nil {
				t.Fatal(err)
			}
			published, err := faultSinkPaths(sink)
			if err != nil {
				t.Fatal(err)
			}
			got := append(faultCheckTree("c", paths, []string{"a", "b"}), faultCheckSink("c", published, []string{"a", "b"})...)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want problems about %q", got, tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want one about %q", got[i], w)
				}
			}
		})
	}
}

// The circuit check flags an impossible change, a probe before the window
// ended, and a request that reached the server while the circuit was open;
// a request within the grace, or after the window, is not flagged.
func TestFaultCircuitCheck(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const openFor, grace = time.Minute, 4 * time.Second
	cycle := []faultTransition{{at(0), "closed", "open"}, {at(61 * time.Second), "open", "half-open"}, {at(61*time.Second + 50*time.Millisecond), "half-open", "closed"}}
	tests := []struct {
		name string
		trs  []faultTransition
		reqs []faultRequest
		want []string
	}{
		{"open, probe, closed", cycle, []faultRequest{{at(-time.Second), faultFetch}, {at(2 * time.Second), faultFetch}, {at(60 * time.Second), faultRefsFetch}}, nil},
		{"probe fails, opens again", append(cycle[:2:2], faultTransition{at(62 * time.Second), "half-open", "open"}, faultTransition{at(123 * time.Second), "open", "half-open"}), nil, nil},
		{"request while open", cycle, []faultRequest{{at(30 * time.Second), faultRefsFetch}, {at(31 * time.Second), faultPush}}, []string{"2 requests reached the git server"}},
		{"probe too early", []faultTransition{{at(0), "closed", "open"}, {at(10 * time.Second), "open", "half-open"}}, nil, []string{"open for only 10s"}},
		{"open to closed", []faultTransition{{at(0), "closed", "open"}, {at(61 * time.Second), "open", "closed"}}, nil, []string{"open → closed after open"}},
		{"a change missing from the log", []faultTransition{{at(0), "closed", "open"}, {at(70 * time.Second), "half-open", "closed"}}, nil, []string{"half-open → closed after open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := faultCheckCircuit(tt.trs, tt.reqs, openFor, grace)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want problems about %q", got, tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want one about %q", got[i], w)
				}
			}
		})
	}
}

// The log reader finds the circuit changes of git remotes, with their time,
// and the lines that tell of a panic.
func TestFaultLogReaders(t *testing.T) {
	logText := `{"time":"2025-01-01T12:00:00.123Z","level":"WARN","msg":"circuit open","target":"git:http://127.0.0.1:1/f00.git","from":"closed"}
{"time":"2025-01-01T12:00:01Z","level":"INFO","msg":"sync failed","fabric":"f00","err":"circuit breaker is open"}
{"time":"2025-01-01T12:01:00.5Z","level":"INFO","msg":"circuit half-open","target":"git:http://127.0.0.1:1/f00.git","from":"open"}
{"time":"2025-01-01T12:01:00.6Z","level":"INFO","msg":"circuit closed","target":"sink:f00/directory-0","from":"half-open"}
{"time":"2025-01-01T12:01:02Z","level":"ERROR","msg":"sync failed","err":"internal error (please report): boom"}
panic: runtime error: index out of range
`
	trs, err := faultLogTransitions(logText)
	if err != nil {
		t.Fatal(err)
	}
	got := trs["git:http://127.0.0.1:1/f00.git"]
	if len(trs) != 1 || len(got) != 2 || got[0].To != "open" || got[0].From != "closed" || got[1].To != "half-open" ||
		got[1].At.Sub(got[0].At) != 60377*time.Millisecond {
		t.Errorf("transitions %+v", trs)
	}
	if p := faultPanics(logText); len(p) != 2 {
		t.Errorf("panics %q, want the recovered one and Go's trace", p)
	}
	if _, err := faultLogTransitions(`{"msg":"circuit open", broken`); err == nil {
		t.Error("a broken circuit line was not reported")
	}
}

// The latency reader pairs each pushed raw file with fgd's first commit
// that put its resource in managed/; the isolation check flags the slow
// ones only. On a real remote's history, then on a made-up one.
func TestFaultIsolationCheck(t *testing.T) {
	gittest.RequireGit(t)
	r := gittest.NewRemote(t, t.TempDir(), "iso.git", "main", map[string]string{faultFGD + "/raw/.gitkeep": ""})
	if err := faultCommitRaw(r, "x"); err != nil {
		t.Fatal(err)
	}
	history, err := faultRemoteLog(r)
	if err != nil {
		t.Fatal(err)
	}
	if lat := faultLatencies(history + "\n@" + fmt.Sprint(time.Now().Unix()+7) + " fgd\n" + faultFGD + "/managed/vpcs/x.yaml\n"); len(lat) != 1 || lat["x"] < 6*time.Second || lat["x"] > 8*time.Second {
		t.Errorf("latencies %v, want x after about 7 s (history %q)", lat, history)
	}

	made := "@100 Someone Else\nfgd/raw/a.yaml\n@101 Someone Else\nfgd/raw/b.yaml\nfgd/raw/c.yaml\n" +
		"@103 fgd\nfgd/managed/vpcs/a.yaml\nfgd/raw/a.yaml\n@150 fgd\nfgd/managed/vpcs/b.yaml\n@160 fgd\nfgd/managed/vpcs/a.yaml\n"
	lat := faultLatencies(made)
	if len(lat) != 2 || lat["a"] != 3*time.Second || lat["b"] != 49*time.Second {
		t.Fatalf("latencies %v, want a 3s, b 49s, c not yet", lat)
	}
	if got := faultCheckIsolation(lat, 30*time.Second); len(got) != 1 || !strings.Contains(got[0], "raw/b.yaml ingested 49s") {
		t.Errorf("isolation problems %q, want b only", got)
	}
	if got := faultCheckIsolation(lat, time.Minute); len(got) != 0 {
		t.Errorf("isolation problems %q within a minute", got)
	}
}
