package apis_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/hack/genxrd/xrdgen"
)

// root is the module root, relative to this package's directory.
const root = ".."

// TestGeneratedFilesAreCurrent regenerates the XRDs and the function's Input
// CRD in memory and compares them byte for byte with the committed files, so
// a change to the Go types that was not followed by `go generate ./...`
// fails here.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	want, err := xrdgen.Generate(root)
	if err != nil {
		t.Fatalf("generating XRDs: %v", err)
	}
	inputCRDs, err := xrdgen.CRDs(root, "./input/v1beta1")
	if err != nil {
		t.Fatalf("generating the Input CRD: %v", err)
	}
	for name, b := range inputCRDs {
		want[filepath.Join("package", "input", name)] = b
	}

	// Nothing stale left next to the Input CRD either.
	entries, err := os.ReadDir(filepath.Join(root, "package", "input"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := inputCRDs[e.Name()]; !ok {
			t.Errorf("package/input/%s is not generated from input/v1beta1; remove it (go generate ./... does)", e.Name())
		}
	}

	for path, b := range want {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./...)", path, err)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s is stale, run go generate ./...; -committed +generated:\n%s", path, cmp.Diff(string(got), string(b)))
		}
	}
}

// TestXRDSchemasAgree checks the modern and legacy XRDs offer the same API,
// apart from the legacy-only spec.namespace.
func TestXRDSchemasAgree(t *testing.T) {
	modern := schema(t, load(t, xrdgen.ModernPath))
	legacy := schema(t, load(t, xrdgen.LegacyPath))

	mSpec := dig(t, modern, "properties", "spec")
	lSpec := dig(t, legacy, "properties", "spec")
	lProps := dig(t, lSpec, "properties")
	if _, ok := dig(t, mSpec, "properties")["namespace"]; ok {
		t.Error("the modern XRD has spec.namespace; only the legacy XRD may have it")
	}
	ns, ok := lProps["namespace"].(map[string]any)
	if !ok {
		t.Fatal("the legacy XRD has no spec.namespace")
	}
	if ns["type"] != "string" || ns["pattern"] == nil {
		t.Errorf("legacy spec.namespace: want a string with a DNS label pattern, got %v", ns)
	}
	if slices.Contains(stringsOf(lSpec["required"]), "namespace") {
		t.Error("legacy spec.namespace must be optional: claims do not set it")
	}
	delete(lProps, "namespace")

	if diff := cmp.Diff(modern, legacy); diff != "" {
		t.Errorf("modern and legacy XRD schemas differ beyond spec.namespace (-modern +legacy):\n%s", diff)
	}
	if got := stringsOf(mSpec["required"]); !slices.Equal(got, []string{"storage"}) {
		t.Errorf("spec.required = %v, want [storage]", got)
	}
}

// TestPerconaDefaults pins the PerconaConfig and
// PerconaBackupConfig defaults and bounds in both XRDs. Every property that
// has a default is listed, so a new or dropped default fails too.
func TestPerconaDefaults(t *testing.T) {
	type bounds struct {
		Default  any
		Min, Max any
		Enum     []any
	}
	cases := map[string]struct {
		path []string
		want map[string]bounds
	}{
		"spec.percona": {
			path: []string{"properties", "spec", "properties", "percona"},
			want: map[string]bounds{
				"enabled":        {Default: false},
				"replicas":       {Default: 1.0, Min: 1.0, Max: 5.0},
				"storageSize":    {Default: "10Gi"},
				"databaseName":   {Default: "dittofs"},
				"deletionPolicy": {Default: "Retain", Enum: []any{"Retain", "Delete"}},
			},
		},
		"spec.percona.backup": {
			path: []string{"properties", "spec", "properties", "percona", "properties", "backup"},
			want: map[string]bounds{
				"enabled":       {Default: false},
				"region":        {Default: "eu-west-1"},
				"uriStyle":      {Default: "path", Enum: []any{"path", "host"}},
				"verifyTLS":     {Default: true},
				"fullSchedule":  {Default: "0 2 * * *"},
				"incrSchedule":  {Default: "0 * * * *"},
				"retentionDays": {Default: 7.0, Min: 1.0},
			},
		},
	}
	for _, file := range []string{xrdgen.ModernPath, xrdgen.LegacyPath} {
		s := schema(t, load(t, file))
		for name, tc := range cases {
			t.Run(file+"/"+name, func(t *testing.T) {
				got := map[string]bounds{}
				for prop, v := range dig(t, s, append(tc.path, "properties")...) {
					p, _ := v.(map[string]any)
					if d, ok := p["default"]; ok {
						e, _ := p["enum"].([]any)
						got[prop] = bounds{Default: d, Min: p["minimum"], Max: p["maximum"], Enum: e}
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s defaults (-want +got):\n%s", name, diff)
				}
			})
		}
	}
}

// TestClusterRole pins exactly the kinds Crossplane may manage for
// function-dittofs. A builder that composes a new kind must add it here and
// in apis/rbac/clusterrole.yaml.
func TestClusterRole(t *testing.T) {
	all := []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	want := map[string][]string{
		"/configmaps":                               all,
		"/secrets":                                  all,
		"/services":                                 all,
		"/serviceaccounts":                          all,
		"rbac.authorization.k8s.io/roles":           all,
		"rbac.authorization.k8s.io/rolebindings":    all,
		"apps/statefulsets":                         all,
		"monitoring.coreos.com/servicemonitors":     all,
		"networking.k8s.io/networkpolicies":         all,
		"pgv2.percona.com/perconapgclusters":        all,
		"pgv2.percona.com/perconapgclusters/status": {"get"},
		"pgv2.percona.com/perconapgbackups":         all,
		"pgv2.percona.com/perconapgrestores":        all,
		"protection.crossplane.io/usages":           all,
	}

	b, err := os.ReadFile(filepath.Join(root, "apis", "rbac", "clusterrole.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatalf("parsing the ClusterRole: %v", err)
	}
	if role.Labels["rbac.crossplane.io/aggregate-to-crossplane"] != "true" {
		t.Error("the ClusterRole is not aggregated to Crossplane")
	}
	got := map[string][]string{}
	var order []string
	for _, r := range role.Rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %v: resourceNames and nonResourceURLs are not expected", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				k := g + "/" + res
				got[k] = append(got[k], r.Verbs...)
				order = append(order, k)
			}
		}
		if !sort.StringsAreSorted(r.Verbs) {
			t.Errorf("rule %v: verbs are not sorted", r)
		}
	}
	for k := range got {
		slices.Sort(got[k])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClusterRole grants (-want +got):\n%s", diff)
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("ClusterRole rules are not sorted by group and resource: %v", order)
	}
}

// TestCompositions checks each Composition targets its XRD's kind and runs
// one function step with function-dittofs's Input.
func TestCompositions(t *testing.T) {
	for _, dir := range []string{"configuration", "legacy"} {
		t.Run(dir, func(t *testing.T) {
			xrd := load(t, filepath.Join("apis", dir, "definition.yaml"))
			comp := load(t, filepath.Join("apis", dir, "composition.yaml"))
			kind := dig(t, xrd, "spec", "names")["kind"]
			ref := dig(t, comp, "spec", "compositeTypeRef")
			if ref["apiVersion"] != "dittofs.dittofs.com/v1alpha1" || ref["kind"] != kind {
				t.Errorf("compositeTypeRef = %v, want dittofs.dittofs.com/v1alpha1 %v", ref, kind)
			}
			if got, want := dig(t, comp, "metadata")["name"], dig(t, xrd, "spec", "defaultCompositionRef")["name"]; got != want {
				t.Errorf("Composition %v is not the XRD's default %v", got, want)
			}
			steps, _ := dig(t, comp, "spec")["pipeline"].([]any)
			if len(steps) != 1 {
				t.Fatalf("want one pipeline step, got %d", len(steps))
			}
			step, _ := steps[0].(map[string]any)
			// functionRef.name: TestFunctionRefIsResolvedName.
			in := dig(t, step, "input")
			if in["apiVersion"] != "dittofs.fn.crossplane.io/v1beta1" || in["kind"] != "Input" {
				t.Errorf("input is %v %v, want dittofs.fn.crossplane.io/v1beta1 Input", in["apiVersion"], in["kind"])
			}
		})
	}
}

func load(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// schema is the openAPIV3Schema of an XRD's only version.
func schema(t *testing.T, xrd map[string]any) map[string]any {
	t.Helper()
	versions, _ := dig(t, xrd, "spec")["versions"].([]any)
	if len(versions) != 1 {
		t.Fatalf("want one XRD version, got %d", len(versions))
	}
	v, _ := versions[0].(map[string]any)
	return dig(t, v, "schema", "openAPIV3Schema")
}

func dig(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	for i, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %s", strings.Join(path[:i+1], "."))
		}
		m = next
	}
	return m
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}
