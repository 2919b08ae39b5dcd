package git_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/state"
	"github.com/fgdproject/fgd/reconciler"
	"github.com/fgdproject/fgd/sources/git/gittest"
)

// TestGitPollFailuresAreTheFabricsState: once a git fabric has synced, a
// remote that goes down and then a password that goes wrong each become
// the fabric's state from the next head check on, with no sync failing:
// the failure, its class and its remediation in the fabric's record (what
// the API, fgd status and the status page read) and in its status (what
// /readyz reads). Failed checks of the down remote open its circuit; stalled
// ones (the password) do not count. Each recovery clears it all.
func TestGitPollFailuresAreTheFabricsState(t *testing.T) {
	root := t.TempDir()
	gittest.NewRemote(t, root, "fabric.git", "main", map[string]string{"fgd/raw/a.yaml": vpc("vpc-a")})
	srv := gittest.NewHTTPServer(t, root, "git", "right-pass")
	proxy := newProxy(t, strings.TrimSuffix(strings.TrimPrefix(srv.URL(""), "http://"), "/"))
	url := "http://" + proxy.Addr() + "/fabric.git"
	target := "git:" + url
	store, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, reconciler.Options{Store: store, Breakers: resilience.BreakerOptions{OpenFor: time.Second}})
	d.hub.GuardPolls(d.rec.GuardRemote)
	pw := gittest.WriteSecret(t, t.TempDir(), "pw", "right-pass")
	d.apply(d.gitSpec("dc1", config.GitSource{URL: url, Path: "fgd", Interval: 200 * time.Millisecond,
		Auth: config.GitAuth{Username: "git", PasswordFile: pw}}))
	record := func() state.Fabric {
		f, err := store.Fabric(nil, "dc1")
		if err != nil || f == nil {
			t.Fatalf("the store has no fabric dc1: %v", err)
		}
		return *f
	}
	healthy := func() bool {
		f := record()
		return f.State == state.FabricIdle && f.LastError == "" && f.ErrorClass == "" && d.fabric("dc1").SourceError == nil
	}
	eventually(t, "the first sync", func() bool { return !d.fabric("dc1").LastSuccess.IsZero() && healthy() })
	syncs := d.fabric("dc1").Syncs

	// The remote goes down.
	// A connection busy when its idle ones are dropped stays open: drop
	// them until every request needs a new one.
	setDown(t, proxy, true)
	eventually(t, "the down remote in the fabric's record", func() bool {
		srv.DropIdleConns()
		f := record()
		return f.State == state.FabricFailed && f.ErrorClass == "transient" &&
			strings.Contains(f.LastError, url) && strings.Contains(f.Remediation, "reachable")
	})
	if se := d.fabric("dc1").SourceError; se == nil || se.Class != "transient" || se.Remediation == "" {
		t.Errorf("status SourceError = %+v, want the transient failure with its remediation", se)
	}
	eventually(t, "five failed checks to open the circuit", func() bool {
		return d.rec.CircuitState(target) == resilience.BreakerOpen && record().Circuits[target] == "open"
	})
	// A sync the open circuit refuses leaves the remote's failure shown.
	before := d.fabric("dc1").Syncs
	if err := d.rec.Trigger("dc1", reconciler.Trigger{Kind: "manual"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused sync", func() bool { f := d.fabric("dc1"); return f.Syncs > before && !f.Syncing })
	if f := record(); d.rec.CircuitState(target) == resilience.BreakerOpen &&
		(f.ErrorClass != "transient" || !strings.Contains(f.LastError, url) || strings.Contains(f.LastError, "circuit")) {
		t.Errorf("with the circuit open the record shows %q (%s), want the remote's failure", f.LastError, f.ErrorClass)
	}

	// It comes back: the probe closes the circuit, the recovery clears the
	// error and syncs.
	setDown(t, proxy, false)
	eventually(t, "the recovery", func() bool {
		return d.rec.CircuitState(target) == resilience.BreakerClosed && record().Circuits[target] == "closed" && healthy()
	})
	eventually(t, "the sync of the recovery", func() bool { return d.fabric("dc1").Syncs > syncs })

	// The password goes wrong: stalled, with the credentials' remediation,
	// and no count toward the circuit.
	if err := os.WriteFile(pw, []byte("wrong-pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused password in the fabric's record", func() bool {
		f := record()
		return f.State == state.FabricFailed && f.ErrorClass == "stalled" && strings.Contains(f.Remediation, "check the credentials")
	})
	refused := srv.Unauthorized.Load()
	eventually(t, "six more refused checks", func() bool { return srv.Unauthorized.Load() >= refused+6 })
	if st := d.rec.CircuitState(target); st != resilience.BreakerClosed {
		t.Errorf("circuit %s after refused passwords, want closed: a stalled check says nothing of the remote", st)
	}
	if strings.Contains(record().LastError, "wrong-pass") {
		t.Error("the record holds the password")
	}
	if err := os.WriteFile(pw, []byte("right-pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the recovery from the password", healthy)
}
