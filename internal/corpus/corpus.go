// Package corpus turns an example case (example/<case>/) into the
// RunFunctionRequest Crossplane sends for it, for benchmarks and tests that
// drive the function without Crossplane.
//
// A case directory holds xr.yaml (the observed XR), and optionally
// observed.yaml (the observed composed resources), required.yaml (what the
// cluster holds for required-resource selectors to find) and no-*-crd markers
// (kinds the simulated cluster lacks), the same files test/render feeds to
// `crossplane composition render`.
package corpus

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// resourceNameAnnotation is how Crossplane keys observed composed resources.
const resourceNameAnnotation = "crossplane.io/composition-resource-name"

// missingMarkers are the files that remove a kind from the simulated
// cluster, as in test/render (installedSchemas) and hack/render.sh.
var missingMarkers = map[string]string{
	"no-percona-crd":        "pgv2.percona.com/v2/PerconaPGCluster",
	"no-servicemonitor-crd": "monitoring.coreos.com/v1/ServiceMonitor",
}

// A Case is one example directory, loaded.
type Case struct {
	Name string

	xr       *structpb.Struct
	input    *structpb.Struct
	observed map[string]*fnv1.Resource
	cluster  []*structpb.Struct // required.yaml: what selectors can find
	missing  map[string]bool    // apiVersion/kind the cluster lacks
}

// Load reads example case dir. composition is the Composition whose single
// pipeline step's input the function gets.
func Load(dir, composition string) (*Case, error) {
	c := &Case{Name: filepath.Base(dir), observed: map[string]*fnv1.Resource{}, missing: map[string]bool{}}
	xrs, err := readDocs(filepath.Join(dir, "xr.yaml"))
	if err != nil {
		return nil, err
	}
	if len(xrs) != 1 {
		return nil, fmt.Errorf("%s/xr.yaml: want one object, got %d", dir, len(xrs))
	}
	c.xr = xrs[0]

	if c.input, err = pipelineInput(composition); err != nil {
		return nil, err
	}

	observed, err := readDocs(filepath.Join(dir, "observed.yaml"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for i, o := range observed {
		name := annotation(o, resourceNameAnnotation)
		if name == "" {
			return nil, fmt.Errorf("%s/observed.yaml: object %d has no %s annotation", dir, i, resourceNameAnnotation)
		}
		if _, dup := c.observed[name]; dup {
			return nil, fmt.Errorf("%s/observed.yaml: two objects named %q", dir, name)
		}
		c.observed[name] = &fnv1.Resource{Resource: o}
	}

	c.cluster, err = readDocs(filepath.Join(dir, "required.yaml"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for marker, gvk := range missingMarkers {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			c.missing[gvk] = true
		}
	}
	return c, nil
}

// LoadExample loads example/<name> of the repository at root with the
// Composition its XR kind uses (the legacy one for an XDittoServer), or the
// case's own composition.yaml when it has one (another function Input).
func LoadExample(root, name string) (*Case, error) {
	dir := filepath.Join(root, "example", name)
	xrs, err := readDocs(filepath.Join(dir, "xr.yaml"))
	if err != nil {
		return nil, err
	}
	api := "configuration"
	if len(xrs) > 0 && xrs[0].GetFields()["kind"].GetStringValue() == "XDittoServer" {
		api = "legacy"
	}
	composition := filepath.Join(root, "apis", api, "composition.yaml")
	if own := filepath.Join(dir, "composition.yaml"); fileExists(own) {
		composition = own
	}
	return Load(dir, composition)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Names lists the example cases of the repository at root: the directories
// under example/, sorted.
func Names(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "example"))
	if err != nil {
		return nil, fmt.Errorf("cannot list the examples: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no example cases under %s", filepath.Join(root, "example"))
	}
	return names, nil
}

// Request is the first request of a reconcile: observed state, empty desired
// state, the step's input and an empty context, with no required resources
// or schemas (none were asked for yet).
func (c *Case) Request() *fnv1.RunFunctionRequest {
	req := &fnv1.RunFunctionRequest{
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: c.xr}, Resources: c.observed},
		Desired:  &fnv1.State{},
		Input:    c.input,
		Context:  &structpb.Struct{Fields: map[string]*structpb.Value{}},
	}
	req = proto.Clone(req).(*fnv1.RunFunctionRequest)
	req.Meta = &fnv1.RequestMeta{Tag: tag(req)}
	return req
}

// Resolve is the request Crossplane sends once it has fetched what rsp's
// requirements ask for: required resources matched against required.yaml,
// required schemas for every kind the case's cluster has. Crossplane seeds
// them from the previous reconcile, so this is the steady-state request.
func (c *Case) Resolve(reqs *fnv1.Requirements) *fnv1.RunFunctionRequest {
	return c.ResolveIn(c.Request(), reqs, c.cluster)
}

// ResolveIn is Resolve for a request the caller built (any observed state,
// spec or Input) in a cluster that holds objects instead of required.yaml:
// a copy of req with what reqs asks for, the previous answers dropped, and a
// new tag. Tests that change the cluster between reconciles (a Secret
// rotated or deleted) resolve against their own copy of Objects.
func (c *Case) ResolveIn(req *fnv1.RunFunctionRequest, reqs *fnv1.Requirements, objects []*structpb.Struct) *fnv1.RunFunctionRequest {
	in := &Case{cluster: objects, missing: c.missing}
	req = proto.Clone(req).(*fnv1.RunFunctionRequest)
	req.Meta = nil
	req.RequiredResources, req.ExtraResources, req.RequiredSchemas = nil, nil, nil
	for name, sel := range reqs.GetResources() {
		req.RequiredResources = initMap(req.GetRequiredResources())
		req.RequiredResources[name] = &fnv1.Resources{Items: in.find(sel)}
	}
	// The deprecated field, for functions on older SDKs.
	for name, sel := range reqs.GetExtraResources() {
		req.ExtraResources = initMap(req.GetExtraResources())
		req.ExtraResources[name] = &fnv1.Resources{Items: in.find(sel)}
	}
	for name, sel := range reqs.GetSchemas() {
		req.RequiredSchemas = initMap(req.GetRequiredSchemas())
		req.RequiredSchemas[name] = in.schema(sel)
	}
	req.Meta = &fnv1.RequestMeta{Tag: tag(req)}
	return req
}

// Objects is a copy of what required.yaml holds, for ResolveIn.
func (c *Case) Objects() []*structpb.Struct {
	out := make([]*structpb.Struct, 0, len(c.cluster))
	for _, o := range c.cluster {
		out = append(out, proto.Clone(o).(*structpb.Struct))
	}
	return out
}

// find returns the required.yaml objects sel selects.
func (c *Case) find(sel *fnv1.ResourceSelector) []*fnv1.Resource {
	var out []*fnv1.Resource
	for _, o := range c.cluster {
		f := o.GetFields()
		meta := f["metadata"].GetStructValue().GetFields()
		if f["apiVersion"].GetStringValue() != sel.GetApiVersion() || f["kind"].GetStringValue() != sel.GetKind() {
			continue
		}
		if sel.Namespace != nil && meta["namespace"].GetStringValue() != sel.GetNamespace() {
			continue
		}
		if n := sel.GetMatchName(); n != "" && meta["name"].GetStringValue() != n {
			continue
		}
		if l := sel.GetMatchLabels(); l != nil && !hasLabels(meta["labels"].GetStructValue(), l.GetLabels()) {
			continue
		}
		out = append(out, &fnv1.Resource{Resource: o})
	}
	return out
}

// schema is what Crossplane answers for a kind: an empty Schema when the
// kind is not installed. For an installed kind the real answer is the
// kind's whole flattened OpenAPI schema; a small stand-in does here, since
// the function only asks whether it is there.
func (c *Case) schema(sel *fnv1.SchemaSelector) *fnv1.Schema {
	if c.missing[sel.GetApiVersion()+"/"+sel.GetKind()] {
		return &fnv1.Schema{}
	}
	s, _ := structpb.NewStruct(map[string]any{"type": "object", "description": "stand-in for the " + sel.GetKind() + " schema"})
	return &fnv1.Schema{OpenapiV3: s}
}

func hasLabels(have *structpb.Struct, want map[string]string) bool {
	for k, v := range want {
		if have.GetFields()[k].GetStringValue() != v {
			return false
		}
	}
	return true
}

func initMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// tag is what Crossplane puts in RequestMeta.Tag: a hash of the request.
func tag(req *fnv1.RunFunctionRequest) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// pipelineInput reads the input of the Composition's single pipeline step.
func pipelineInput(path string) (*structpb.Struct, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var comp struct {
		Spec struct {
			Pipeline []struct {
				Input map[string]any `json:"input"`
			} `json:"pipeline"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &comp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(comp.Spec.Pipeline) != 1 {
		return nil, fmt.Errorf("%s: want one pipeline step, got %d", path, len(comp.Spec.Pipeline))
	}
	if comp.Spec.Pipeline[0].Input == nil {
		return nil, nil
	}
	return structpb.NewStruct(comp.Spec.Pipeline[0].Input)
}

// readDocs reads a YAML stream into one Struct per non-empty document,
// through JSON as Crossplane's own loading does.
func readDocs(path string) ([]*structpb.Struct, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*structpb.Struct
	for {
		doc, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue
		}
		s := &structpb.Struct{}
		if err := s.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
	}
}

func annotation(o *structpb.Struct, key string) string {
	return o.GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()[key].GetStringValue()
}

// A Runner is what Steady calls: a Function's RunFunction.
type Runner interface {
	RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error)
}

// Steady is the request Crossplane sends for the case once it has fetched
// what f's first response requires: the steady state of a reconcile.
func (c *Case) Steady(ctx context.Context, f Runner) (*fnv1.RunFunctionRequest, error) {
	rsp, err := f.RunFunction(ctx, c.Request())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return c.Resolve(rsp.GetRequirements()), nil
}

// Examples loads every example case of the repository at root, in the
// order of Names: the loop the corpus-wide tests share.
func Examples(root string) ([]*Case, error) {
	names, err := Names(root)
	if err != nil {
		return nil, err
	}
	cases := make([]*Case, 0, len(names))
	for _, name := range names {
		c, err := LoadExample(root, name)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}
