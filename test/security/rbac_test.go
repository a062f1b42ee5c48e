package security

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// resourceOf maps each kind the function may compose to its API resource.
// A kind missing here fails the test: add it, with its plural.
var resourceOf = map[schema.GroupKind]string{
	{Group: "", Kind: "ConfigMap"}:                            "configmaps",
	{Group: "", Kind: "Secret"}:                               "secrets",
	{Group: "", Kind: "Service"}:                              "services",
	{Group: "", Kind: "ServiceAccount"}:                       "serviceaccounts",
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:        "roles",
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}: "rolebindings",
	{Group: "apps", Kind: "StatefulSet"}:                      "statefulsets",
	{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"}:  "servicemonitors",
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:       "networkpolicies",
	{Group: "pgv2.percona.com", Kind: "PerconaPGCluster"}:     "perconapgclusters",
	{Group: "pgv2.percona.com", Kind: "PerconaPGBackup"}:      "perconapgbackups",
	{Group: "pgv2.percona.com", Kind: "PerconaPGRestore"}:     "perconapgrestores",
	{Group: "protection.crossplane.io", Kind: "Usage"}:        "usages",
	{Group: "protection.crossplane.io", Kind: "ClusterUsage"}: "clusterusages",
	{Group: "apiextensions.crossplane.io", Kind: "Usage"}:     "usages",
	{Group: "policy", Kind: "PodDisruptionBudget"}:            "poddisruptionbudgets",
}

// crossplaneVerbs are what Crossplane does with a composed resource.
var crossplaneVerbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}

// TestClusterRoleMatchesComposedKinds derives the kinds the function
// composes from the render goldens of every example (every object but the
// XR and the render Results) and checks apis/rbac/clusterrole.yaml both
// ways: each composed kind is granted what Crossplane needs, and nothing is
// granted on a resource the function does not compose. A subresource may be
// granted read-only, and only of a composed resource.
func TestClusterRoleMatchesComposedKinds(t *testing.T) {
	composed := composedResources(t)
	granted := map[string][]string{} // group/resource[/subresource] -> verbs
	for _, r := range clusterRole(t).Rules {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
			t.Errorf("rule %v: nonResourceURLs and resourceNames are not expected", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if g == "*" || res == "*" || slices.Contains(r.Verbs, "*") {
					t.Errorf("rule %v: wildcards grant more than the function composes", r)
				}
				granted[g+"/"+res] = append(granted[g+"/"+res], r.Verbs...)
			}
		}
	}
	for res := range composed {
		for _, v := range crossplaneVerbs {
			if !slices.Contains(granted[res], v) {
				t.Errorf("the function composes %s, but the ClusterRole does not grant %q on it", res, v)
			}
		}
	}
	for res, verbs := range granted {
		group, resource, _ := strings.Cut(res, "/")
		parent, sub, isSub := strings.Cut(resource, "/")
		switch {
		case isSub && composed[group+"/"+parent]:
			for _, v := range verbs {
				if v != "get" && v != "list" && v != "watch" {
					t.Errorf("the ClusterRole grants %q on %s; only reading a subresource is expected", v, res)
				}
			}
		case isSub:
			t.Errorf("the ClusterRole grants subresource %s of %s, which the function does not compose", sub, group+"/"+parent)
		case !composed[res]:
			t.Errorf("the ClusterRole grants %s, which no example composes", res)
		}
	}
	if !composed["apps/statefulsets"] {
		t.Error("no example composes a StatefulSet; are the goldens there?")
	}
}

// composedResources are group/resource of every composed object in the
// render goldens.
func composedResources(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "test", "render", "testdata", "*.golden.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no render goldens: %v", err)
	}
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---\n") {
			var o struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			gv, err := schema.ParseGroupVersion(o.APIVersion)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch {
			case o.Kind == "":
				continue
			case o.Kind == "Result" && gv.Group == "render.crossplane.io":
				continue
			case gv.Group == "dittofs.dittofs.com": // the XR
				continue
			}
			res, ok := resourceOf[schema.GroupKind{Group: gv.Group, Kind: o.Kind}]
			if !ok {
				t.Fatalf("%s composes %s %s, which resourceOf does not know", filepath.Base(f), o.APIVersion, o.Kind)
			}
			out[gv.Group+"/"+res] = true
		}
	}
	return out
}

func clusterRole(t *testing.T) *rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "apis", "rbac", "clusterrole.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(b, role); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff("ClusterRole", role.Kind); d != "" {
		t.Fatalf("apis/rbac/clusterrole.yaml is not a ClusterRole: %s", d)
	}
	return role
}
