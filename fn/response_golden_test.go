package fn_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/corpus"
)

var updateResponses = flag.Bool("update", false, "rewrite fn/testdata/responses from what the function returns")

// TestResponseGoldens is the in-process twin of test/render's CLI goldens:
// every example, run the way Crossplane runs it (call, fetch what the
// response requires, call again), with the Secrets seeded as
// test/render seeds them, and the whole final response compared with
// testdata/responses/<case>.yaml. It runs under -short, so make test-unit
// catches a change to any composed object, result, condition or
// requirement; test/render still proves what the real crossplane CLI makes
// of the response. go test ./fn -run TestResponseGoldens -update rewrites
// the files; review the diff like code.
func TestResponseGoldens(t *testing.T) {
	const root = ".."
	names, err := corpus.Names(root)
	if err != nil {
		t.Fatal(err)
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("render-test"))
	seen := map[string]bool{}
	for _, name := range names {
		seen[name+".yaml"] = true
		t.Run(name, func(t *testing.T) {
			c, err := corpus.LoadExample(root, name)
			if err != nil {
				t.Fatal(err)
			}
			rsp := settle(t, f, c)
			got := responseYAML(t, rsp)
			path := filepath.Join("testdata", "responses", name+".yaml")
			if *updateResponses {
				if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./fn -run TestResponseGoldens -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("RunFunction(example/%s): -%s, +got:\n%s", name, path, diff)
			}
		})
	}
	// A golden whose example is gone would never be checked again.
	if !*updateResponses {
		files, err := filepath.Glob(filepath.Join("testdata", "responses", "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if !seen[filepath.Base(file)] {
				t.Errorf("%s has no example/%s: delete it", file, bytes.TrimSuffix([]byte(filepath.Base(file)), []byte(".yaml")))
			}
		}
	}
}

// settle calls the function until its requirements stop changing, as
// Crossplane does, and returns the last response.
func settle(t *testing.T, f *fn.Function, c *corpus.Case) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(t.Context(), c.Request())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		next, err := f.RunFunction(t.Context(), c.Resolve(rsp.GetRequirements()))
		if err != nil {
			t.Fatal(err)
		}
		done := protoEqualRequirements(rsp.GetRequirements(), next.GetRequirements())
		rsp = next
		if done {
			return rsp
		}
	}
	t.Fatal("requirements did not settle in 4 calls")
	return nil
}

func protoEqualRequirements(a, b *fnv1.Requirements) bool {
	ja, errA := protojson.Marshal(a)
	jb, errB := protojson.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// responseYAML is the response as YAML with sorted keys: protojson, then
// sigs.k8s.io/yaml, which sorts map keys, so the file is stable.
func responseYAML(t *testing.T, rsp *fnv1.RunFunctionResponse) []byte {
	t.Helper()
	j, err := protojson.Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	return y
}
