package packages_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"gopkg.in/yaml.v3"
)

// These tests drive the programs `make image`, `make xpkg` and `make
// xpkg-push` run: hack/xpkg.sh, which runs hack/image and the real Crossplane
// CLI that hack/tool.sh builds from tools/crossplane-cli.

// repoRoot is two levels up from test/packages, where go test runs us.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "xpkg.sh")); err != nil {
		t.Fatalf("cannot find the repo root from the test directory: %v", err)
	}
	return root
}

// xpkgSh runs `hack/xpkg.sh step` with env added to ours and returns its
// stdout. The first run may build the Crossplane CLI (minutes), hence the
// generous timeout.
func xpkgSh(t *testing.T, root, step string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "xpkg.sh"), step)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/xpkg.sh %s: %v\n%s", step, err, stderr.String())
	}
	t.Logf("hack/xpkg.sh %s took %s", step, time.Since(start).Round(time.Millisecond))
	return stdout.String()
}

// files returns the regular files of img's flattened file system, by path
// without a leading slash, with their modes.
func files(t *testing.T, img v1.Image) (map[string][]byte, map[string]int64) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	body, mode := map[string][]byte{}, map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return body, mode
		}
		if err != nil {
			t.Fatalf("reading the image's file system: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s from the image: %v", h.Name, err)
		}
		name := strings.TrimPrefix(h.Name, "/")
		body[name], mode[name] = b, h.Mode
	}
}

// object is the part of a Kubernetes manifest the tests look at.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec map[string]any `yaml:"spec"`
}

// documents parses a multi-document YAML stream such as a package.yaml.
func documents(t *testing.T, data []byte) []object {
	t.Helper()
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("parsing YAML: %v", err)
		}
		if o.Kind != "" {
			objs = append(objs, o)
		}
	}
}

// find returns the object of the given kind, and name when not empty.
func find(objs []object, apiVersion, kind, name string) (object, error) {
	for _, o := range objs {
		if o.APIVersion == apiVersion && o.Kind == kind && (name == "" || o.Metadata.Name == name) {
			return o, nil
		}
	}
	var have []string
	for _, o := range objs {
		have = append(have, o.APIVersion+" "+o.Kind+" "+o.Metadata.Name)
	}
	return object{}, fmt.Errorf("no %s %s %q among %v", apiVersion, kind, name, have)
}

// yamlString renders v as YAML, for looking into nested fields.
func yamlString(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatalf("rendering YAML: %v", err)
	}
	return string(b)
}
