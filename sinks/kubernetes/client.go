package kubernetes

import (
	"crypto/sha256"
	"fmt"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fgdproject/fgd/internal/config"
	"github.com/fgdproject/fgd/internal/resilience"
)

// maxKubeconfigSize bounds the kubeconfig read: a real one is a few KiB.
const maxKubeconfigSize = 1 << 20

// client returns the dynamic client for the kubeconfig as it is now: the file is read at every
// sync and a new client built when its bytes changed, so rotated credentials are picked up. Its
// contents are never logged.
func (s *Sink) client() (dynamic.Interface, error) {
	dyn, _, err := s.clientGen()
	return dyn, err
}

// clientGen is client, with the generation of the live cache that belongs to the client.
func (s *Sink) clientGen() (dynamic.Interface, int, error) {
	data, err := readKubeconfig(s.opts.KubeconfigFile)
	if err != nil {
		return nil, 0, resilience.Stalled(err, "fix kubeconfig_file of the kubernetes sink")
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dyn != nil && sum == s.kubeconfigSum {
		return s.dyn, s.live.gen, nil
	}
	kc, err := clientcmd.Load(data)
	if err != nil {
		return nil, 0, resilience.Stalled(fmt.Errorf("kubeconfig %s is not a valid kubeconfig", s.opts.KubeconfigFile),
			"fix kubeconfig_file of the kubernetes sink")
	}
	if s.opts.Context != "" {
		if _, ok := kc.Contexts[s.opts.Context]; !ok {
			return nil, 0, resilience.Stalled(fmt.Errorf("kubeconfig %s has no context %q", s.opts.KubeconfigFile, s.opts.Context),
				"fix context of the kubernetes sink, or add the context to the kubeconfig")
		}
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*kc, s.opts.Context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, 0, resilience.Stalled(fmt.Errorf("kubeconfig %s: %w", s.opts.KubeconfigFile, err),
			"fix kubeconfig_file or context of the kubernetes sink")
	}
	// client-go's default of 5 requests/s would make a first apply of thousands of resources take
	// minutes; the API server's own priority and fairness protects it.
	rc.QPS, rc.Burst = 500, 1000
	rc.UserAgent = UserAgent
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, 0, resilience.Stalled(fmt.Errorf("kubeconfig %s: %w", s.opts.KubeconfigFile, err),
			"fix kubeconfig_file of the kubernetes sink")
	}
	s.dyn, s.kubeconfigSum = dyn, sum
	// What the watches of the earlier client saw may be another cluster's.
	s.live = liveCache{gen: s.live.gen + 1}
	return dyn, s.live.gen, nil
}

// UserAgent is the User-Agent of the sink's requests.
const UserAgent = "fgd-kubernetes-sink"

func readKubeconfig(path string) ([]byte, error) {
	return config.ReadOperatorFile(path, "kubeconfig", maxKubeconfigSize)
}
