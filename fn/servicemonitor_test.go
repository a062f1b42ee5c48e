package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestServiceMonitor(t *testing.T) {
	monitor := func(labels map[string]any, endpoints ...any) map[string]any {
		return map[string]any{
			"apiVersion": "monitoring.coreos.com/v1",
			"kind":       "ServiceMonitor",
			"metadata":   map[string]any{"name": "files", "namespace": "storage", "labels": labels},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{
					"dittofs.io/metrics-service": "true",
					"app.kubernetes.io/name":     "dittofs",
					"app.kubernetes.io/instance": "files",
				}},
				"namespaceSelector": map[string]any{"matchNames": []any{"storage"}},
				"endpoints":         endpoints,
			},
		}
	}
	withLabels := func(extra map[string]any) map[string]any {
		l := anyMap(serverLabels)
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	cases := map[string]struct {
		metrics     *v1alpha1.MetricsSpec
		fileService *v1alpha1.FileServiceSpec
		want        map[string]any
	}{
		// The reconciler's /metrics is a second endpoint, at the same
		// interval, without DittoFS's token (it serves no secret).
		"TheReconcilerIsScrapedToo": {
			metrics: &v1alpha1.MetricsSpec{
				Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape"},
				ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true, Interval: "15s"},
			},
			fileService: declaredFileService(),
			want: monitor(anyMap(serverLabels),
				map[string]any{
					"port": "metrics", "path": "/metrics", "scheme": "http", "interval": "15s",
					"authorization": map[string]any{"type": "Bearer", "credentials": map[string]any{"name": "scrape", "key": "token"}},
				},
				map[string]any{"port": "reconciler", "path": "/metrics", "scheme": "http", "interval": "15s"}),
		},
		"Defaults": {
			metrics: &v1alpha1.MetricsSpec{Enabled: true, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}},
			want:    monitor(anyMap(serverLabels), map[string]any{"port": "metrics", "path": "/metrics", "scheme": "http"}),
		},
		"IntervalAndUserLabels": {
			metrics: &v1alpha1.MetricsSpec{Enabled: true, Path: "/prom", ServiceMonitor: &v1alpha1.ServiceMonitorSpec{
				Enabled: true, Interval: "15s", Labels: map[string]string{"release": "kube-prometheus"},
			}},
			want: monitor(withLabels(map[string]any{"release": "kube-prometheus"}),
				map[string]any{"port": "metrics", "path": "/prom", "scheme": "http", "interval": "15s"}),
		},
		// The object stays ours: a user label cannot take over ours.
		"OurLabelsWinOverTheUsers": {
			metrics: &v1alpha1.MetricsSpec{Enabled: true, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{
				Enabled: true, Labels: map[string]string{"app.kubernetes.io/managed-by": "helm"},
			}},
			want: monitor(anyMap(serverLabels), map[string]any{"port": "metrics", "path": "/metrics", "scheme": "http"}),
		},
		"BearerTokenDefaultKey": {
			metrics: &v1alpha1.MetricsSpec{
				Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape"},
				ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true},
			},
			want: monitor(anyMap(serverLabels), map[string]any{
				"port": "metrics", "path": "/metrics", "scheme": "http",
				"authorization": map[string]any{"type": "Bearer", "credentials": map[string]any{"name": "scrape", "key": "token"}},
			}),
		},
		"BearerTokenKey": {
			metrics: &v1alpha1.MetricsSpec{
				Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape", Key: "t"},
				ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true},
			},
			want: monitor(anyMap(serverLabels), map[string]any{
				"port": "metrics", "path": "/metrics", "scheme": "http",
				"authorization": map[string]any{"type": "Bearer", "credentials": map[string]any{"name": "scrape", "key": "t"}},
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.Metrics = tc.metrics
			s.FileService = tc.fileService
			got := build.ServiceMonitor(fixture.DittoServer(s)).Object
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("serviceMonitor(): -want, +got:\n%s", diff)
			}
		})
	}
}

// TestServiceMonitorComposed: composed only when asked for and installed;
// a missing Prometheus operator is a Warning, not a failure.
func TestServiceMonitorComposed(t *testing.T) {
	const on = `{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true,"serviceMonitor":{"enabled":true}}}`
	missing := func() *fnv1.RunFunctionRequest {
		req := xrRequest(on)
		req.RequiredSchemas = map[string]*fnv1.Schema{"servicemonitor-crd": {}}
		return req
	}
	cases := map[string]struct {
		req  *fnv1.RunFunctionRequest
		want summary
	}{
		"MetricsOffNoMonitor": {
			req:  xrRequest(`{"storage":{"metadataSize":"10Gi"},"metrics":{"serviceMonitor":{"enabled":true}}}`),
			want: summary{Desired: map[string]string{}, Results: []string{}},
		},
		"MonitorOffNoMonitor": {
			req:  xrRequest(`{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true}}`),
			want: summary{Desired: map[string]string{"service-metrics": "READY_FALSE"}, Results: []string{}},
		},
		"KindNotAnsweredYetAssumedInstalled": {
			req:  xrRequest(on),
			want: summary{Desired: map[string]string{"service-metrics": "READY_FALSE", "servicemonitor": "READY_FALSE"}, Results: []string{}, Requires: []string{"schema:servicemonitor-crd"}},
		},
		"KindMissingWarnsAndKeepsTheService": {
			req: missing(),
			want: summary{
				Desired:  map[string]string{"service-metrics": "READY_FALSE"},
				Requires: []string{"schema:servicemonitor-crd"},
				Results:  []string{"SEVERITY_WARNING: spec.metrics.serviceMonitor.enabled: the ServiceMonitor kind (monitoring.coreos.com/v1) is not installed; install the Prometheus operator or turn it off. The metrics Service files-metrics is there to scrape"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := summarize(compose(t, tc.req), "service-metrics", "servicemonitor")
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("RunFunction(): -want, +got:\n%s", diff)
			}
		})
	}
}
