package kubernetes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/fgdproject/fgd/reconciler/contract"
)

const benchObjects = 5000

// BenchmarkKube5000 measures the sink against the real API server with 5,000 VPCs, each sync as the
// reconciler makes it (the live objects observed, then applied): the first apply against `kubectl
// apply --server-side -f` of the same objects, a re-sync with nothing changed (its time and the
// writes the server saw), and how long a subnet changed by another client takes to be restored
// through the watch (p50 of 10).
func BenchmarkKube5000(b *testing.B) {
	srv := shared(b)
	for i := 0; i < b.N; i++ {
		ctx := testCtx(b)
		ns := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano()%1e6, i)
		var desired []contract.Resource
		var stream strings.Builder
		for j := range benchObjects {
			doc := vpc(fmt.Sprintf("vpc-%d", j), fmt.Sprintf("10.%d.%d.0/24", j/256, j%256), 1000+j%3000)
			desired = append(desired, resourceOf(b, doc, ns))
			fmt.Fprintf(&stream, "---\n%s", strings.Replace(doc, "spec:", "  namespace: "+ns+"-kubectl\nspec:", 1))
		}
		fabric := "bench-" + ns
		s := newSink(b, srv, fabric, ns, nil)

		start := time.Now()
		out, err := syncOnce(ctx, s, firstApply(desired))
		first := time.Since(start)
		if err != nil || len(out.Objects) != benchObjects {
			b.Fatalf("first apply: %v, %d results", err, len(out.Objects))
		}
		file := filepath.Join(b.TempDir(), "vpcs.yaml")
		if err := os.WriteFile(file, []byte(stream.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		srv.Kubectl(b, nil, "apply", "--server-side", "-f", file)
		kubectl := time.Since(start)

		// After a restart: a new sink lists every object and compares the fields it owns.
		before := len(srv.Writes(b, UserAgent))
		start = time.Now()
		if _, err := syncOnce(ctx, newSink(b, srv, fabric, ns, nil), resync(desired)); err != nil {
			b.Fatal(err)
		}
		cold := time.Since(start)

		// As the daemon runs: the watches keep the live objects, and syncs read them there.
		stop := watching(b, ctx, s, desired)
		start = time.Now()
		if _, err := syncOnce(ctx, s, resync(desired)); err != nil {
			b.Fatal(err)
		}
		again := time.Since(start)
		writes := len(srv.Writes(b, UserAgent)) - before

		p50 := driftToRestored(b, ctx, ns)
		stop()
		b.Logf("first apply %s, kubectl %s, re-sync %s (after a restart %s) with %d writes, drift restored p50 %s",
			first, kubectl, again, cold, writes, p50)
		b.ReportMetric(first.Seconds(), "first-apply-s")
		b.ReportMetric(kubectl.Seconds(), "kubectl-apply-s")
		b.ReportMetric(first.Seconds()/kubectl.Seconds(), "x-kubectl")
		b.ReportMetric(float64(again.Milliseconds()), "resync-ms")
		b.ReportMetric(float64(cold.Milliseconds()), "resync-cold-ms")
		b.ReportMetric(float64(writes), "resync-writes")
		b.ReportMetric(float64(p50.Milliseconds()), "drift-restored-p50-ms")
	}
}

// watching runs the sink's watches, each trigger followed by a sync, as the daemon does, and
// returns once the watches have listed every kind.
func watching(b *testing.B, ctx context.Context, s *Sink, desired []contract.Resource) (stop func()) {
	wctx, cancel := context.WithCancel(ctx)
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = s.Watch(wctx, func(contract.Trigger) { poke(wake) }) }()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-wctx.Done():
				return
			case <-wake:
				_, _ = syncOnce(wctx, s, resync(desired))
			}
		}
	}()
	deadline := time.Now().Add(5 * time.Minute)
	for s.cachedLive() == nil {
		if time.Now().After(deadline) {
			b.Fatal("the watches never listed every kind")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return func() { cancel(); wg.Wait() }
}

// driftToRestored changes a VPC's subnet as another client would, ten times, and returns the
// median time until the sink, woken by its watch, has restored it.
func driftToRestored(b *testing.B, ctx context.Context, ns string) time.Duration {
	dyn, err := dynamic.NewForConfig(shared(b).Config)
	if err != nil {
		b.Fatal(err)
	}
	vpcs := kinds()[0].gvr
	for _, k := range kinds() {
		if k.kind == "VPC" {
			vpcs = k.gvr
		}
	}
	restore := func(i, attempt int, limit time.Duration) (time.Duration, bool) {
		name := fmt.Sprintf("vpc-%d", i)
		want := fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
		patch := fmt.Sprintf(`{"spec":{"subnets":{"default":{"subnet":"10.255.%d.0/24"}}}}`, attempt%256)
		start := time.Now()
		if _, err := dyn.Resource(vpcs).Namespace(ns).Patch(ctx, name, types.MergePatchType, []byte(patch),
			metav1.PatchOptions{FieldManager: "bench-other"}); err != nil {
			b.Fatal(err)
		}
		for time.Since(start) < limit {
			o, err := dyn.Resource(vpcs).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if got, _, _ := unstructured.NestedString(o.Object, "spec", "subnets", "default", "subnet"); got == want {
				return time.Since(start), true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return 0, false
	}
	var samples []time.Duration
	for i := 1; i <= 10; i++ {
		d, ok := restore(i, i, 2*time.Minute)
		if !ok {
			b.Fatalf("vpc-%d not restored after 2 minutes", i)
		}
		samples = append(samples, d)
	}
	slices.Sort(samples)
	return samples[len(samples)/2]
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
