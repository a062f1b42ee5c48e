package render_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// The ServiceMonitor CRD ships in the prometheus-operator root module (its
// example/prometheus-operator-crd directory). Pinned to an exact version the
// module proxy serves.
const prometheusOperator = "github.com/prometheus-operator/prometheus-operator@v0.94.0"

// schemaFiles returns the CRDs of every non-built-in kind the function
// composes, taken from the very modules they come from: Percona's from the
// version go.mod pins, Crossplane's Usage from the core version tools/ pins,
// the ServiceMonitor from prometheus-operator. Built-in kinds (Secret,
// StatefulSet, Service, NetworkPolicy, ...) need no schema: validate decodes
// them strictly into the client-go types, which rejects unknown fields and
// wrong types (but does no API-server semantic validation).
func schemaFiles(t *testing.T, root string) []string {
	t.Helper()
	percona := moduleDir(t, root, "github.com/percona/percona-postgresql-operator/v2")
	core := moduleDir(t, filepath.Join(root, "tools", "crossplane-core"), "github.com/crossplane/crossplane/v2")
	prom := moduleDir(t, t.TempDir(), prometheusOperator)

	files := []string{
		filepath.Join(percona, "config", "crd", "bases", "pgv2.percona.com_perconapgclusters.yaml"),
		filepath.Join(core, "cluster", "crds", "protection.crossplane.io_usages.yaml"),
		filepath.Join(core, "cluster", "crds", "protection.crossplane.io_clusterusages.yaml"),
		filepath.Join(prom, "example", "prometheus-operator-crd", "monitoring.coreos.com_servicemonitors.yaml"),
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("schema missing: %v", err)
		}
	}
	return files
}

// coreCRD returns one of Crossplane core's own CRDs (Composition, XRD,
// Function, ...) for validating the manifests in this repo.
func coreCRD(t *testing.T, root, file string) string {
	t.Helper()
	core := moduleDir(t, filepath.Join(root, "tools", "crossplane-core"), "github.com/crossplane/crossplane/v2")
	return filepath.Join(core, "cluster", "crds", file)
}

// validate runs `crossplane resource validate` offline (no core image, a
// private cache dir) on the resources files and fails the test unless every
// one of the want objects was checked against a schema and found valid.
// Missing schemas count as failures, so a new composed kind cannot slip by.
func validate(t *testing.T, cli string, extensions, resources []string, want int) {
	t.Helper()
	stdout, stderr, err := validateRun(t, cli, extensions, resources)
	var res struct {
		Summary struct {
			Total          int `json:"total"`
			Valid          int `json:"valid"`
			Invalid        int `json:"invalid"`
			MissingSchemas int `json:"missingSchemas"`
		} `json:"summary"`
		Resources []struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
			Status     string `json:"status"`
			Errors     []struct {
				Type    string `json:"type"`
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"resources"`
	}
	if jerr := json.Unmarshal([]byte(stdout), &res); jerr != nil {
		t.Fatalf("crossplane resource validate: %v (output is not JSON: %v)\n%s", err, jerr, show(stdout, stderr))
	}
	for _, r := range res.Resources {
		if r.Status != "valid" {
			t.Errorf("%s %s %q: %s %+v", r.APIVersion, r.Kind, r.Name, r.Status, r.Errors)
		}
	}
	if res.Summary.Total != want || res.Summary.Valid != want {
		t.Errorf("validate checked %d objects, %d valid; want %d of %d", res.Summary.Total, res.Summary.Valid, want, want)
	}
	if err != nil && !t.Failed() {
		t.Errorf("crossplane resource validate: %v\n%s", err, show(stdout, stderr))
	}
}

func validateRun(t *testing.T, cli string, extensions, resources []string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return run(ctx, "", cli, "resource", "validate",
		strings.Join(extensions, ","), strings.Join(resources, ","),
		"--crossplane-image=", // offline: our schemas only, no core image pull
		"--cache-dir="+t.TempDir(),
		"--error-on-missing-schemas",
		"--output=json")
}

// splitDocs splits a YAML stream into its non-empty documents.
func splitDocs(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("cannot split YAML stream: %v", err)
		}
		if len(bytes.TrimSpace(doc)) > 0 && !isOnlyComments(doc) {
			docs = append(docs, doc)
		}
	}
}

func isOnlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

func typeOf(t *testing.T, doc []byte) typeMeta {
	t.Helper()
	var tm typeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		t.Fatalf("cannot read apiVersion and kind: %v\n%s", err, doc)
	}
	return tm
}

// objectsToValidate keeps the Kubernetes objects of a render: the XR and
// every composed resource. It drops render's own records (Result, Context,
// apiVersion render.crossplane.io/...), which are no API objects.
func objectsToValidate(t *testing.T, rendered []byte) [][]byte {
	t.Helper()
	var keep [][]byte
	for _, doc := range splitDocs(t, rendered) {
		if strings.HasPrefix(typeOf(t, doc).APIVersion, "render.crossplane.io/") {
			continue
		}
		keep = append(keep, doc)
	}
	return keep
}

func writeDocs(t *testing.T, path string, docs [][]byte) {
	t.Helper()
	var b bytes.Buffer
	for _, d := range docs {
		fmt.Fprintf(&b, "---\n%s\n", bytes.TrimRight(d, "\n"))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestValidateRejects proves the validation above can fail: objects that
// break their schema (a wrong type, an unknown field, a built-in kind with an
// unknown field, a kind nobody has a schema for) must each be reported.
func TestValidateRejects(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the Crossplane CLI; skipped with -short")
	}
	root := repoRoot(t)
	cli := testenv.Tool(t, "crossplane-cli", "crossplane")
	// The XRD too: its CEL rules must refuse what they name.
	schemas := append(schemaFiles(t, root), filepath.Join(root, "apis", "configuration", "definition.yaml"))

	// Each object breaks its schema in one way; want is what validate must say.
	bad := map[string]struct{ doc, want string }{
		"percona-wrong-type": {`apiVersion: pgv2.percona.com/v2
kind: PerconaPGCluster
metadata: {name: x, namespace: ns}
spec: {crVersion: 2.9.0, postgresVersion: "17", instances: [], backups: {pgbackrest: {}}}
`, "spec.postgresVersion in body must be of type integer"},
		"usage-unknown-field": {`apiVersion: protection.crossplane.io/v1beta1
kind: Usage
metadata: {name: x, namespace: ns}
spec: {of: {apiVersion: v1, kind: Secret, resourceRef: {name: s}}, reason: r, bogus: true}
`, `unknown field: \"bogus\"`},
		"builtin-unknown-field": {`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: x, namespace: ns}
spec: {replicaz: 1}
`, `unknown field \"spec.replicaz\"`},
		"xr-smb-portmapper": {`apiVersion: dittofs.dittofs.com/v1alpha1
kind: DittoServer
metadata: {name: x, namespace: ns}
spec: {storage: {metadataSize: 1Gi}, adapters: {smb: {portmapper: {enabled: true}}}}
`, "portmapper and udp are NFS settings"},
		"no-schema": {`apiVersion: example.org/v1
kind: Unknown
metadata: {name: x}
`, `"missingSchema"`},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := validateRun(t, cli, schemas, []string{path})
			if err == nil {
				t.Fatalf("validate accepted an invalid object\n%s", show(stdout, stderr))
			}
			if !strings.Contains(stdout, c.want) {
				t.Fatalf("validate failed without saying %s\n%s", c.want, show(stdout, stderr))
			}
		})
	}
}

// TestValidateManifests checks this repo's own Crossplane manifests against
// core's CRDs, and each Composition step's input against the function's
// input CRD (validate extracts step inputs from Compositions itself).
func TestValidateManifests(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the Crossplane CLI; skipped with -short")
	}
	root := repoRoot(t)
	cli := testenv.Tool(t, "crossplane-cli", "crossplane")

	inputs, _ := filepath.Glob(filepath.Join(root, "package", "input", "*.yaml"))
	extensions := append([]string{
		coreCRD(t, root, "apiextensions.crossplane.io_compositeresourcedefinitions.yaml"),
		coreCRD(t, root, "apiextensions.crossplane.io_compositions.yaml"),
		coreCRD(t, root, "pkg.crossplane.io_functions.yaml"),
	}, inputs...)

	var manifests []string
	var want int
	for _, f := range []string{
		"apis/configuration/definition.yaml", "apis/configuration/composition.yaml",
		"apis/legacy/definition.yaml", "apis/legacy/composition.yaml",
		"example/functions.yaml",
	} {
		path := filepath.Join(root, f)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range splitDocs(t, data) {
			want++
			want += stepInputs(t, doc)
		}
		manifests = append(manifests, path)
	}
	validate(t, cli, extensions, manifests, want)
}

// stepInputs counts the pipeline steps of a Composition that have an input;
// validate checks each of them as an object of its own.
func stepInputs(t *testing.T, doc []byte) int {
	t.Helper()
	var c struct {
		Kind string
		Spec struct {
			Pipeline []struct {
				Input json.RawMessage
			}
		}
	}
	if err := yaml.Unmarshal(doc, &c); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, step := range c.Spec.Pipeline {
		if c.Kind == "Composition" && len(step.Input) > 0 && string(step.Input) != "null" {
			n++
		}
	}
	return n
}
