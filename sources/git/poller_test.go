package git_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/sources/git"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// monorepo is three FGDs in one repository, served over HTTP.
func monorepo() map[string]string {
	files := map[string]string{"README.md": "three fabrics\n"}
	for _, sub := range []string{"fabrics/a", "fabrics/b", "fabrics/c"} {
		files[sub+"/raw/vpc.yaml"] = "kind: VPC # " + sub + "\n"
	}
	return files
}

// recorder collects the triggers of one subscriber.
type recorder struct {
	mu      sync.Mutex
	reasons []string
}

func (r *recorder) trigger(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reasons...)
}

// pollerEnv runs a Poller with an interval of an hour, so only Kick polls,
// and lets the test wait until a kicked poll has completed.
type pollerEnv struct {
	*env
	repo   *git.Repo
	poller *git.Poller
	subs   map[string]*recorder
	polled chan struct{}
}

func newPollerEnv(t *testing.T, subs ...string) *pollerEnv {
	e := newEnv(t, "http", monorepo())
	p := &pollerEnv{env: e, subs: map[string]*recorder{}, polled: make(chan struct{}, 1)}
	p.repo = e.open(e.options())
	p.poller = git.NewPoller(p.repo, time.Hour, nil)
	git.SetAfterPoll(p.poller, func() { p.polled <- struct{}{} })
	for _, s := range subs {
		rec := &recorder{}
		p.subs[s] = rec
		p.poller.Subscribe(s, rec.trigger, nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.poller.Run(ctx) }()
	p.waitPoll(t) // the first poll
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return p
}

// pollNow kicks a poll and returns once it has triggered its subscribers,
// with the info/refs requests it made.
func (p *pollerEnv) pollNow(t *testing.T) int64 {
	t.Helper()
	before := p.http.InfoRefs.Load()
	p.poller.Kick()
	p.waitPoll(t)
	return p.http.InfoRefs.Load() - before
}

func (p *pollerEnv) waitPoll(t *testing.T) {
	t.Helper()
	select {
	case <-p.polled:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for a poll")
	}
}

// want checks the triggers each subscriber got so far.
func (p *pollerEnv) want(t *testing.T, want map[string]string) {
	t.Helper()
	for sub, rec := range p.subs {
		if got := strings.Join(rec.get(), ","); got != want[sub] {
			t.Errorf("subscriber %s got triggers %q, want %q", sub, got, want[sub])
		}
	}
}

// TestMonorepoPoller: three fabrics of one repository share one Repo and one
// Poller: one head check per poll, no fetch while nothing moves, a change by
// someone else wakes only the fabric whose path it touched, and fgd's own
// pushes wake nobody.
func TestMonorepoPoller(t *testing.T) {
	p := newPollerEnv(t, "fabrics/a", "fabrics/b", "fabrics/c")
	p.want(t, map[string]string{"fabrics/a": "startup", "fabrics/b": "startup", "fabrics/c": "startup"})

	// The three fabrics' first syncs: one clone for all.
	for range 3 {
		do(t, p.repo, func(ctx context.Context, w *git.Worktree) error {
			_, err := w.Update(ctx)
			return err
		})
	}
	_, uploads, _ := p.http.Counts()
	if uploads != 1 {
		t.Errorf("three fabrics' first syncs made %d upload-pack requests, want 1 (one clone)", uploads)
	}

	// Nothing moves: one head check per poll, no fetch, no trigger.
	for i := 0; i < 3; i++ {
		if n := p.pollNow(t); n != 1 {
			t.Errorf("a poll made %d head checks, want 1", n)
		}
	}
	if _, u, _ := p.http.Counts(); u != uploads {
		t.Errorf("polls without a change fetched (%d upload-pack requests)", u-uploads)
	}
	p.want(t, map[string]string{"fabrics/a": "startup", "fabrics/b": "startup", "fabrics/c": "startup"})

	// Someone else pushes into b only.
	p.remote.Change(t, "drop into b", map[string]string{"fabrics/b/raw/new.yaml": "kind: VPC\n"}, nil)
	p.pollNow(t)
	p.want(t, map[string]string{"fabrics/a": "startup", "fabrics/b": "startup,kick", "fabrics/c": "startup"})

	// fgd's own push (into c) wakes nobody.
	do(t, p.repo, func(ctx context.Context, w *git.Worktree) error {
		if _, err := w.Update(ctx); err != nil {
			return err
		}
		dir, err := w.Path("fabrics/c")
		if err != nil {
			return err
		}
		gittest.WriteFiles(t, dir, map[string]string{"managed/vpcs/vpc.yaml": "kind: VPC\n"})
		if _, _, err := w.Commit(ctx, "fabrics/c", "fgd: ingest c"); err != nil {
			return err
		}
		return w.Push(ctx)
	})
	p.pollNow(t)
	p.want(t, map[string]string{"fabrics/a": "startup", "fabrics/b": "startup,kick", "fabrics/c": "startup"})

	// A push made elsewhere but recorded with Seen wakes nobody either.
	seen := p.remote.Change(t, "recorded", map[string]string{"fabrics/a/raw/x.yaml": "kind: VPC\n"}, nil)
	p.poller.Seen(plumbing.NewHash(seen))
	p.pollNow(t)
	p.want(t, map[string]string{"fabrics/a": "startup", "fabrics/b": "startup,kick", "fabrics/c": "startup"})

	// fgd's commit on top of someone else's change: the change still wakes
	// its fabric (a), fgd's part (b) does not.
	var other string
	do(t, p.repo, func(ctx context.Context, w *git.Worktree) error {
		other = p.remote.Change(t, "drop into a", map[string]string{"fabrics/a/raw/y.yaml": "kind: VPC\n"}, nil)
		if _, err := w.Update(ctx); err != nil {
			return err
		}
		dir, err := w.Path("fabrics/b")
		if err != nil {
			return err
		}
		gittest.WriteFiles(t, dir, map[string]string{"managed/vpcs/new.yaml": "kind: VPC\n"})
		if _, _, err := w.Commit(ctx, "fabrics/b", "fgd: ingest b"); err != nil {
			return err
		}
		return w.Push(ctx)
	})
	p.pollNow(t)
	p.want(t, map[string]string{"fabrics/a": "startup,kick", "fabrics/b": "startup,kick", "fabrics/c": "startup"})
	if log := p.remote.Log(t); !strings.HasPrefix(log[1], other) {
		t.Errorf("fgd's commit is not on top of %s:\n%s", other, strings.Join(log, "\n"))
	}
}

// TestPollerStartupAndLateSubscriber: the first poll triggers everyone once,
// even when the remote fails; a subscriber that comes later is triggered at
// once; an unsubscribed one no more; a failing check triggers nobody.
func TestPollerStartupAndLateSubscriber(t *testing.T) {
	p := newPollerEnv(t, ".")
	late := &recorder{}
	unsubscribe := p.poller.Subscribe("fabrics/a", late.trigger, nil)
	if got := strings.Join(late.get(), ","); got != "startup" {
		t.Errorf("a late subscriber got %q, want startup", got)
	}
	unsubscribe()
	p.remote.Change(t, "into a", map[string]string{"fabrics/a/raw/z.yaml": "kind: VPC\n"}, nil)
	p.pollNow(t)
	p.want(t, map[string]string{".": "startup,kick"})
	if got := strings.Join(late.get(), ","); got != "startup" {
		t.Errorf("an unsubscribed subscriber got %q", got)
	}
}

// TestConcurrentFabrics: three fabrics of one repository sync at once: Do
// serializes them, every drop ends in a commit, none is lost, the history
// is linear.
func TestConcurrentFabrics(t *testing.T) {
	e := newEnv(t, "http", monorepo())
	r := e.open(e.options())
	subs := []string{"fabrics/a", "fabrics/b", "fabrics/c"}
	var wg sync.WaitGroup
	errs := make(chan error, len(subs))
	for _, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.Do(context.Background(), func(ctx context.Context, w *git.Worktree) error {
				if _, err := w.Update(ctx); err != nil {
					return err
				}
				dir, err := w.Path(sub)
				if err != nil {
					return err
				}
				gittest.WriteFiles(t, dir, map[string]string{"managed/vpcs/vpc.yaml": "kind: VPC # " + sub + "\n"})
				_, changed, err := w.Commit(ctx, sub, "fgd: ingest "+sub)
				if err == nil && !changed {
					err = errors.New("no commit")
				}
				if err != nil {
					return err
				}
				return w.Push(ctx)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	log := e.remote.Log(t)
	if len(log) != 4 {
		t.Fatalf("history:\n%s\nwant the seed and three fgd commits", strings.Join(log, "\n"))
	}
	for _, line := range log[:3] {
		if n := len(strings.Fields(strings.SplitN(line, "|", 2)[0])); n != 2 {
			t.Errorf("commit %q has %d parents, want 1", line, n-1)
		}
	}
	files := e.remote.Files(t)
	for _, sub := range subs {
		if got, want := files[sub+"/managed/vpcs/vpc.yaml"], "kind: VPC # "+sub; got != want {
			t.Errorf("%s: %q, want %q", sub, got, want)
		}
	}
}

// reports collects what a subscriber is told of the head checks.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) report(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *reports) get() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// runPoller runs poller until the test ends; the returned function kicks a
// poll and waits until it is done.
func runPoller(t *testing.T, poller *git.Poller) (pollNow func()) {
	t.Helper()
	polled := make(chan struct{}, 1)
	git.SetAfterPoll(poller, func() { polled <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- poller.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	wait := func() {
		t.Helper()
		select {
		case <-polled:
		case <-time.After(2 * time.Minute):
			t.Fatal("no poll ended in 2 minutes")
		}
	}
	wait() // the first poll
	return func() {
		t.Helper()
		poller.Kick()
		wait()
	}
}

// TestPollerRemoteDown: the first poll triggers every subscriber even when
// the remote cannot be reached (their syncs record the failure); later
// failing checks trigger nobody and are logged once, and every subscriber,
// even one that comes late, is told each failure, classified transient
// with a remediation naming the remote.
func TestPollerRemoteDown(t *testing.T) {
	e := newEnv(t, "http", monorepo())
	o := e.options()
	e.http.Close()
	r := e.open(o)
	poller := git.NewPoller(r, time.Hour, nil)
	rec, rep := &recorder{}, &reports{}
	poller.Subscribe("fabrics/a", rec.trigger, rep.report)
	pollNow := runPoller(t, poller)
	pollNow()
	pollNow()
	if got := strings.Join(rec.get(), ","); got != "startup" {
		t.Errorf("triggers with the remote down = %q, want startup", got)
	}
	if n := strings.Count(e.logs.String(), "level=WARN msg=\"remote head check failed\""); n != 1 {
		t.Errorf("%d warnings for three failed checks, want 1:\n%s", n, e.logs.String())
	}
	errs := rep.get()
	if len(errs) != 3 {
		t.Fatalf("%d reports for three failed checks, want 3: %v", len(errs), errs)
	}
	var re *resilience.Error
	if err := errs[2]; !errors.As(err, &re) || re.Class != resilience.ClassTransient ||
		!strings.Contains(re.Remediation, e.url) || !strings.Contains(err.Error(), e.url) {
		t.Errorf("report = %v (%#v), want a transient error naming %s with a remediation", err, re, e.url)
	}
	late := &reports{}
	unsubscribe := poller.Subscribe("fabrics/b", func(string) {}, late.report)
	defer unsubscribe()
	if got := late.get(); len(got) != 1 || got[0] == nil {
		t.Errorf("a subscriber that comes while the checks fail is told %v, want the failure", got)
	}
}

// TestPollerWrongPassword: a refused password is reported stalled, with
// the remediation of a sync's, and fixing the password file reports the
// recovery (nil) at the next check.
func TestPollerWrongPassword(t *testing.T) {
	e := newEnv(t, "http", monorepo())
	o := e.options()
	o.Auth.PasswordFile = gittest.WriteSecret(t, t.TempDir(), "password", "not-the-password\n")
	poller := git.NewPoller(e.open(o), time.Hour, nil)
	rep := &reports{}
	poller.Subscribe("fabrics/a", func(string) {}, rep.report)
	pollNow := runPoller(t, poller)
	errs := rep.get()
	if len(errs) != 1 || resilience.ClassOf(errs[0]) != resilience.ClassStalled || !strings.Contains(errs[0].Error(), "check the credentials") {
		t.Fatalf("reports with a wrong password = %v, want one stalled error with a remediation", errs)
	}
	if err := os.WriteFile(o.Auth.PasswordFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pollNow()
	if errs := rep.get(); len(errs) != 2 || errs[1] != nil {
		t.Errorf("reports after the fix = %v, want the failure then nil", errs)
	}
}

// TestPollerCountsTowardTheCircuit: head checks go through the remote's
// circuit breaker: five failed checks open it, and while it is open no
// check reaches the remote nor replaces the failure the fabrics were told;
// after the open window the next check is the probe, which closes it once
// the remote is back, and the change made meanwhile is seen.
func TestPollerCountsTowardTheCircuit(t *testing.T) {
	e := newEnv(t, "http", monorepo())
	proxy := newProxy(t, strings.TrimPrefix(strings.TrimSuffix(e.http.URL(""), "/"), "http://"))
	o := e.options()
	o.URL = "http://" + proxy.Addr() + "/fabric.git"
	poller := git.NewPoller(e.open(o), time.Hour, nil)
	breakers := resilience.NewBreakers(resilience.BreakerOptions{OpenFor: 3 * time.Second})
	const target = "git:remote"
	poller.Guard(func(check func() error) error { return breakers.Do(target, check) })
	rec, rep := &recorder{}, &reports{}
	poller.Subscribe("fabrics/a", rec.trigger, rep.report)
	// Down from the start: a change of fault spares open connections.
	setDown(t, proxy, true)
	pollNow := runPoller(t, poller) // the first check fails
	for i := 2; i <= 5; i++ {
		if st := breakers.State(target); st != resilience.BreakerClosed {
			t.Fatalf("circuit %s after %d failed checks, want closed until 5", st, i-1)
		}
		pollNow()
	}
	if st := breakers.State(target); st != resilience.BreakerOpen {
		t.Fatalf("circuit %s after 5 failed checks, want open: %v", st, rep.get())
	}
	e.remote.Change(t, "drop into a", map[string]string{"fabrics/a/raw/new.yaml": "kind: VPC\n"}, nil)
	setDown(t, proxy, false)
	before, reported := e.http.InfoRefs.Load(), len(rep.get())
	for range 3 {
		if breakers.State(target) != resilience.BreakerOpen {
			break // the window passed on a loaded machine: the probe is next
		}
		pollNow()
		if n := e.http.InfoRefs.Load() - before; n != 0 && breakers.State(target) == resilience.BreakerOpen {
			t.Errorf("%d head checks reached the remote while its circuit was open", n)
		}
	}
	if got := rep.get(); len(got) != reported && breakers.State(target) == resilience.BreakerOpen {
		t.Errorf("skipped checks were reported: %v", got[reported:])
	}
	waitFor(t, "the open window to pass", func() bool { return breakers.State(target) != resilience.BreakerOpen })
	pollNow()
	if st := breakers.State(target); st != resilience.BreakerClosed {
		t.Errorf("circuit %s after the probe with the remote back, want closed", st)
	}
	if got := rep.get(); got[len(got)-1] != nil {
		t.Errorf("last report %v after the recovery, want nil", got[len(got)-1])
	}
	if got := strings.Join(rec.get(), ","); got != "startup,kick" {
		t.Errorf("triggers = %q, want startup,kick: the change made while open is seen", got)
	}
}
