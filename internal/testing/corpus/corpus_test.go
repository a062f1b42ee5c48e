package corpus

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"

	"github.com/dittofs/function-dittofs/fn"
)

const root = "../../.."

func load(t *testing.T, name string) *Case {
	t.Helper()
	c, err := LoadExample(root, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadSteadyState(t *testing.T) {
	req := load(t, "percona-running").Request()

	xr := req.GetObserved().GetComposite().GetResource().AsMap()
	if xr["kind"] != "DittoServer" || xr["metadata"].(map[string]any)["name"] != "files" {
		t.Errorf("observed XR = %v/%v", xr["kind"], xr["metadata"])
	}
	// Every object of observed.yaml, keyed by its composition resource name,
	// each a whole object as the API server returns it.
	var names []string
	for name, r := range req.GetObserved().GetResources() {
		names = append(names, name)
		o := r.GetResource().AsMap()
		if o["apiVersion"] == nil || o["kind"] == nil {
			t.Errorf("observed %q has no apiVersion or kind", name)
		}
	}
	slices.Sort(names)
	want := []string{
		"admin-secret", "config", "connection-secret", "jwt-secret", "networkpolicy", "percona-cluster",
		"pgbackrest-s3-secret", "service-api", "service-headless", "service-nfs", "service-smb", "statefulset",
		"usage-database-s3-credentials", "usage-statefulset-database",
	}
	if !slices.Equal(names, want) {
		t.Errorf("observed resources = %v, want %v", names, want)
	}
	in := req.GetInput().AsMap()
	if in["kind"] != "Input" || in["crVersion"] != "2.9.0" {
		t.Errorf("input = %v, want the Composition's", in)
	}
	if len(req.GetDesired().GetResources()) != 0 || req.GetDesired().GetComposite() != nil {
		t.Errorf("desired state = %v, want empty: the pipeline starts empty", req.GetDesired())
	}
	if len(req.GetMeta().GetTag()) != 64 {
		t.Errorf("tag = %q, want a sha256", req.GetMeta().GetTag())
	}
	// The steady state is the request that matters: about 20 KB of YAML.
	if n := proto.Size(req); n < 20_000 {
		t.Errorf("request is %d bytes, want the full observed state", n)
	}
}

func TestRequestIsACopy(t *testing.T) {
	c := load(t, "percona-running")
	a := c.Request()
	// SDK functions write their desired state into the request's.
	a.Desired.Resources = map[string]*fnv1.Resource{"x": {}}
	a.Observed.Resources["config"].Resource.Fields["kind"] = nil
	if b := c.Request(); proto.Equal(a, b) || len(b.GetDesired().GetResources()) != 0 {
		t.Error("a request shares state with the case")
	}
}

func TestResolve(t *testing.T) {
	c := load(t, "percona-running")
	sel := func(name string) *fnv1.ResourceSelector {
		return &fnv1.ResourceSelector{
			ApiVersion: "v1", Kind: "Secret",
			Match: &fnv1.ResourceSelector_MatchName{MatchName: name}, Namespace: proto.String("storage"),
		}
	}
	req := c.Resolve(&fnv1.Requirements{
		Resources: map[string]*fnv1.ResourceSelector{"s3-credentials": sel("backup-s3"), "other": sel("nope")},
		Schemas: map[string]*fnv1.SchemaSelector{
			"percona-cluster-crd": {ApiVersion: "pgv2.percona.com/v2", Kind: "PerconaPGCluster"},
		},
	})
	found, resolved, err := request.GetRequiredResource(req, "s3-credentials")
	if err != nil || !resolved || len(found) != 1 || found[0].Resource.GetName() != "backup-s3" {
		t.Errorf("s3-credentials = %v, %v, %v; want the Secret backup-s3", found, resolved, err)
	}
	// Asked for but not in the cluster: resolved, empty.
	found, resolved, _ = request.GetRequiredResource(req, "other")
	if !resolved || len(found) != 0 {
		t.Errorf("other = %v, %v; want resolved and empty", found, resolved)
	}
	s, resolved := request.GetRequiredSchema(req, "percona-cluster-crd")
	if !resolved || len(s.GetFields()) == 0 {
		t.Errorf("percona-cluster-crd = %v, %v; want a non-empty schema", s, resolved)
	}
	if req.GetMeta().GetTag() == c.Request().GetMeta().GetTag() {
		t.Error("the tag does not cover the required resources")
	}

	// A no-percona-crd marker: resolved, without a schema.
	missing := load(t, "percona-not-installed").Resolve(&fnv1.Requirements{Schemas: map[string]*fnv1.SchemaSelector{
		"percona-cluster-crd": {ApiVersion: "pgv2.percona.com/v2", Kind: "PerconaPGCluster"},
	}})
	if s, resolved := request.GetRequiredSchema(missing, "percona-cluster-crd"); !resolved || s != nil {
		t.Errorf("percona-cluster-crd without the CRD = %v, %v; want resolved, nil", s, resolved)
	}
}

func TestLegacyComposition(t *testing.T) {
	req := load(t, "legacy-claim").Request()
	if k := req.GetObserved().GetComposite().GetResource().AsMap()["kind"]; k != "XDittoServer" {
		t.Errorf("kind = %v", k)
	}
	if req.GetInput() == nil {
		t.Error("no input from apis/legacy/composition.yaml")
	}
}

// TestCrossplaneConverges runs every case the way Crossplane does: call the
// function, fetch what it requires, call again. The second response must ask
// for the same things (Crossplane's stop condition), so Resolve answers
// every requirement the function makes.
func TestCrossplaneConverges(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(root, "example", "*", "xr.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("corpus"))
	for _, xr := range dirs {
		name := filepath.Base(filepath.Dir(xr))
		t.Run(name, func(t *testing.T) {
			c := load(t, name)
			first, err := f.RunFunction(context.Background(), c.Request())
			if err != nil {
				t.Fatal(err)
			}
			second, err := f.RunFunction(context.Background(), c.Resolve(first.GetRequirements()))
			if err != nil {
				t.Fatal(err)
			}
			if fatal := fatalResult(second); fatal != "" {
				if _, err := os.Stat(filepath.Join(root, "example", name, "expect-fatal")); err != nil {
					t.Fatalf("fatal result on a case that expects none: %s", fatal)
				}
				return
			}
			if !proto.Equal(first.GetRequirements(), second.GetRequirements()) {
				t.Errorf("requirements did not settle:\nfirst  %v\nsecond %v", first.GetRequirements(), second.GetRequirements())
			}
		})
	}
}

func fatalResult(rsp *fnv1.RunFunctionResponse) string {
	var msgs []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			msgs = append(msgs, r.GetMessage())
		}
	}
	return strings.Join(msgs, "; ")
}

// TestLoadOwnComposition: a case's composition.yaml gives its own Input.
func TestLoadOwnComposition(t *testing.T) {
	in := load(t, "input-invalid").Request().GetInput().AsMap()
	if in["crVersion"] != "latest" {
		t.Errorf("input = %v, want example/input-invalid/composition.yaml's (crVersion latest)", in)
	}
}
