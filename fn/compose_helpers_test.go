package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sort"
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

// runWith runs f on req, failing the test on a gRPC error.
func runWith(t *testing.T, f *Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction() returned a gRPC error: %v", err)
	}
	return rsp
}

// deterministicFunction generates Secrets from a counting reader.
func deterministicFunction() *Function {
	return NewFunction(logging.NewNopLogger(), WithRandom(&countingReader{}))
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

func resourceNameOf(k string) resource.Name { return resource.Name(k) }

func nopLogger() logging.Logger { return logging.NewNopLogger() }

type (
	resourceName    = resource.Name
	desiredComposed = desiredObject
)

const readyTrue = resource.ReadyTrue

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
