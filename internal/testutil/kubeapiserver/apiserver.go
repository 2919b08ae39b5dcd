package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	extensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/client-go/rest"
)

type apiServer struct {
	config *rest.Config
	done   chan error
}

func (s *apiServer) wait() {
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
	}
}

// fakeKubeconfig names a core API server that does not exist. The generic server insists on one for
// delegated authentication and authorization; with --authentication-skip-lookup and loopback clients
// in system:masters it is never reached.
const fakeKubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: http://127.0.0.1:1
  name: none
contexts:
- context:
    cluster: none
    user: none
  name: none
current-context: none
users:
- name: none
  user:
    token: none
`

func startAPIServer(ctx context.Context, dir, etcdURL string, reqs *requestLog) (*apiServer, error) {
	fake := filepath.Join(dir, "fake.kubeconfig")
	if err := os.WriteFile(fake, []byte(fakeKubeconfig), 0o600); err != nil {
		return nil, err
	}
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	fs := pflag.NewFlagSet("kubeapiserver", pflag.ContinueOnError)
	o.AddFlags(fs)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o.RecommendedOptions.SecureServing.Listener = l
	o.RecommendedOptions.SecureServing.BindPort = l.Addr().(*net.TCPAddr).Port
	err = fs.Parse([]string{
		"--bind-address=127.0.0.1",
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--etcd-servers=" + etcdURL,
		"--authentication-skip-lookup",
		"--authentication-kubeconfig=" + fake,
		"--authorization-kubeconfig=" + fake,
		"--kubeconfig=" + fake,
		"--enable-priority-and-fairness=false",
		"--disable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook," +
			"ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	})
	if err != nil {
		return nil, err
	}
	if err := o.ServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return nil, err
	}
	if err := o.Complete(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	// kubectl needs /openapi/v2 for its client-side validation.
	defs := openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions)
	cfg.GenericConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(defs,
		openapinamer.NewDefinitionNamer(extensionsapiserver.Scheme))
	cfg.GenericConfig.BuildHandlerChainFunc = func(h http.Handler, c *genericapiserver.Config) http.Handler {
		return reqs.wrap(genericapiserver.DefaultBuildHandlerChain(h, c))
	}
	completed := cfg.Complete()
	// Without kube-aggregator nobody serves /apis; clients' discovery (kubectl, RESTMappers) needs it.
	completed.GenericConfig.EnableDiscovery = true
	server, err := completed.New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s := &apiServer{config: server.GenericAPIServer.LoopbackClientConfig, done: make(chan error, 1)}
	go func() { s.done <- server.GenericAPIServer.PrepareRun().RunWithContext(ctx) }()
	if err := s.waitHealthy(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// waitHealthy polls /healthz: /readyz never passes without a core API server to sync informers from.
func (s *apiServer) waitHealthy(ctx context.Context) error {
	client, err := rest.HTTPClientFor(s.config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return fmt.Errorf("stopped before it was healthy: %v", err)
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.config.Host+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after 5 minutes")
}
