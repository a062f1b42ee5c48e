// Package render_test renders every example case through the real Crossplane
// CLI and core (`crossplane composition render --crossplane-binary`) against
// the function running as a process, compares the output with golden files,
// and validates every rendered object against the real schemas.
package render_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/dittofs/function-dittofs/internal/crdschema"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the current render output")

// functionName is the functionRef name the Compositions use: the name
// Crossplane's package manager gives the Function it installs for the
// Configurations' dependency ghcr.io/dittofs/function-dittofs.
const functionName = "dittofs-function-dittofs"

// api is the XRD and Composition an example XR is rendered with.
type api struct{ definition, composition string }

// apiFor picks the API by the XR's kind: DittoServer is the modern
// (namespaced, Crossplane v2) XR, XDittoServer the legacy XR behind a claim.
func apiFor(t *testing.T, root, xr string) api {
	t.Helper()
	data, err := os.ReadFile(xr)
	if err != nil {
		t.Fatal(err)
	}
	dir := map[string]string{"DittoServer": "configuration", "XDittoServer": "legacy"}[typeOf(t, data).Kind]
	if dir == "" {
		t.Fatalf("%s: kind %q is neither DittoServer nor XDittoServer", xr, typeOf(t, data).Kind)
	}
	a := api{
		definition:  filepath.Join(root, "apis", dir, "definition.yaml"),
		composition: filepath.Join(root, "apis", dir, "composition.yaml"),
	}
	// A case may bring its own Composition, for another function Input.
	if own := filepath.Join(filepath.Dir(xr), "composition.yaml"); fileExists(own) {
		a.composition = own
	}
	return a
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeFunctions writes a Function manifest that points render's
// Development runtime at the function this test started.
func writeFunctions(t *testing.T, tmp, addr string) string {
	t.Helper()
	path := filepath.Join(tmp, "functions.yaml")
	manifest := fmt.Sprintf(`apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: %s
  annotations:
    render.crossplane.io/runtime: Development
    render.crossplane.io/runtime-development-target: %s
spec:
  package: xpkg.crossplane.io/dittofs/function-dittofs:v0.0.0
`, functionName, addr)
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectFatal reads a case's expect-fatal file: the text a failed render
// must print. ok is false when the case should render successfully.
func expectFatal(t *testing.T, dir string) (want string, ok bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expect-fatal"))
	if os.IsNotExist(err) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	want = strings.TrimSpace(string(data))
	if want == "" {
		t.Fatalf("%s/expect-fatal is empty; it must hold the text the render must fail with", dir)
	}
	return want, true
}

// missingMarkers are files a case holds to simulate a cluster without one of
// the kinds the function asks about (through required schemas).
var missingMarkers = map[string]string{
	"no-percona-crd":        "PerconaPGCluster",
	"no-servicemonitor-crd": "ServiceMonitor",
}

// installedSchemas returns the --required-schemas directory for a case: its
// own schemas/ if it has one, otherwise the OpenAPI documents of every CRD in
// crds (a cluster with Percona, prometheus-operator and Crossplane's Usages
// installed) less the kinds the case's no-*-crd marker files remove.
func installedSchemas(t *testing.T, dir string, crds []string) string {
	t.Helper()
	if fi, err := os.Stat(filepath.Join(dir, "schemas")); err == nil && fi.IsDir() {
		return filepath.Join(dir, "schemas")
	}
	missing := map[string]bool{}
	for marker, kind := range missingMarkers {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			missing[kind] = true
		}
	}
	out := t.TempDir()
	for _, f := range crds {
		stream, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, doc := range splitDocs(t, stream) {
			var crd struct {
				Spec struct{ Names struct{ Kind string } }
			}
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				t.Fatal(err)
			}
			if k := crd.Spec.Names.Kind; k != "" && !missing[k] {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) == 0 {
			continue
		}
		docs, err := crdschema.Documents(stream, kinds...)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for path, doc := range docs {
			name := filepath.Join(out, strings.ReplaceAll(path, "/", "_")+".json")
			if err := os.WriteFile(name, doc, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestRender renders example/<case>/xr.yaml for every case. Optional inputs
// in the case directory: composition.yaml (in place of the API's, for
// another function Input), observed.yaml (observed composed resources),
// required.yaml (required resources), schemas/ or no-*-crd markers (required
// schemas, see installedSchemas), and expect-fatal (the render must fail,
// printing that text).
func TestRender(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function, the Crossplane CLI and core; skipped with -short")
	}
	root := repoRoot(t)
	cli := testenv.Tool(t, "crossplane-cli", "crossplane")
	core := testenv.Tool(t, "crossplane-core", "crossplane")
	schemas := schemaFiles(t, root)
	tmp := t.TempDir()
	functions := writeFunctions(t, tmp, startFunction(t, root, tmp))

	xrs, err := filepath.Glob(filepath.Join(root, "example", "*", "xr.yaml"))
	if err != nil || len(xrs) == 0 {
		t.Fatalf("no example/*/xr.yaml cases found (%v)", err)
	}
	for _, xr := range xrs {
		dir := filepath.Dir(xr)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			api := apiFor(t, root, xr)
			args := []string{
				"composition", "render", xr, api.composition, functions,
				"--crossplane-binary=" + core,
				"--xrd=" + api.definition,
				"--include-function-results",
				// The full XR (spec and defaults, not only status), so that
				// validate can check it against the XRD.
				"--include-full-xr",
			}
			args = append(args, "--required-schemas="+installedSchemas(t, dir, schemas))
			for _, in := range [][2]string{
				{"observed.yaml", "--observed-resources"},
				{"required.yaml", "--required-resources"},
			} {
				if _, err := os.Stat(filepath.Join(dir, in[0])); err == nil {
					args = append(args, in[1]+"="+filepath.Join(dir, in[0]))
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			stdout, stderr, err := run(ctx, root, cli, args...)

			if want, ok := expectFatal(t, dir); ok {
				// A guard fired: core exits 3 on a fatal result, the CLI then 1.
				if err == nil {
					t.Fatalf("render succeeded, want a failure mentioning %q\n%s", want, show(stdout, stderr))
				}
				if !strings.Contains(stdout+stderr, want) {
					t.Fatalf("render failed (exit %d) without %q\n%s", exitCode(err), want, show(stdout, stderr))
				}
				return
			}
			if err != nil {
				t.Fatalf("render failed (exit %d): %v\n%s", exitCode(err), err, show(stdout, stderr))
			}
			compareGolden(t, name, normalize(t, stdout))

			objects := objectsToValidate(t, []byte(stdout))
			path := filepath.Join(tmp, name+".rendered.yaml")
			writeDocs(t, path, objects)
			validate(t, cli, append([]string{api.definition}, schemas...), []string{path}, len(objects))
		})
	}
	checkStaleGoldens(t, xrs)
}

// normalize sorts render's Result records. Crossplane core reports its own
// results (such as `Composed resource "x" is not yet ready`) in map order,
// which changes from run to run; the objects keep their order.
func normalize(t *testing.T, rendered string) string {
	t.Helper()
	var objects, results []string
	for _, doc := range splitDocs(t, []byte(rendered)) {
		d := "---\n" + strings.TrimLeft(strings.TrimRight(string(doc), "\n"), "-\n") + "\n"
		if typeOf(t, doc).APIVersion == "render.crossplane.io/v1beta1" && typeOf(t, doc).Kind == "Result" {
			results = append(results, d)
			continue
		}
		objects = append(objects, d)
	}
	slices.Sort(results)
	return strings.Join(append(objects, results...), "")
}

func goldenPath(name string) string {
	return filepath.Join("testdata", name+".golden.yaml")
}

// compareGolden compares a render with its golden file, or rewrites the
// golden file under -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := goldenPath(name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no golden file (run `go test ./test/render -update` to write it): %v", err)
		return
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("render differs from %s (-want +got); if the change is intended, rerun with -update:\n%s", path, diff)
	}
}

// checkStaleGoldens fails on golden files of cases that no longer render
// (removed, renamed, or now expected to fail), or deletes them under -update.
func checkStaleGoldens(t *testing.T, xrs []string) {
	t.Helper()
	renders := map[string]bool{}
	for _, xr := range xrs {
		dir := filepath.Dir(xr)
		if _, fatal := expectFatal(t, dir); !fatal {
			renders[filepath.Base(dir)] = true
		}
	}
	goldens, _ := filepath.Glob(goldenPath("*"))
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden.yaml")
		if renders[name] {
			continue
		}
		if *update {
			_ = os.Remove(g)
			continue
		}
		t.Errorf("%s belongs to no successfully rendering case; remove it or rerun with -update", g)
	}
}
