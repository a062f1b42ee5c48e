package fn

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// exampleCase is one directory of example/ turned into the request
// Crossplane sends once it has resolved every requirement: the XR, its
// observed composed objects (keyed by their composition-resource-name), the
// S3 credentials Secret (resolved, possibly to nothing) and the schemas of
// the kinds the function asks about.
type exampleCase struct {
	Name string
	Req  *fnv1.RunFunctionRequest
	// Fatal is the text of the case's expect-fatal file, or "".
	Fatal string
}

const examplesDir = "../example"

// loadExamples loads every case under example/, sorted by name.
func loadExamples(t testing.TB) []exampleCase {
	t.Helper()
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []exampleCase
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, loadExample(t, e.Name()))
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	if len(cases) == 0 {
		t.Fatal("no example cases found")
	}
	return cases
}

// loadExample loads example/<name>.
func loadExample(t testing.TB, name string) exampleCase {
	t.Helper()
	dir := filepath.Join(examplesDir, name)
	xrs := readDocs(t, filepath.Join(dir, "xr.yaml"))
	if len(xrs) != 1 {
		t.Fatalf("%s/xr.yaml: want one object, got %d", dir, len(xrs))
	}
	xr := xrs[0]
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "example-" + name},
		Input:    compositionInput(t, xr["kind"] == "XDittoServer"),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, xr)}, Resources: map[string]*fnv1.Resource{}},
		Desired:  &fnv1.State{},
	}
	for _, o := range readDocs(t, filepath.Join(dir, "observed.yaml")) {
		key := annotation(o, "crossplane.io/composition-resource-name")
		if key == "" {
			t.Fatalf("%s/observed.yaml: an object has no crossplane.io/composition-resource-name annotation", dir)
		}
		req.Observed.Resources[key] = &fnv1.Resource{Resource: mustStruct(t, o)}
	}
	required := &fnv1.Resources{}
	for _, o := range readDocs(t, filepath.Join(dir, "required.yaml")) {
		required.Items = append(required.Items, &fnv1.Resource{Resource: mustStruct(t, o)})
	}
	req.RequiredResources = map[string]*fnv1.Resources{requiredS3Credentials: required}
	req.RequiredSchemas = map[string]*fnv1.Schema{}
	for schema, marker := range map[string]string{schemaPercona: "no-percona-crd", schemaServiceMonitor: "no-servicemonitor-crd"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			req.RequiredSchemas[schema] = &fnv1.Schema{} // resolved, not installed
		} else {
			req.RequiredSchemas[schema] = &fnv1.Schema{OpenapiV3: &structpb.Struct{Fields: map[string]*structpb.Value{"type": structpb.NewStringValue("object")}}}
		}
	}
	c := exampleCase{Name: name, Req: req}
	if b, err := os.ReadFile(filepath.Join(dir, "expect-fatal")); err == nil {
		c.Fatal = strings.TrimSpace(string(b))
	}
	return c
}

// compositionInput is the Input the Composition gives the function.
func compositionInput(t testing.TB, legacy bool) *structpb.Struct {
	t.Helper()
	dir := "configuration"
	if legacy {
		dir = "legacy"
	}
	docs := readDocs(t, filepath.Join("..", "apis", dir, "composition.yaml"))
	for _, d := range docs {
		spec, _ := d["spec"].(map[string]any)
		steps, _ := spec["pipeline"].([]any)
		for _, s := range steps {
			step, _ := s.(map[string]any)
			ref, _ := step["functionRef"].(map[string]any)
			if ref["name"] == "function-dittofs" {
				in, _ := step["input"].(map[string]any)
				return mustStruct(t, in)
			}
		}
	}
	t.Fatalf("apis/%s/composition.yaml: no function-dittofs step", dir)
	return nil
}

// readDocs reads a YAML stream; a missing file is no objects.
func readDocs(t testing.TB, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	d := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []map[string]any
	for {
		var obj map[string]any
		err := d.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if obj != nil {
			out = append(out, obj)
		}
	}
}

func annotation(obj map[string]any, key string) string {
	md, _ := obj["metadata"].(map[string]any)
	a, _ := md["annotations"].(map[string]any)
	v, _ := a[key].(string)
	return v
}

func mustStruct(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
