package apis_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// minCrossplane is the lowest Crossplane with every feature the function
// relies on (README "Crossplane version"): required schemas
// (internal/xfn/required_schemas.go, first in crossplane/crossplane v2.2.0),
// required resources selected by namespace (ResourceSelector.namespace in
// proto/fn/v1/run_function.proto, v2.0.0) and protection.crossplane.io
// Usages (apis/protection, v2.0.0).
const minCrossplane = "v2.2.0"

// TestFunctionRefIsResolvedName fails when a Composition calls a Function
// by another name than the one Crossplane's package manager gives the
// Function it installs for the Configuration's dependency. Installing the
// Configuration alone then gives XRs whose pipeline finds no Function.
func TestFunctionRefIsResolvedName(t *testing.T) {
	for _, dir := range []string{"configuration", "legacy"} {
		t.Run(dir, func(t *testing.T) {
			meta := load(t, filepath.Join("apis", dir, "crossplane.yaml"))
			var fns []string
			deps, _ := dig(t, meta, "spec")["dependsOn"].([]any)
			for _, d := range deps {
				d, _ := d.(map[string]any)
				if pkg, ok := functionDependency(d); ok {
					fns = append(fns, pkg)
				}
			}
			if len(fns) != 1 {
				t.Fatalf("apis/%s/crossplane.yaml: want one Function in spec.dependsOn, got %v", dir, fns)
			}
			want, err := resolvedName(fns[0])
			if err != nil {
				t.Fatalf("apis/%s/crossplane.yaml spec.dependsOn: %v", dir, err)
			}

			comp := load(t, filepath.Join("apis", dir, "composition.yaml"))
			steps, _ := dig(t, comp, "spec")["pipeline"].([]any)
			if len(steps) == 0 {
				t.Fatalf("apis/%s/composition.yaml has no pipeline steps", dir)
			}
			for i, s := range steps {
				step, _ := s.(map[string]any)
				if got := dig(t, step, "functionRef")["name"]; got != want {
					t.Errorf("apis/%s/composition.yaml spec.pipeline[%d].functionRef.name = %v, but Crossplane installs the dependency %s as Function %q: set functionRef.name to %q",
						dir, i, got, fns[0], want, want)
				}
			}
		})
	}
}

// functionDependency returns the package of a dependsOn entry naming a
// Function, in either spelling Crossplane accepts (apiVersion, kind and
// package; or the function shorthand).
func functionDependency(d map[string]any) (string, bool) {
	if pkg, ok := d["function"].(string); ok {
		return pkg, true
	}
	if d["kind"] == "Function" && d["apiVersion"] == "pkg.crossplane.io/v1" {
		pkg, ok := d["package"].(string)
		return pkg, ok
	}
	return "", false
}

// resolvedName is the name Crossplane's dependency resolver gives the
// package it installs for a dependency: NewPackage in
// internal/controller/pkg/resolver/reconciler.go (core v2.4.0) sets
// xpkg.ToDNSLabel(ref.Context().RepositoryStr()), the repository without
// registry, tag or digest.
func resolvedName(pkg string) (string, error) {
	repo, err := repository(pkg)
	if err != nil {
		return "", err
	}
	return toDNSLabel(repo), nil
}

// repository is go-containerregistry's RepositoryStr for a reference that
// names its registry. The project's dependencies always name theirs
// (ghcr.io): a reference without one would resolve on Docker Hub, with
// rules of its own (library/ for one-element paths) this does not need.
func repository(ref string) (string, error) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	host, repo, ok := strings.Cut(ref, "/")
	if !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return "", fmt.Errorf("package %q does not name its registry (e.g. ghcr.io/dittofs/function-dittofs)", ref)
	}
	if repo == "" {
		return "", fmt.Errorf("package %q has no repository", ref)
	}
	return repo, nil
}

// toDNSLabel is xpkg.ToDNSLabel from github.com/crossplane/crossplane-runtime/v2
// (pkg/xpkg/name.go; the same in v2.3.1 and v2.4.0, which core v2.4.0
// uses), rewritten here because that package imports go-containerregistry's
// k8schain and the cloud registries' credential helpers, which the function's
// module should not carry for one loop. It keeps [a-z0-9], writes "-" for
// ".", "/", ":" and "-" except at byte 0, byte 62 and the last byte, stops
// after byte 62, and trims "-" from both ends. TestToDNSLabel holds it to
// names Crossplane is known to produce.
func toDNSLabel(s string) string {
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case strings.IndexByte("./:-", c) >= 0 && i != 0 && i != 62 && i != len(s)-1:
			b.WriteByte('-')
		}
		if i == 62 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func TestToDNSLabel(t *testing.T) {
	cases := []struct{ in, want, source string }{
		// What Crossplane produced, seen running it or in published packages.
		{"dittofs/function-dittofs", "dittofs-function-dittofs", "the Function the e2e test's package manager installs"},
		{"dittofs/configuration-dittofs", "dittofs-configuration-dittofs", "the Configuration `crossplane xpkg install` creates in the e2e test"},
		{"crossplane-contrib/function-kcl", "crossplane-contrib-function-kcl", "crossplane-contrib/configuration-quickstart apis/XMockDatabase/composition.yaml"},
		{"registry.invalid/e2e/function-e2e-sha256:bd6ff", "registry-invalid-e2e-function-e2e-sha256-bd6ff", "an xpkg cache key (xpkg.FriendlyID) core v2.4.0 read"},
		// The edges of the rule.
		{"Dittofs/Fn_x", "ittofs-nx", "upper case and other characters are dropped"},
		{"/dittofs/", "dittofs", "no separator at the ends"},
		{strings.Repeat("abcdefghi/", 7), strings.Repeat("abcdefghi-", 6) + "abc", "cut after byte 62"},
		{strings.Repeat("a", 62) + "/b", strings.Repeat("a", 62), "no separator at byte 62"},
	}
	for _, c := range cases {
		if got := toDNSLabel(c.in); got != c.want {
			t.Errorf("toDNSLabel(%q) = %q, want %q (%s)", c.in, got, c.want, c.source)
		}
	}
}

func TestResolvedName(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "ghcr.io/dittofs/function-dittofs", want: "dittofs-function-dittofs"},
		{in: "ghcr.io/dittofs/function-dittofs:v0.1.0", want: "dittofs-function-dittofs"},
		{in: "ghcr.io/dittofs/function-dittofs@sha256:" + strings.Repeat("0", 64), want: "dittofs-function-dittofs"},
		{in: "127.0.0.1:5000/dittofs/function-dittofs:v0.1.0", want: "dittofs-function-dittofs"},
		{in: "localhost/team/fn", want: "team-fn"},
		{in: "xpkg.crossplane.io/crossplane-contrib/function-auto-ready", want: "crossplane-contrib-function-auto-ready"},
		{in: "dittofs/function-dittofs", err: "does not name its registry"},
		{in: "ghcr.io/", err: "has no repository"},
	}
	for _, c := range cases {
		got, err := resolvedName(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("resolvedName(%q) = %q, %v; want an error saying %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("resolvedName(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestCrossplaneVersion wants every package to ask for the same, lowest
// Crossplane the function works with.
func TestCrossplaneVersion(t *testing.T) {
	for _, path := range []string{"package/crossplane.yaml", "apis/configuration/crossplane.yaml", "apis/legacy/crossplane.yaml"} {
		meta := load(t, path)
		got := dig(t, meta, "spec", "crossplane")["version"]
		if got != ">="+minCrossplane {
			t.Errorf("%s spec.crossplane.version = %v, want %q (see minCrossplane)", path, got, ">="+minCrossplane)
		}
	}
}
