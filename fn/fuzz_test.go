package fn_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// Flags of a fuzz input: how the simulated cluster and XR look.
const (
	fuzzLegacy             = 1 << iota // a cluster-scoped XDittoServer
	fuzzClaimless                      // ... without claim labels
	fuzzNoPercona                      // the Percona CRD is not installed
	fuzzNoServiceMonitor               // the ServiceMonitor CRD is not installed
	fuzzSchemasUnresolved              // Crossplane has not answered the schema requirements
	fuzzRequiredUnresolved             // nor the required-resource ones
)

// fieldPath is how a Fatal result names the field at fault: a path under
// spec or metadata, or spec itself ("spec: must be an object").
var fieldPath = regexp.MustCompile(`\b(spec|metadata)(\.[A-Za-z]|:)`)

// unreadableObject is how a Fatal names an observed object that does not
// decode, and where.
var unreadableObject = regexp.MustCompile(`^cannot read the observed \w+ \S*/\S* \(composed resource [a-z0-9-]+\): \S+( object)? does not decode`)

// FuzzRunFunction runs the function on arbitrary XR specs, observed composed
// resources and required resources. It must never panic (nor hit the
// recover() that turns a panic into an "internal error" Fatal), and every
// response is either a complete desired state or a Fatal result naming the
// field at fault.
//
// spec is the XR's spec as JSON, observed a JSON object of composed
// resources by composition-resource-name, required a JSON list of the
// objects the credentials selector found.
func FuzzRunFunction(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed.spec, seed.observed, seed.required, seed.flags)
	}
	in := fuzzInput(f)
	function := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("fuzz"))
	f.Fuzz(func(t *testing.T, spec, observed, required []byte, flags uint8) {
		req, ok := fuzzRequest(in, spec, observed, required, flags)
		if !ok {
			t.Skip("not JSON of the right shape")
		}
		rsp, err := function.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned a gRPC error: %v", err)
		}
		if msg, fatal := fuzzFatal(rsp); fatal {
			if strings.Contains(msg, "internal error in function-dittofs") {
				t.Fatalf("RunFunction panicked: %s", msg)
			}
			if !fieldPath.MatchString(msg) && !unreadableObject.MatchString(msg) {
				t.Fatalf("Fatal result names no spec./metadata. field, nor an observed object and its field: %s", msg)
			}
			return
		}
		for name, r := range rsp.GetDesired().GetResources() {
			if problem := incomplete(r); problem != "" {
				t.Errorf("desired resource %q: %s", name, problem)
			}
		}
	})
}

// incomplete says what a desired resource lacks, or "".
func incomplete(r *fnv1.Resource) string {
	f := r.GetResource().GetFields()
	meta := f["metadata"].GetStructValue().GetFields()
	switch {
	case f["apiVersion"].GetStringValue() == "":
		return "no apiVersion"
	case f["kind"].GetStringValue() == "":
		return "no kind"
	case meta["name"].GetStringValue() == "":
		return "no metadata.name"
	case meta["namespace"].GetStringValue() == "" && !clusterScoped[f["kind"].GetStringValue()]:
		return "no metadata.namespace for a namespaced " + f["kind"].GetStringValue()
	case r.GetReady() == fnv1.Ready_READY_UNSPECIFIED:
		return "readiness unspecified"
	}
	return ""
}

// clusterScoped are the kinds that take no namespace; the function composes
// none today.
var clusterScoped = map[string]bool{"ClusterUsage": true, "Namespace": true, "ClusterRole": true}

func fuzzFatal(rsp *fnv1.RunFunctionResponse) (string, bool) {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage(), true
		}
	}
	return "", false
}

// fuzzPodSecretRoles are podSecrets' roles, for every spec fuzzing makes.
var fuzzPodSecretRoles = []string{
	"jwt", "admin", "database", "database-ca", "ldap-bind-password", "ldap-ca", "kerberos-keytab",
	"kerberos-krb5", "kerberos-machine-password", "kerberos-machine-keytab", "tls-cert", "tls-client-ca", "metrics-token",
}

// fuzzRequest builds the request, or returns false when the inputs are not
// JSON of the expected shape.
func fuzzRequest(in *structpb.Struct, spec, observed, required []byte, flags uint8) (*fnv1.RunFunctionRequest, bool) {
	var s any
	var obs map[string]any
	var reqd []any
	if json.Unmarshal(spec, &s) != nil || json.Unmarshal(observed, &obs) != nil || json.Unmarshal(required, &reqd) != nil {
		return nil, false
	}
	meta := map[string]any{"name": "files", "namespace": "storage", "uid": "6f2c1d0e-5a4b-4c3d-8e9f-0a1b2c3d4e5f"}
	kind := "DittoServer"
	if flags&fuzzLegacy != 0 {
		kind = "XDittoServer"
		delete(meta, "namespace")
		if flags&fuzzClaimless == 0 {
			meta["labels"] = map[string]any{"crossplane.io/claim-name": "files", "crossplane.io/claim-namespace": "team-a"}
		}
	}
	xr, err := structpb.NewStruct(map[string]any{"apiVersion": "dittofs.dittofs.com/v1alpha1", "kind": kind, "metadata": meta, "spec": s})
	if err != nil {
		return nil, false
	}
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "fuzz"},
		Input:    in,
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: map[string]*fnv1.Resource{}},
		Desired:  &fnv1.State{},
	}
	for name, o := range obs {
		st, ok := toStruct(o)
		if !ok {
			return nil, false
		}
		req.Observed.Resources[name] = &fnv1.Resource{Resource: st}
	}
	if flags&fuzzRequiredUnresolved == 0 {
		items := &fnv1.Resources{}
		for _, o := range reqd {
			st, ok := toStruct(o)
			if !ok {
				return nil, false
			}
			items.Items = append(items.Items, &fnv1.Resource{Resource: st})
		}
		req.RequiredResources = map[string]*fnv1.Resources{"s3-credentials": items}
		// The same objects stand for every Secret the pod reads: the
		// function trusts Crossplane's selector, not the names.
		for _, role := range fuzzPodSecretRoles {
			req.RequiredResources["pod-secret-"+role] = items
		}
	}
	if flags&fuzzSchemasUnresolved == 0 {
		installed := &fnv1.Schema{OpenapiV3: &structpb.Struct{Fields: map[string]*structpb.Value{"type": structpb.NewStringValue("object")}}}
		req.RequiredSchemas = map[string]*fnv1.Schema{"percona-cluster-crd": installed, "servicemonitor-crd": installed}
		if flags&fuzzNoPercona != 0 {
			req.RequiredSchemas["percona-cluster-crd"] = &fnv1.Schema{}
		}
		if flags&fuzzNoServiceMonitor != 0 {
			req.RequiredSchemas["servicemonitor-crd"] = &fnv1.Schema{}
		}
	}
	return req, true
}

// fuzzInput is the Input the modern Composition gives the function.
func fuzzInput(f *testing.F) *structpb.Struct {
	f.Helper()
	c, err := corpus.LoadExample("..", "sqlite-minimal")
	if err != nil {
		f.Fatal(err)
	}
	return c.Request().GetInput()
}

type fuzzSeed struct {
	spec, observed, required []byte
	flags                    uint8
}

// fuzzSeeds are every example case as the fuzz target takes it, and a few
// mutations of each that the byte-level fuzzer would take long to find.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	f.Helper()
	names, err := corpus.Names("..")
	if err != nil {
		f.Fatal(err)
	}
	var seeds []fuzzSeed
	for _, name := range names {
		c, err := corpus.LoadExample("..", name)
		if err != nil {
			f.Fatal(err)
		}
		first, err := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("seed")).RunFunction(context.Background(), c.Request())
		if err != nil {
			f.Fatal(err)
		}
		req := c.Resolve(first.GetRequirements())
		seed := seedOf(f, req)
		seeds = append(seeds, seed,
			fuzzSeed{spec: []byte(`{}`), observed: seed.observed, required: seed.required, flags: seed.flags},
			fuzzSeed{spec: seed.spec, observed: []byte(`{}`), required: []byte(`[]`), flags: seed.flags | fuzzRequiredUnresolved | fuzzSchemasUnresolved},
			fuzzSeed{spec: seed.spec, observed: stripStatus(f, seed.observed), required: seed.required, flags: seed.flags | fuzzNoPercona | fuzzNoServiceMonitor},
		)
	}
	return seeds
}

func seedOf(f *testing.F, req *fnv1.RunFunctionRequest) fuzzSeed {
	f.Helper()
	xr := req.GetObserved().GetComposite().GetResource()
	var s fuzzSeed
	s.spec = mustJSON(f, xr.GetFields()["spec"].AsInterface())
	if xr.GetFields()["kind"].GetStringValue() == "XDittoServer" {
		s.flags |= fuzzLegacy
	}
	obs := map[string]any{}
	for name, r := range req.GetObserved().GetResources() {
		obs[name] = r.GetResource().AsMap()
	}
	s.observed = mustJSON(f, obs)
	reqd := []any{}
	rs, resolved := req.GetRequiredResources()["s3-credentials"]
	for _, r := range rs.GetItems() {
		reqd = append(reqd, r.GetResource().AsMap())
	}
	if !resolved {
		s.flags |= fuzzRequiredUnresolved
	}
	s.required = mustJSON(f, reqd)
	if req.GetRequiredSchemas()["percona-cluster-crd"] != nil && req.GetRequiredSchemas()["percona-cluster-crd"].GetOpenapiV3() == nil {
		s.flags |= fuzzNoPercona
	}
	return s
}

// stripStatus drops every observed object's status: nothing reports yet.
func stripStatus(f *testing.F, observed []byte) []byte {
	f.Helper()
	var obs map[string]map[string]any
	if err := json.Unmarshal(observed, &obs); err != nil {
		f.Fatal(err)
	}
	for _, o := range obs {
		delete(o, "status")
	}
	return mustJSON(f, obs)
}

func mustJSON(f *testing.F, v any) []byte {
	f.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// toStruct is o as a protobuf Struct, when it is a JSON object.
func toStruct(o any) (*structpb.Struct, bool) {
	m, ok := o.(map[string]any)
	if !ok {
		return nil, false
	}
	st, err := structpb.NewStruct(m)
	return st, err == nil
}
