package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// TestDefaultReconcilerImage keeps the default images.reconciler equal to
// the function package the Configurations depend on, at the lowest version
// they admit: that package's image holds /reconciler, and a Configuration
// installed alone composes a reconciler of the very release it installed.
// It also wants the Input CRD to document the same default.
func TestDefaultReconcilerImage(t *testing.T) {
	for _, dir := range []string{"configuration", "legacy"} {
		path := filepath.Join("..", "..", "apis", dir, "crossplane.yaml")
		var meta struct {
			Spec struct {
				DependsOn []struct {
					Kind    string `json:"kind"`
					Package string `json:"package"`
					Version string `json:"version"`
				} `json:"dependsOn"`
			} `json:"spec"`
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var want []string
		for _, d := range meta.Spec.DependsOn {
			if d.Kind != "Function" {
				continue
			}
			lowest, ok := strings.CutPrefix(d.Version, ">=")
			if !ok || strings.ContainsAny(lowest, " ,<>=") {
				t.Fatalf("%s: dependsOn version %q is not of the form >=vX.Y.Z this test reads", path, d.Version)
			}
			want = append(want, d.Package+":"+lowest)
		}
		if len(want) != 1 || want[0] != defaultReconcilerImage {
			t.Errorf("default images.reconciler is %q, but %s depends on the Function %v: set defaultReconcilerImage (fn/spec/input.go) and the +kubebuilder:default of Images.Reconciler to it", defaultReconcilerImage, path, want)
		}
	}
	if got := InputWithDefaults(v1beta1.Input{}).Images.Reconciler; got != defaultReconcilerImage {
		t.Errorf("InputWithDefaults: images.reconciler = %q, want %q", got, defaultReconcilerImage)
	}
	mirror := v1beta1.Input{Images: v1beta1.Images{Reconciler: "mirror.example/dittofs/function-dittofs:v0.1.0"}}
	if got := InputWithDefaults(mirror).Images.Reconciler; got != mirror.Images.Reconciler {
		t.Errorf("InputWithDefaults: a pinned images.reconciler became %q", got)
	}
	crd, err := os.ReadFile(filepath.Join("..", "..", "package", "input", "dittofs.fn.crossplane.io_inputs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(crd), "default: "+defaultReconcilerImage) {
		t.Errorf("package/input's CRD does not default images.reconciler to %s: set +kubebuilder:default on Images.Reconciler and run go generate ./...", defaultReconcilerImage)
	}
}
