package kubernetes

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/fgdproject/fgd/internal/resilience"
	"github.com/fgdproject/fgd/internal/testutil/kubetest"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestClusterWithoutCRDsStalls: a cluster without the Hedgehog CRDs stalls the fabric, telling the
// operator to install them.
func TestClusterWithoutCRDsStalls(t *testing.T) {
	srv := kubetest.Start(t, kubetest.Options{NoCRDs: true})
	s := newSink(t, srv, "nocrds", "default", nil)
	_, err := s.Apply(testCtx(t), firstApply([]contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), "default")}))
	if resilience.ClassOf(err) != resilience.ClassStalled || !strings.Contains(err.Error(), "install the Hedgehog CRDs") {
		t.Fatalf("err %v (%s), want stalled with the remediation", err, resilience.ClassOf(err))
	}
}

// TestBadKubeconfigStalls: rejected credentials, a context the kubeconfig lacks and a missing file
// need a human, not retries; none of them shows the kubeconfig's secrets.
func TestBadKubeconfigStalls(t *testing.T) {
	srv := shared(t)
	kc, err := clientcmd.LoadFromFile(srv.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	token := kc.AuthInfos["test"].Token
	kc.AuthInfos["test"].Token = "not-the-token"
	badCreds := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, badCreds); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, context, want string
	}{
		{"rejected credentials", badCreds, "", "renew them"},
		{"unknown context", srv.Kubeconfig, "dc9", `has no context "dc9"`},
		{"missing file", filepath.Join(t.TempDir(), "nope"), "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, srv, "badkc", "default", func(o *Options) { o.KubeconfigFile, o.Context = tc.file, tc.context })
			_, err := s.Apply(testCtx(t), firstApply(nil))
			if resilience.ClassOf(err) != resilience.ClassStalled || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v (%s), want stalled with %q", err, resilience.ClassOf(err), tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Fatal("the error shows the token")
			}
		})
	}
}

// TestServerDownIsTransientAndOpensTheCircuit: while the API server cannot be reached, each sync
// fails transiently; five in a row open the sink's circuit, and once the server is back the
// half-open probe succeeds and closes it.
func TestServerDownIsTransientAndOpensTheCircuit(t *testing.T) {
	srv := shared(t)
	fw := newForwarder(t, strings.TrimPrefix(srv.Host, "https://"))
	kc, err := clientcmd.LoadFromFile(srv.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc.Clusters["test"].Server = "https://" + fw.addr
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	ns := srv.Namespace(t)
	s := newSink(t, srv, "down", ns, func(o *Options) { o.KubeconfigFile = path })
	req := firstApply([]contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), ns)})
	breakers := resilience.NewBreakers(resilience.BreakerOptions{OpenFor: 500 * time.Millisecond})
	sync := func() error {
		return breakers.Do("sink:down/kubernetes-0", func() error { _, err := s.Apply(testCtx(t), req); return err })
	}

	fw.down()
	for i := range resilience.DefaultBreakerFailures {
		err := sync()
		if err == nil || resilience.ClassOf(err) != resilience.ClassTransient || errors.Is(err, resilience.ErrOpen) {
			t.Fatalf("attempt %d with the server down: %v (%s), want a transient failure", i+1, err, resilience.ClassOf(err))
		}
	}
	if err := sync(); !errors.Is(err, resilience.ErrOpen) {
		t.Fatalf("after 5 failures: %v, want the circuit open", err)
	}
	fw.up()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := sync()
		if err == nil {
			break
		}
		if !errors.Is(err, resilience.ErrOpen) || time.Now().After(deadline) {
			t.Fatalf("with the server back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := breakers.State("sink:down/kubernetes-0"); st != resilience.BreakerClosed {
		t.Errorf("circuit %s after a successful probe, want closed", st)
	}
	if got := subnet(t, srv, ns, "vpc-1"); got != "10.0.1.0/24" {
		t.Errorf("vpc-1 not applied after recovery: subnet %q", got)
	}
}

// forwarder is a TCP forwarder on a fixed loopback port that can be taken down (nothing listens:
// connections are refused, as with a stopped API server) and brought back on the same port.
type forwarder struct {
	t       *testing.T
	addr    string
	backend string
	mu      sync.Mutex
	ln      net.Listener
}

func newForwarder(t *testing.T, backend string) *forwarder {
	f := &forwarder{t: t, backend: backend}
	f.up()
	f.addr = f.ln.Addr().String()
	t.Cleanup(f.down)
	return f
}

func (f *forwarder) up() {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr := f.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.pipe(c)
		}
	}()
}

func (f *forwarder) pipe(c net.Conn) {
	defer c.Close()
	b, err := net.Dial("tcp", f.backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// down stops listening. Connections already forwarded stay open; the test takes the server down
// before the sink's first request, so none are.
func (f *forwarder) down() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
	}
}
