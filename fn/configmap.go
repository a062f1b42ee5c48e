package fn

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// configKey is the ConfigMap key DittoFS reads as /config/config.yaml.
const configKey = "config.yaml"

func configMapName(ds dittoServer) string { return ds.Name + "-config" }

// configMap builds <xr>-config holding config.yaml. It holds no secret.
func configMap(ds dittoServer, config string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: configMapName(ds), Namespace: ds.Namespace, Labels: labels(ds, componentServer)},
		Data:       map[string]string{configKey: config},
	}
}
