package kubernetes

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/fgdproject/fgd/internal/resilience"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// TestErrorClassesOfAnswers: the classes of the answers a real API server gives only under load
// or misconfiguration. The real server cannot be made to answer 429 or 503 on demand, so a
// loopback HTTP server answers every request with the status under test, as a Kubernetes Status.
func TestErrorClassesOfAnswers(t *testing.T) {
	for _, tc := range []struct {
		code       int
		retryAfter string
		class      resilience.Class
		after      time.Duration
		want       string
	}{
		{http.StatusServiceUnavailable, "", resilience.ClassTransient, 0, "unavailable"},
		{http.StatusInternalServerError, "", resilience.ClassTransient, 0, "boom"},
		{http.StatusTooManyRequests, "1", resilience.ClassWaiting, time.Second, "slow down"},
		{http.StatusForbidden, "", resilience.ClassStalled, 0, "RBAC"},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.code)
				msg := map[int]string{503: "unavailable", 500: "boom", 429: "slow down", 403: "forbidden"}[tc.code]
				reason := map[int]string{503: "ServiceUnavailable", 500: "InternalError", 429: "TooManyRequests", 403: "Forbidden"}[tc.code]
				details := ""
				if tc.retryAfter != "" {
					// As the API server's priority and fairness answers.
					details = `,"details":{"retryAfterSeconds":` + tc.retryAfter + `}`
				}
				fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":%q,"reason":%q,"code":%d%s}`,
					msg, reason, tc.code, details)
			}))
			defer srv.Close()
			kc := clientcmdapi.NewConfig()
			kc.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL}
			kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
			kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
			kc.CurrentContext = "c"
			path := filepath.Join(t.TempDir(), "kubeconfig")
			if err := clientcmd.WriteToFile(*kc, path); err != nil {
				t.Fatal(err)
			}
			s, err := New(Options{Fabric: "f", KubeconfigFile: path, Namespace: "default", FieldManager: "fgd"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Apply(testCtx(t), firstApply([]contract.Resource{resourceOf(t, vpc("vpc-1", "10.0.1.0/24", 1001), "default")}))
			if resilience.ClassOf(err) != tc.class || resilience.AfterOf(err) != tc.after || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v: class %s after %s, want %s after %s mentioning %q", err, resilience.ClassOf(err),
					resilience.AfterOf(err), tc.class, tc.after, tc.want)
			}
		})
	}
}
