package build

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/errors"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// FileServiceConfigMap builds <xr>-fileservice: the declared file service
// as the in-pod reconciler reads it (internal/declared's format). It holds
// no secret, only the paths the referenced Secrets are mounted at. Nil when
// the XR declares nothing.
func FileServiceConfigMap(ds spec.DittoServer) (*corev1.ConfigMap, error) {
	c := ds.Declared()
	if c == nil {
		return nil, nil //nolint:nilnil // nothing declared: no ConfigMap, and no error
	}
	// sigs.k8s.io/yaml marshals through JSON: struct fields in declaration
	// order, map keys sorted, so the same spec renders the same bytes.
	raw, err := yaml.Marshal(c)
	if err != nil {
		return nil, errors.Wrap(err, "cannot render the declared file service")
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ds.FileServiceConfigMapName(), Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Data:       map[string]string{spec.DeclaredConfigKey: string(raw)},
	}, nil
}
