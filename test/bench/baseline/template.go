package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"dario.cat/mergo"
	sprig "github.com/Masterminds/sprig/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"

	_ "embed"
)

// Template composes a DittoServer the way function-go-templating does. That
// function is not on the module proxy this project can reach, so this is a
// re-creation of its RunFunction, step for step: parse the template with
// Sprig and its own helpers on every request, render it with the whole
// request (protojson, then JSON into a map) as data, split the output into
// YAML documents, decode each into an Unstructured, and turn them into
// desired composed resources (named and made ready by annotation), the XR's
// status (merged) and extra-resource requirements.
//
// Where it departs from function-go-templating it does so in the template's
// favour: the template is compiled into the binary instead of read from the
// Input or the filesystem on each request, and it logs nothing (the
// original logs twice per request at info level).
type Template struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

//go:embed dittoserver.yaml.tmpl
var dittoServerTemplate string

const (
	annotationName  = "gotemplating.fn.crossplane.io/composition-resource-name"
	annotationReady = "gotemplating.fn.crossplane.io/ready"
	metaAPIVersion  = "meta.gotemplating.fn.crossplane.io/v1alpha1"
)

// RunFunction renders the template against the request.
func (Template) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	if err := run(req, rsp); err != nil {
		response.Fatal(rsp, err)
	}
	return rsp, nil
}

func run(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) error {
	tmpl, err := newTemplate().Parse(dittoServerTemplate)
	if err != nil {
		return fmt.Errorf("cannot parse the template: %w", err)
	}
	data, err := requestMap(req)
	if err != nil {
		return err
	}
	buf := &bytes.Buffer{}
	if err := tmpl.Execute(buf, data); err != nil {
		return fmt.Errorf("cannot execute template: %w", err)
	}
	objs, err := decodeAll(buf)
	if err != nil {
		return err
	}

	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		return err
	}
	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		return err
	}
	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		return err
	}
	extra := map[string]*fnv1.ResourceSelector{}
	for _, obj := range objs {
		name, named := obj.GetAnnotations()[annotationName]
		switch {
		case obj.GetAPIVersion() == oxr.Resource.GetAPIVersion() && obj.GetKind() == oxr.Resource.GetKind() && !named:
			if err := mergeStatus(dxr, obj); err != nil {
				return err
			}
		case obj.GetAPIVersion() == metaAPIVersion && obj.GetKind() == "ExtraResources":
			if err := addRequirements(extra, obj); err != nil {
				return err
			}
		case !named:
			return fmt.Errorf("%q template is missing required %q annotation", obj.GetKind(), annotationName)
		default:
			cd := resource.NewDesiredComposed()
			cd.Resource = &composed.Unstructured{Unstructured: *obj.DeepCopy()}
			if v, ok := obj.GetAnnotations()[annotationReady]; ok {
				cd.Ready = resource.Ready(v)
			}
			removeAnnotations(cd.Resource, annotationName, annotationReady)
			desired[resource.Name(name)] = cd
		}
	}
	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		return err
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		return err
	}
	if len(extra) > 0 {
		rsp.Requirements = &fnv1.Requirements{ExtraResources: extra}
	}
	return nil
}

// newTemplate is function-go-templating's template: its helpers, then Sprig
// without env and expandenv. Both are built per request, as there.
func newTemplate() *template.Template {
	t := template.New("manifests")
	t.Funcs(template.FuncMap{
		"toYaml":               func(v any) (string, error) { b, err := sigsyaml.Marshal(v); return string(b), err },
		"fromYaml":             func(s string) (any, error) { var v any; return v, sigsyaml.Unmarshal([]byte(s), &v) },
		"getComposedResource":  getComposedResource,
		"getCompositeResource": func(req map[string]any) map[string]any { return dig(req, "observed", "composite", "resource") },
		"getExtraResources":    getExtraResources,
		"setResourceNameAnnotation": func(name string) string {
			return annotationName + ": " + name
		},
	})
	t.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		var sb strings.Builder
		err := t.ExecuteTemplate(&sb, name, data)
		return sb.String(), err
	}})
	funcs := sprig.FuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	t.Funcs(funcs)
	return t
}

// requestMap is the template's data: the request through protojson.
func requestMap(req *fnv1.RunFunctionRequest) (map[string]any, error) {
	js, err := protojson.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal request to JSON: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("cannot unmarshal request JSON: %w", err)
	}
	return m, nil
}

// decodeAll splits the rendered YAML stream into objects.
func decodeAll(r io.Reader) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(r, 1024)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("cannot decode manifest: %w", err)
		}
		if u == nil {
			continue
		}
		if _, _, err := unstructured.NestedStringMap(u.Object, "metadata", "annotations"); err != nil {
			return nil, fmt.Errorf("invalid annotations in %s: %w", u.GroupVersionKind(), err)
		}
		objs = append(objs, u)
	}
}

func mergeStatus(dxr *resource.Composite, obj *unstructured.Unstructured) error {
	dst := map[string]any{}
	if s, ok := dxr.Resource.Object["status"].(map[string]any); ok {
		dst = s
	}
	src, _ := obj.Object["status"].(map[string]any)
	if err := mergo.Merge(&dst, src, mergo.WithOverride); err != nil {
		return fmt.Errorf("cannot merge desired composite status: %w", err)
	}
	dxr.Resource.Object["status"] = dst
	return nil
}

func addRequirements(extra map[string]*fnv1.ResourceSelector, obj *unstructured.Unstructured) error {
	reqs, _, _ := unstructured.NestedMap(obj.Object, "requirements")
	for name, v := range reqs {
		r, _ := v.(map[string]any)
		if _, dup := extra[name]; dup {
			return fmt.Errorf("duplicate extra resource key %q", name)
		}
		sel := &fnv1.ResourceSelector{ApiVersion: str(r["apiVersion"]), Kind: str(r["kind"])}
		if ns := str(r["namespace"]); ns != "" {
			sel.Namespace = &ns
		}
		if n := str(r["matchName"]); n != "" {
			sel.Match = &fnv1.ResourceSelector_MatchName{MatchName: n}
		}
		extra[name] = sel
	}
	return nil
}

func removeAnnotations(o *composed.Unstructured, keys ...string) {
	a := o.GetAnnotations()
	for _, k := range keys {
		delete(a, k)
	}
	if len(a) == 0 {
		a = nil
	}
	o.SetAnnotations(a)
}

func getComposedResource(req map[string]any, name string) map[string]any {
	return dig(req, "observed", "resources", name, "resource")
}

func getExtraResources(req map[string]any, name string) []any {
	items, _ := dig(req, "extraResources", name)["items"].([]any)
	return items
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

func str(v any) string { s, _ := v.(string); return s }
