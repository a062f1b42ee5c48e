package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

const testXR = `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","namespace":"storage","uid":"uid-1"},"spec":%s}`

func xrRequest(spec string) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    resource.MustStructJSON(`{"apiVersion":"dittofs.fn.crossplane.io/v1beta1","kind":"Input"}`),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(strings.Replace(testXR, "%s", spec, 1))}},
	}
}

const backupSpec = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`

func withRequired(req *fnv1.RunFunctionRequest, name string, objs ...string) *fnv1.RunFunctionRequest {
	rs := &fnv1.Resources{}
	for _, o := range objs {
		rs.Items = append(rs.Items, &fnv1.Resource{Resource: resource.MustStructJSON(o)})
	}
	req.RequiredResources = map[string]*fnv1.Resources{name: rs}
	return req
}

func withObserved(req *fnv1.RunFunctionRequest, name, obj string) *fnv1.RunFunctionRequest {
	if req.Observed.Resources == nil {
		req.Observed.Resources = map[string]*fnv1.Resource{}
	}
	req.Observed.Resources[name] = &fnv1.Resource{Resource: resource.MustStructJSON(obj)}
	return req
}

// summary reduces a response to what these tests compare: the desired keys
// and readiness, requirements, results and conditions.
type summary struct {
	Desired    map[string]string
	Requires   []string
	Results    []string
	Conditions []string
}

// summarize keeps the desired resources and conditions named in keep (all
// when keep is empty). FunctionSuccess=True, which every call that composes
// carries, is left out: TestFunctionSuccess checks it.
func summarize(rsp *fnv1.RunFunctionResponse, keep ...string) summary {
	kept := func(name string) bool { return len(keep) == 0 || slices.Contains(keep, name) }
	s := summary{Desired: map[string]string{}}
	for k, r := range rsp.GetDesired().GetResources() {
		if kept(k) {
			s.Desired[k] = r.GetReady().String()
		}
	}
	for k := range rsp.GetRequirements().GetResources() {
		s.Requires = append(s.Requires, k)
	}
	for k := range rsp.GetRequirements().GetSchemas() {
		s.Requires = append(s.Requires, "schema:"+k)
	}
	sort.Strings(s.Requires)
	for _, r := range rsp.GetResults() {
		s.Results = append(s.Results, r.GetSeverity().String()+": "+r.GetMessage())
	}
	for _, c := range rsp.GetConditions() {
		if c.GetType() == "FunctionSuccess" && c.GetStatus() == fnv1.Status_STATUS_CONDITION_TRUE {
			continue
		}
		if kept(c.GetType()) {
			s.Conditions = append(s.Conditions, c.GetType()+"="+c.GetStatus().String()+"/"+c.GetReason())
		}
	}
	return s
}

// countingReader yields 0, 1, 2, ...: every generated value is predictable,
// and two values read one after the other differ.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// onesReader is a reader of 0x01 bytes, enough for any one compose.
func onesReader() io.Reader { return bytes.NewReader(bytes.Repeat([]byte{1}, 4096)) }

// compose runs a new Function on req, failing the test on a gRPC error. Its
// Secrets come from a counting reader, so every run generates the same
// values, unless opts give another source (WithRandom).
func compose(t *testing.T, req *fnv1.RunFunctionRequest, opts ...Option) *fnv1.RunFunctionResponse {
	t.Helper()
	f := NewFunction(logging.NewNopLogger(), append([]Option{WithRandom(&countingReader{})}, opts...)...)
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction() returned a gRPC error: %v", err)
	}
	return rsp
}

// specRequest is xrRequest for a typed (not defaulted) spec.
func specRequest(t *testing.T, s v1alpha1.DittoServerSpec) *fnv1.RunFunctionRequest {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("cannot marshal spec: %v", err)
	}
	return xrRequest(string(b))
}

// desiredInto decodes the desired composed resource key into into, failing
// the test when it is not desired.
func desiredInto(t *testing.T, rsp *fnv1.RunFunctionResponse, key resource.Name, into any) {
	t.Helper()
	r, ok := rsp.GetDesired().GetResources()[string(key)]
	if !ok {
		t.Fatalf("desired resource %q missing; desired: %v", key, desiredKeys(rsp))
	}
	b, err := protojson.Marshal(r.GetResource())
	if err != nil {
		t.Fatalf("cannot marshal desired %q: %v", key, err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("cannot decode desired %q: %v", key, err)
	}
}

// desiredMap is the desired composed resource key as plain JSON values.
func desiredMap(t *testing.T, rsp *fnv1.RunFunctionResponse, key resource.Name) map[string]any {
	t.Helper()
	m := map[string]any{}
	desiredInto(t, rsp, key, &m)
	return m
}

// desiredKeys are the keys of the desired composed resources, sorted.
func desiredKeys(rsp *fnv1.RunFunctionResponse) []string {
	keys := []string{}
	for k := range rsp.GetDesired().GetResources() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// objectJSON is obj as Crossplane would observe it: apiVersion and kind set,
// server-set metadata (generation) and status kept.
func objectJSON(t *testing.T, obj runtime.Object) string {
	t.Helper()
	gvk, err := composed.From(obj)
	if err != nil {
		t.Fatalf("composed.From(%T): %v", obj, err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatalf("ToUnstructured(%T): %v", obj, err)
	}
	u["apiVersion"], u["kind"] = gvk.GetAPIVersion(), gvk.GetKind()
	dropNulls(u)
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatalf("cannot marshal %T: %v", obj, err)
	}
	return string(b)
}

// observeDesired copies rsp's desired composed resources (all, or those
// named) into req's observed state, as Crossplane does after applying them.
func observeDesired(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, keys ...resource.Name) *fnv1.RunFunctionRequest {
	if req.Observed.Resources == nil {
		req.Observed.Resources = map[string]*fnv1.Resource{}
	}
	for k, r := range rsp.GetDesired().GetResources() {
		if len(keys) > 0 && !containsName(keys, k) {
			continue
		}
		req.Observed.Resources[k] = &fnv1.Resource{Resource: proto.Clone(r.GetResource()).(*structpb.Struct)}
	}
	return req
}

func containsName(keys []resource.Name, k string) bool {
	for _, n := range keys {
		if string(n) == k {
			return true
		}
	}
	return false
}

// statusConfigHash is the desired XR's status.configHash.
func statusConfigHash(rsp *fnv1.RunFunctionResponse) string {
	return rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["configHash"].GetStringValue()
}

// resultStrings are the results as "SEVERITY: message".
func resultStrings(rsp *fnv1.RunFunctionResponse) []string {
	out := []string{}
	for _, r := range rsp.GetResults() {
		out = append(out, r.GetSeverity().String()+": "+r.GetMessage())
	}
	return out
}

// dropNulls removes null values, as the API server would not store them.
func dropNulls(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(t)
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					dropNulls(em)
				}
			}
		}
	}
}
