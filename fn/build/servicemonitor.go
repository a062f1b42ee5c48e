package build

import (
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// ServiceMonitor asks a Prometheus operator to scrape the metrics Service.
// Built unstructured: the Prometheus operator's Go module would be a heavy
// dependency for one small object.
func ServiceMonitor(ds spec.DittoServer) *composed.Unstructured {
	m := ds.Spec.Metrics
	lbls := map[string]any{}
	for k, v := range m.ServiceMonitor.Labels {
		lbls[k] = v
	}
	// Ours win over the user's, so the object stays ours.
	for k, v := range ds.Labels(spec.ComponentServer) {
		lbls[k] = v
	}
	endpoint := map[string]any{"port": portMetrics, "path": m.Path, "scheme": "http"}
	if m.ServiceMonitor.Interval != "" {
		endpoint["interval"] = m.ServiceMonitor.Interval
	}
	if t := m.BearerTokenSecret; t != nil {
		endpoint["authorization"] = map[string]any{
			"type":        "Bearer",
			"credentials": map[string]any{"name": t.Name, "key": spec.OrDefault(t.Key, "token")},
		}
	}
	svcLabels := map[string]any{labelMetricsService: "true"}
	for k, v := range ds.SelectorLabels() {
		svcLabels[k] = v
	}
	u := composed.New()
	u.SetAPIVersion("monitoring.coreos.com/v1")
	u.SetKind("ServiceMonitor")
	u.Object["metadata"] = map[string]any{"name": ds.Name, "namespace": ds.Namespace, "labels": lbls}
	u.Object["spec"] = map[string]any{
		"selector":          map[string]any{"matchLabels": svcLabels},
		"namespaceSelector": map[string]any{"matchNames": []any{ds.Namespace}},
		"endpoints":         append([]any{endpoint}, reconcilerMetricsEndpoints(ds)...),
	}
	return u
}
