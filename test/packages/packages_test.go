package packages_test

import (
	"bytes"
	"context"
	"debug/elf"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var arches = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestImageReproducible builds the runtime images twice, into different
// directories, and wants the same digest per architecture both times; it
// also wants the tarball xpkg build embeds to hold that very image.
func TestImageReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function for two architectures")
	}
	root := repoRoot(t)
	build := func() map[string]string {
		out := t.TempDir()
		digests := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(xpkgSh(t, root, "image", "OUT="+out, "VERSION=v0.1.0")), "\n") {
			f := strings.Fields(line) // arch digest path
			if len(f) != 3 {
				t.Fatalf("hack/xpkg.sh image printed %q, want \"arch digest path\"", line)
			}
			img, err := tarball.ImageFromPath(f[2], nil)
			if err != nil {
				t.Fatalf("reading %s: %v", f[2], err)
			}
			d, err := img.Digest()
			if err != nil {
				t.Fatalf("digest of %s: %v", f[2], err)
			}
			if d.String() != f[1] {
				t.Errorf("%s: tarball holds image %s, the build printed %s", f[2], d, f[1])
			}
			digests[f[0]] = f[1]
		}
		return digests
	}
	first, second := build(), build()
	for arch := range arches {
		if first[arch] == "" {
			t.Errorf("no %s image built", arch)
		}
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("two builds of the same source differ:\nfirst:  %v\nsecond: %v", first, second)
	}
	t.Logf("digests: %v", first)
}

// TestRegistryRoundTrip builds the packages, pushes them with `crossplane
// xpkg push` to a registry on 127.0.0.1 and reads them back from it.
func TestRegistryRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and pushes the packages")
	}
	root := repoRoot(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg := strings.TrimPrefix(srv.URL, "http://") + "/dittofs"

	env := []string{"OUT=" + t.TempDir(), "VERSION=v0.1.0", "REGISTRY=" + reg}
	xpkgSh(t, root, "image", env...)
	xpkgSh(t, root, "build", env...)
	xpkgSh(t, root, "push", env...)

	t.Run("function", func(t *testing.T) { checkFunction(t, reg+"/function-dittofs:v0.1.0") })
	t.Run("configuration", func(t *testing.T) {
		checkConfiguration(t, reg+"/configuration-dittofs:v0.1.0", "configuration-dittofs",
			"apiextensions.crossplane.io/v2", "dittoservers.dittofs.dittofs.com")
	})
	t.Run("legacy configuration", func(t *testing.T) {
		checkConfiguration(t, reg+"/configuration-dittofs-legacy:v0.1.0", "configuration-dittofs-legacy",
			"apiextensions.crossplane.io/v1", "xdittoservers.dittofs.dittofs.com")
	})
}

// checkFunction wants a multi-arch index with one package per architecture,
// each holding the Function meta, the input CRD and a runnable image.
func checkFunction(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatalf("pulling the index %s: %v", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatalf("reading the index %s: %v", ref, err)
	}
	seen := map[string]bool{}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS != "linux" {
			t.Errorf("index entry %s has platform %v, want linux/<arch>", m.Digest, m.Platform)
			continue
		}
		arch := m.Platform.Architecture
		seen[arch] = true
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatalf("pulling the %s package: %v", arch, err)
		}
		checkRuntime(t, arch, img)

		body, _ := files(t, img)
		objs := documents(t, body["package.yaml"])
		fn, err := find(objs, "meta.pkg.crossplane.io/v1", "Function", "function-dittofs")
		if err != nil {
			t.Errorf("%s package.yaml: %v", arch, err)
		} else if caps, _ := fn.Spec["capabilities"].([]any); !reflect.DeepEqual(caps, []any{"composition"}) {
			t.Errorf("%s Function capabilities = %v, want [composition]", arch, fn.Spec["capabilities"])
		}
		if _, err := find(objs, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "inputs.dittofs.fn.crossplane.io"); err != nil {
			t.Errorf("%s package.yaml: %v", arch, err)
		}
		if _, err := find(documents(t, body[".up/examples.yaml"]), "dittofs.dittofs.com/v1alpha1", "DittoServer", ""); err != nil {
			t.Errorf("%s examples: %v", arch, err)
		}
	}
	for arch := range arches {
		if !seen[arch] {
			t.Errorf("index %s has no linux/%s package", ref, arch)
		}
	}
}

// checkRuntime wants the image config the Dockerfile describes and static
// binaries for the right machine at /function and /reconciler.
func checkRuntime(t *testing.T, arch string, img v1.Image) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("%s config: %v", arch, err)
	}
	if cfg.OS != "linux" || cfg.Architecture != arch {
		t.Errorf("%s config platform = %s/%s", arch, cfg.OS, cfg.Architecture)
	}
	c := cfg.Config
	if c.User != "65532:65532" {
		t.Errorf("%s user = %q, want 65532:65532", arch, c.User)
	}
	if !reflect.DeepEqual(c.Entrypoint, []string{"/function"}) {
		t.Errorf("%s entrypoint = %q, want [/function]", arch, c.Entrypoint)
	}
	if _, ok := c.ExposedPorts["9443/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("%s exposed ports = %v, want only 9443/tcp", arch, c.ExposedPorts)
	}
	if v := c.Labels["org.opencontainers.image.version"]; v != "v0.1.0" {
		t.Errorf("%s version label = %q, want v0.1.0", arch, v)
	}

	body, mode := files(t, img)
	for _, bin := range []string{"function", "reconciler"} {
		checkStaticBinary(t, arch, bin, body[bin], mode[bin])
	}
	// The reconciler the DittoFS pod runs from this image (command
	// ["/reconciler"]) works: run where this machine can, it prints the
	// version the image was built as.
	if arch == runtime.GOARCH && runtime.GOOS == "linux" {
		if got := runExtracted(t, body["reconciler"], "--version"); got != "v0.1.0" {
			t.Errorf("%s /reconciler --version printed %q, want v0.1.0", arch, got)
		}
		if got := runExtracted(t, body["reconciler"], "--help"); !strings.Contains(got, "--api-address") || !strings.Contains(got, "--admin-password-file") {
			t.Errorf("%s /reconciler --help does not describe its flags:\n%s", arch, got)
		}
	}
}

// checkStaticBinary wants /name in the image to be an executable, static
// ELF binary for arch: the image has no libc.
func checkStaticBinary(t *testing.T, arch, name string, body []byte, mode int64) {
	t.Helper()
	if body == nil {
		t.Errorf("%s image has no /%s", arch, name)
		return
	}
	if mode&0o111 == 0 {
		t.Errorf("%s /%s mode %o is not executable", arch, name, mode)
	}
	f, err := elf.NewFile(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s /%s is not an ELF binary: %v", arch, name, err)
		return
	}
	if f.Machine != arches[arch] {
		t.Errorf("%s /%s is built for %s", arch, name, f.Machine)
	}
	if f.Section(".interp") != nil {
		t.Errorf("%s /%s is dynamically linked; the image has no libc", arch, name)
	}
}

// runExtracted writes a binary extracted from an image to a file, runs it
// with args in an empty environment, and returns its trimmed output; it
// must exit 0 within a minute.
func runExtracted(t *testing.T, bin []byte, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", path, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// checkConfiguration wants the XRD, the Composition and a dependency on the
// function package whose version constraint the pushed v0.1.0 satisfies.
func checkConfiguration(t *testing.T, ref, meta, xrdAPI, xrd string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	body, _ := files(t, img)
	objs := documents(t, body["package.yaml"])
	cfg, err := find(objs, "meta.pkg.crossplane.io/v1", "Configuration", meta)
	if err != nil {
		t.Fatalf("package.yaml: %v", err)
	}
	if _, err := find(objs, xrdAPI, "CompositeResourceDefinition", xrd); err != nil {
		t.Errorf("package.yaml: %v", err)
	}
	comp, err := find(objs, "apiextensions.crossplane.io/v1", "Composition", xrd)
	if err != nil {
		t.Errorf("package.yaml: %v", err)
	} else if !strings.Contains(yamlString(t, comp.Spec["pipeline"]), "name: dittofs-function-dittofs") {
		// The name the package manager gives the Function it installs for
		// the dependency (apis/dependency_test.go checks the rule).
		t.Errorf("Composition %s has no step calling dittofs-function-dittofs", xrd)
	}

	deps, _ := cfg.Spec["dependsOn"].([]any)
	found := false
	for _, d := range deps {
		d, _ := d.(map[string]any)
		if d["package"] != "ghcr.io/dittofs/function-dittofs" || d["kind"] != "Function" {
			continue
		}
		found = true
		c, err := semver.NewConstraint(d["version"].(string))
		if err != nil {
			t.Errorf("dependsOn version %q: %v", d["version"], err)
		} else if !c.Check(semver.MustParse("v0.1.0")) {
			t.Errorf("dependsOn version %q does not admit v0.1.0", d["version"])
		}
	}
	if !found {
		t.Errorf("%s does not depend on the Function ghcr.io/dittofs/function-dittofs: dependsOn = %v", meta, deps)
	}
}
