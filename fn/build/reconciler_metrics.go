package build

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// The reconciler's /metrics (port 9091, beside /readyz and /status) is
// scraped with DittoFS's when metrics are on: the metrics Service carries
// its port, the ServiceMonitor lists it as a second endpoint, and the
// NetworkPolicy admits it to the same peers as DittoFS's metrics port.
// It serves no secret, so it needs no token.

// reconcilerMetricsScraped reports whether the reconciler's metrics are
// scraped: metrics are on and the pod has the reconciler.
func reconcilerMetricsScraped(ds spec.DittoServer) bool {
	return ds.Spec.Metrics.Enabled && ReconcilerApplies(ds)
}

// reconcilerMetricsPolicyPorts are the NetworkPolicy ports for it.
func reconcilerMetricsPolicyPorts(ds spec.DittoServer) []networkingv1.NetworkPolicyPort {
	if !reconcilerMetricsScraped(ds) {
		return nil
	}
	return []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(spec.ReconcilerPort))}}
}

// reconcilerMetricsServicePorts are the metrics Service ports for it.
func reconcilerMetricsServicePorts(ds spec.DittoServer) []corev1.ServicePort {
	if !reconcilerMetricsScraped(ds) {
		return nil
	}
	return []corev1.ServicePort{servicePort(portReconciler, spec.ReconcilerPort, spec.ReconcilerPort)}
}

// reconcilerMetricsEndpoints are the ServiceMonitor endpoints for it, at the
// interval DittoFS's metrics are scraped at.
func reconcilerMetricsEndpoints(ds spec.DittoServer) []any {
	if !reconcilerMetricsScraped(ds) {
		return nil
	}
	e := map[string]any{"port": portReconciler, "path": "/metrics", "scheme": "http"}
	if i := ds.Spec.Metrics.ServiceMonitor.Interval; i != "" {
		e["interval"] = i
	}
	return []any{e}
}
