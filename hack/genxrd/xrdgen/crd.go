// Package xrdgen generates the XRDs under apis/ from the Go types in
// apis/v1alpha1. It runs controller-gen's CRD generator in-process (so tests
// need not shell out or build controller-gen), takes the spec and status
// schemas of the generated CRD and wraps them in a modern (v2, Namespaced)
// and a legacy (v1, LegacyCluster, with a claim) XRD.
package xrdgen

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"
	"sigs.k8s.io/controller-tools/pkg/crd"
	"sigs.k8s.io/controller-tools/pkg/genall"
	"sigs.k8s.io/controller-tools/pkg/loader"
)

// CRDs runs controller-gen's crd generator (crd:crdVersions=v1) over the Go
// packages at paths, relative to the module directory dir, and returns the
// artifacts it would write with output:crd:artifacts:config, by file name.
// The bytes are what `go run sigs.k8s.io/controller-tools/cmd/controller-gen`
// writes, including its version annotation.
func CRDs(dir string, paths ...string) (map[string][]byte, error) {
	gens := genall.Generators{genPtr(crd.Generator{CRDVersions: []string{"v1"}})}
	rt, err := gens.ForRootsWithConfig(&packages.Config{Dir: dir}, paths...)
	if err != nil {
		return nil, fmt.Errorf("loading %v: %w", paths, err)
	}
	out := memOutput{}
	rt.OutputRules = genall.OutputRules{Default: out}
	var errs bytes.Buffer
	rt.ErrorWriter = &errs
	if failed := rt.Run(); failed {
		return nil, fmt.Errorf("controller-gen crd over %v failed: %s", paths, strings.TrimSpace(errs.String()))
	}
	files := make(map[string][]byte, len(out))
	for name, b := range out {
		if files[name], err = fixVersion(dir, b.Bytes()); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func genPtr(g genall.Generator) *genall.Generator { return &g }

// memOutput keeps generated artifacts in memory, by file name.
type memOutput map[string]*bytes.Buffer

func (m memOutput) Open(_ *loader.Package, path string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m[path] = b
	return nopCloser{b}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

var versionAnnotation = regexp.MustCompile(`(?m)^(\s*controller-gen\.kubebuilder\.io/version: ).*$`)

// fixVersion sets controller-gen's version annotation to the controller-tools
// version the module at dir requires, which is what `go run
// sigs.k8s.io/controller-tools/cmd/controller-gen` reports. In-process,
// controller-gen would report this binary's main module instead (or
// "(unknown)" in a test binary), and the output would differ from a go run.
func fixVersion(dir string, b []byte) ([]byte, error) {
	v, err := controllerToolsVersion(dir)
	if err != nil {
		return nil, err
	}
	return versionAnnotation.ReplaceAll(b, []byte("${1}"+v)), nil
}

func controllerToolsVersion(dir string) (string, error) {
	const path = "sigs.k8s.io/controller-tools"
	name := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax(name, b, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Replace {
		if r.Old.Path == path {
			return "", fmt.Errorf("%s: %s is replaced; controller-gen's version annotation would not be reproducible", name, path)
		}
	}
	for _, r := range f.Require {
		if r.Mod.Path == path {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", name, path)
}
