package kubernetes

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/yaml"

	"github.com/fgdproject/fgd/reconciler/contract"
)

// Operations of a planned change.
const (
	opCreate    = "create"
	opUpdate    = "update"
	opUnchanged = "unchanged"
	opDelete    = "delete"
)

// change is what the sink does with one object.
type change struct {
	// key is the live object's identity; resource is the key fgd knows the resource by, which
	// names another namespace when the document names none and the sink's namespace is not
	// "default".
	key, resource string
	op            string
	kind          kind
	obj           *unstructured.Unstructured
	// fields are the paths where the live object differs from the desired one (updates).
	fields []string
	// uid is the live object's, so a delete removes the object observed and no later namesake.
	uid string
	// hash is the desired manifest's.
	hash string
}

// target turns a normalized manifest into the object the sink applies: served version, namespace
// when the document names none, and the ownership label.
func (s *Sink) target(body []byte) (kind, *unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(body, &obj.Object); err != nil {
		return kind{}, nil, fmt.Errorf("decode the manifest: %w", err)
	}
	gv := obj.GroupVersionKind()
	k, ok := lookupKind(gv.Group, gv.Kind)
	if !ok {
		return kind{}, nil, fmt.Errorf("%s %s is not a Hedgehog kind fgd applies", gv.GroupVersion(), gv.Kind)
	}
	obj.SetAPIVersion(k.gvr.GroupVersion().String())
	if obj.GetNamespace() == "" {
		obj.SetNamespace(s.opts.Namespace)
	}
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelFabric] = s.opts.Fabric
	obj.SetLabels(labels)
	return k, obj, nil
}

// plan compares the desired set with the live objects, field by field on what the field manager
// owns, and returns the changes in apply order (deletes in reverse, last).
func (s *Sink) plan(desired []contract.Resource, live map[string]*unstructured.Unstructured, prune []contract.Resource) ([]change, error) {
	var out []change
	hashes, keys := map[string]bool{}, map[string]bool{}
	for _, r := range desired {
		c, err := s.compare(r, live)
		if err != nil {
			return nil, err
		}
		hashes[c.hash], keys[c.key] = true, true
		out = append(out, c)
	}
	s.forgetExcept(hashes, keys)
	sort.SliceStable(out, func(i, j int) bool { return out[i].kind.rank < out[j].kind.rank })
	var dels []change
	for _, it := range prune {
		k, obj, err := s.target(it.Body)
		if err != nil {
			// An inventory entry fgd cannot read is kept, never guessed at.
			continue
		}
		key := keyOf(k, obj.GetNamespace(), obj.GetName())
		// Only an object that carries the fabric's label is deleted: never one fgd did not create.
		if l := live[key]; l != nil {
			dels = append(dels, change{key: key, resource: it.Key, op: opDelete, kind: k, obj: obj, uid: string(l.GetUID())})
		}
	}
	sort.SliceStable(dels, func(i, j int) bool { return dels[i].kind.rank > dels[j].kind.rank })
	return append(out, dels...), nil
}

// compare decides what applying r to the live objects takes: create, update (naming the fields)
// or nothing. A live object found equal is remembered, so the next comparison of it is free.
func (s *Sink) compare(r contract.Resource, live map[string]*unstructured.Unstructured) (change, error) {
	h := r.Hash
	if h == "" {
		sum := sha256.Sum256(r.Body)
		h = hex.EncodeToString(sum[:])
	}
	k, obj, err := s.cachedTarget(h, r.Body)
	if err != nil {
		return change{}, fmt.Errorf("%s: %w", cmp.Or(r.Path, r.Key), err)
	}
	c := change{key: keyOf(k, obj.GetNamespace(), obj.GetName()), resource: r.Key, kind: k, obj: obj, op: opCreate, hash: h}
	l := live[c.key]
	if l == nil {
		return c, nil
	}
	c.op = opUnchanged
	if s.knownSame(c.key, h, l) {
		return c, nil
	}
	owned, err := s.owned(l)
	if err != nil {
		return change{}, fmt.Errorf("%s: %w", c.key, err)
	}
	c.fields = diffPaths("", comparable(obj.Object), comparable(owned))
	c.op = opUpdate
	if len(c.fields) == 0 {
		c.op = opUnchanged
		s.remember(c.key, h, l.GetResourceVersion())
	}
	return c, nil
}

// owned returns the part of a live object that the sink's field manager set by apply.
func (s *Sink) owned(live *unstructured.Unstructured) (map[string]any, error) {
	for _, mf := range live.GetManagedFields() {
		if mf.Manager != s.opts.FieldManager || mf.Operation != "Apply" || mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(mf.FieldsV1.Raw)); err != nil {
			return nil, fmt.Errorf("read managedFields: %w", err)
		}
		tv, err := typed.DeducedParseableType.FromUnstructured(live.Object)
		if err != nil {
			return nil, err
		}
		m, _ := tv.ExtractItems(set.Leaves()).AsValue().Unstructured().(map[string]any)
		return m, nil
	}
	return map[string]any{}, nil
}

// comparable drops what identifies an object rather than describes it (managedFields name no
// identity fields), and turns numbers and nested types into what JSON gives back.
func comparable(obj map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range obj {
		if k != "apiVersion" && k != "kind" {
			c[k] = v
		}
	}
	if md, ok := c["metadata"].(map[string]any); ok {
		m := map[string]any{}
		for k, v := range md {
			if k == "labels" || k == "annotations" {
				m[k] = v
			}
		}
		c["metadata"] = m
	}
	b, _ := json.Marshal(c)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// diffPaths lists the dotted paths where want and got differ.
func diffPaths(prefix string, want, got map[string]any) []string {
	var out []string
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		wm, wok := want[k].(map[string]any)
		gm, gok := got[k].(map[string]any)
		if wok && gok {
			out = append(out, diffPaths(p, wm, gm)...)
			continue
		}
		wb, _ := json.Marshal(want[k])
		gb, _ := json.Marshal(got[k])
		if _, in := got[k]; !in || !bytes.Equal(wb, gb) {
			out = append(out, p)
		}
	}
	return out
}

// describe renders a change for drift reports: "update vpc.githedgehog.com/VPC/default/vpc-1
// (spec.subnets.default.subnet)".
func (c change) describe() string {
	if len(c.fields) == 0 {
		return c.op + " " + c.key
	}
	return c.op + " " + c.key + " (" + strings.Join(c.fields, ", ") + ")"
}
