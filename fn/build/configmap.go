package build

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// configKey is the ConfigMap key DittoFS reads as /config/config.yaml.
const configKey = "config.yaml"

// ConfigMap builds <xr>-config holding config.yaml. It holds no secret.
func ConfigMap(ds spec.DittoServer, config string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ds.ConfigMapName(), Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Data:       map[string]string{configKey: config},
	}
}
