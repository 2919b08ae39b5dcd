package kubernetes

import (
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// memo spares an unchanged fabric's re-sync the costly parts of a plan: decoding each manifest
// and extracting the fields fgd owns from each live object. A live object whose resourceVersion
// is the one fgd last found (or made) equal to a manifest is still equal to it: any write by
// anyone changes the resourceVersion.
type memo struct {
	mu sync.Mutex
	// targets holds the decoded manifests by the SHA-256 of their bytes.
	targets map[string]memoTarget
	// same holds, by key, the resourceVersion that was last seen to match a manifest's hash.
	same map[string]sameAs
}

type memoTarget struct {
	kind kind
	obj  *unstructured.Unstructured
}

type sameAs struct{ resourceVersion, hash string }

// cachedTarget returns the object for body, whose SHA-256 is hash, decoding it only when it was
// not decoded before.
func (s *Sink) cachedTarget(hash string, body []byte) (kind, *unstructured.Unstructured, error) {
	s.memo.mu.Lock()
	t, ok := s.memo.targets[hash]
	s.memo.mu.Unlock()
	if ok {
		return t.kind, t.obj, nil
	}
	k, obj, err := s.target(body)
	if err != nil {
		return k, nil, err
	}
	s.memo.mu.Lock()
	if s.memo.targets == nil {
		s.memo.targets = map[string]memoTarget{}
	}
	s.memo.targets[hash] = memoTarget{k, obj}
	s.memo.mu.Unlock()
	return k, obj, nil
}

// knownSame reports whether live is the version last found equal to the manifest of hash.
func (s *Sink) knownSame(key, hash string, live *unstructured.Unstructured) bool {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	v, ok := s.memo.same[key]
	return ok && v.hash == hash && v.resourceVersion == live.GetResourceVersion()
}

// remember records that the object at resourceVersion matches the manifest of hash.
func (s *Sink) remember(key, hash, resourceVersion string) {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	if s.memo.same == nil {
		s.memo.same = map[string]sameAs{}
	}
	s.memo.same[key] = sameAs{resourceVersion, hash}
}

// forgetExcept drops what no longer belongs to the desired set, so the memo stays its size.
func (s *Sink) forgetExcept(hashes, keys map[string]bool) {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	for h := range s.memo.targets {
		if !hashes[h] {
			delete(s.memo.targets, h)
		}
	}
	for k := range s.memo.same {
		if !keys[k] {
			delete(s.memo.same, k)
		}
	}
}
