package bench_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/test/bench/baseline"
)

// TestTemplateComposesTheSame keeps the template baseline honest: for every
// benchmark case it composes the objects function-dittofs composes, with the
// same readiness, and the same content except where the values are random
// or hashed differently.
func TestTemplateComposesTheSame(t *testing.T) {
	ours := functions[0].fn
	tmpl := baseline.Template{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := run(t, ours, steadyRequest(t, ours, c.example))
			got := run(t, tmpl, steadyRequest(t, tmpl, c.example))
			if diff := cmp.Diff(names(want), names(got)); diff != "" {
				t.Fatalf("composed resources (-ours +template):\n%s", diff)
			}
			for name, w := range want.GetDesired().GetResources() {
				g := got.GetDesired().GetResources()[name]
				if w.GetReady() != g.GetReady() {
					t.Errorf("%s: ready = %v, ours %v", name, g.GetReady(), w.GetReady())
				}
				if diff := cmp.Diff(comparableObject(w), comparableObject(g)); diff != "" {
					t.Errorf("%s (-ours +template):\n%s", name, diff)
				}
			}
		})
	}
}

func run(t *testing.T, f fnv1.FunctionRunnerServiceServer, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if m := fatal(rsp); m != "" {
		t.Fatalf("fatal result: %s", m)
	}
	return rsp
}

func names(rsp *fnv1.RunFunctionResponse) map[string]bool {
	out := map[string]bool{}
	for n := range rsp.GetDesired().GetResources() {
		out[n] = true
	}
	return out
}

// comparableObject drops what differs by design: generated Secret values (random
// until observed), the config hash and the StatefulSet's recorded Secrets
// hash (the template hashes its own YAML, not the generated and the pod's
// Secrets) and the ConfigMap's text (key order).
func comparableObject(r *fnv1.Resource) map[string]any {
	o := r.GetResource().AsMap()
	if o["kind"] == "Secret" || o["kind"] == "ConfigMap" {
		delete(o, "data")
	}
	if meta, ok := o["metadata"].(map[string]any); ok {
		if a, ok := meta["annotations"].(map[string]any); ok {
			delete(a, "dittofs.io/secrets-hash")
		}
	}
	if spec, ok := o["spec"].(map[string]any); ok {
		if tpl, ok := spec["template"].(map[string]any); ok {
			delete(tpl["metadata"].(map[string]any), "annotations")
		}
	}
	return o
}
