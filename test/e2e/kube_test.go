package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// kube is a client for one user of the test's API server.
type kube struct {
	cfg    *rest.Config
	dyn    dynamic.Interface
	cs     *kubernetes.Clientset
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKube(host, token string) (*kube, error) {
	cfg := &rest.Config{Host: host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 200, Burst: 400}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &kube{cfg: cfg, dyn: dyn, cs: cs, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))}, nil
}

// resource returns the client for apiVersion/kind in namespace ns (ignored
// for cluster-scoped kinds). It rediscovers once when the kind is new.
func (k *kube) resource(apiVersion, kind, ns string) (dynamic.ResourceInterface, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	m, err := k.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if meta.IsNoMatchError(err) {
		k.mapper.Reset()
		m, err = k.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return k.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return k.dyn.Resource(m.Resource), nil
}

// apply server-side applies u as field manager "e2e".
func (k *kube) apply(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := k.resource(u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
	if err != nil {
		return nil, err
	}
	return r.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "e2e", Force: true})
}

func (k *kube) get(ctx context.Context, apiVersion, kind, ns, name string) (*unstructured.Unstructured, error) {
	r, err := k.resource(apiVersion, kind, ns)
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, name, metav1.GetOptions{})
}

func (k *kube) list(ctx context.Context, apiVersion, kind, ns, selector string) ([]unstructured.Unstructured, error) {
	r, err := k.resource(apiVersion, kind, ns)
	if err != nil {
		return nil, err
	}
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *kube) delete(ctx context.Context, apiVersion, kind, ns, name string) error {
	r, err := k.resource(apiVersion, kind, ns)
	if err != nil {
		return err
	}
	return r.Delete(ctx, name, metav1.DeleteOptions{})
}

// patch merge-patches an object, or its status with sub "status".
func (k *kube) patch(ctx context.Context, apiVersion, kind, ns, name, patch string, sub ...string) error {
	r, err := k.resource(apiVersion, kind, ns)
	if err != nil {
		return err
	}
	_, err = r.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, sub...)
	return err
}

// exists reports whether the object is there, failing on other errors.
func (k *kube) exists(ctx context.Context, apiVersion, kind, ns, name string) (bool, error) {
	_, err := k.get(ctx, apiVersion, kind, ns, name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// parseYAML splits a multi-document YAML stream into objects.
func parseYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// applyYAML applies every object of a YAML stream, retrying briefly while
// a kind is not served yet (a CRD just created).
func (k *kube) applyYAML(ctx context.Context, data []byte, ns string) error {
	objs, err := parseYAML(data)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if ns != "" && o.GetNamespace() == "" {
			o.SetNamespace(ns)
		}
		var err error
		for range 50 {
			if _, err = k.apply(ctx, o); err == nil || !meta.IsNoMatchError(err) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// condition returns the status, reason and message of condition typ.
func condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return s, r, msg
		}
	}
	return "", "", ""
}

func conditions(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var b strings.Builder
	for _, c := range conds {
		m, _ := c.(map[string]any)
		fmt.Fprintf(&b, "[%v=%v %v: %v] ", m["type"], m["status"], m["reason"], m["message"])
	}
	return b.String()
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if s == nil {
		return ""
	}
	return fmt.Sprint(s)
}
