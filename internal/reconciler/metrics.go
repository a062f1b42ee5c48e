package reconciler

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the reconciler's own, on a registry of its own (served at
// /metrics beside DittoFS's).
type metrics struct {
	registry    *prometheus.Registry
	passes      *prometheus.CounterVec
	writes      *prometheus.CounterVec
	lastErrors  prometheus.Gauge
	problems    prometheus.Gauge
	lastSuccess prometheus.Gauge
	ready       prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_reconciler_passes_total", Help: "Reconcile passes, by result (success: every write succeeded).",
		}, []string{"result"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_reconciler_api_writes_total", Help: "Writes made to the DittoFS API, by object kind and operation.",
		}, []string{"kind", "op"}),
		lastErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dittofs_reconciler_last_pass_errors", Help: "Errors of the last pass (0: it applied everything it could).",
		}),
		problems: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dittofs_reconciler_refused_changes", Help: "Declared changes the last pass refused (they would destroy data).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dittofs_reconciler_last_success_timestamp_seconds", Help: "When a pass last succeeded.",
		}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dittofs_reconciler_ready", Help: "1 once the declaration has been applied the first time.",
		}),
	}
	m.registry.MustRegister(m.passes, m.writes, m.lastErrors, m.problems, m.lastSuccess, m.ready)
	return m
}
