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
		reason      string
		metrics     *v1alpha1.MetricsSpec
		fileService *v1alpha1.FileServiceSpec
		want        map[string]any
	}{
		"TheReconcilerIsScrapedToo": {
			reason: "The reconciler's /metrics is a second endpoint, at the same interval, without DittoFS's token (it serves no secret).",
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
			reason:  "A ServiceMonitor must select only this XR's metrics Service, in its namespace, or Prometheus scrapes other servers' metrics as ours (or none at all).",
			metrics: &v1alpha1.MetricsSpec{Enabled: true, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}},
			want:    monitor(anyMap(serverLabels), map[string]any{"port": "metrics", "path": "/metrics", "scheme": "http"}),
		},
		"IntervalAndUserLabels": {
			reason: "The interval, the path and the user's labels (kube-prometheus selects monitors by a release label) reach the monitor, or Prometheus never picks it up.",
			metrics: &v1alpha1.MetricsSpec{Enabled: true, Path: "/prom", ServiceMonitor: &v1alpha1.ServiceMonitorSpec{
				Enabled: true, Interval: "15s", Labels: map[string]string{"release": "kube-prometheus"},
			}},
			want: monitor(withLabels(map[string]any{"release": "kube-prometheus"}),
				map[string]any{"port": "metrics", "path": "/prom", "scheme": "http", "interval": "15s"}),
		},
		"OurLabelsWinOverTheUsers": {
			reason: "The object stays ours: a user label cannot take over the labels the function and Crossplane select its objects by.",
			metrics: &v1alpha1.MetricsSpec{Enabled: true, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{
				Enabled: true, Labels: map[string]string{"app.kubernetes.io/managed-by": "helm"},
			}},
			want: monitor(anyMap(serverLabels), map[string]any{"port": "metrics", "path": "/metrics", "scheme": "http"}),
		},
		"BearerTokenDefaultKey": {
			reason: "With a token Prometheus must send it; the key defaults to token, the same key the pod reads, or scrapes get 401.",
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
			reason: "A token under another key is read from that key, the one the pod mounts, not the default.",
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
				t.Errorf("%s\nbuild.ServiceMonitor(ds): -want, +got:\n%s", tc.reason, diff)
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
		reason string
		req    *fnv1.RunFunctionRequest
		want   summary
	}{
		"MetricsOffNoMonitor": {
			reason: "A monitor without metrics would scrape a port nothing serves: metrics off compose neither the Service nor the monitor.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"},"metrics":{"serviceMonitor":{"enabled":true}}}`),
			want:   summary{Desired: map[string]string{}, Results: []string{}},
		},
		"MonitorOffNoMonitor": {
			reason: "Metrics on alone give the Service to scrape but no ServiceMonitor, so clusters without the Prometheus operator are not asked for its kind.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true}}`),
			want:   summary{Desired: map[string]string{"service-metrics": "READY_FALSE"}, Results: []string{}},
		},
		"KindNotAnsweredYetAssumedInstalled": {
			reason: "Before Crossplane answers whether the kind exists, the monitor is composed (and the schema asked for): dropping it for one call would delete and recreate it.",
			req:    xrRequest(on),
			want:   summary{Desired: map[string]string{"service-metrics": "READY_FALSE", "servicemonitor": "READY_FALSE"}, Results: []string{}, Requires: []string{"schema:servicemonitor-crd"}},
		},
		"KindMissingWarnsAndKeepsTheService": {
			reason: "Without the Prometheus operator the monitor cannot be applied; a Warning names the field and the fix, and the metrics Service stays, so nothing else fails.",
			req:    missing(),
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
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
