package main

import (
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/server"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

func TestFlags(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want server.Config
	}{
		"Defaults": {
			want: server.Config{
				Network: "tcp", Address: ":9443", MaxRecvMsgSize: 4 << 20,
				MetricsAddress: ":8080", ShutdownTimeout: 10 * time.Second,
			},
		},
		"CertsDirFromEnv": {
			env: map[string]string{"TLS_SERVER_CERTS_DIR": "/tls/server"},
			want: server.Config{
				Network: "tcp", Address: ":9443", TLSCertsDir: "/tls/server", MaxRecvMsgSize: 4 << 20,
				MetricsAddress: ":8080", ShutdownTimeout: 10 * time.Second,
			},
		},
		"Everything": {
			args: []string{
				"--network=unix", "--address=/tmp/fn.sock", "--tls-certs-dir=/certs", "--insecure",
				"--max-recv-message-size=16", "--metrics-address=", "--shutdown-timeout=3s",
			},
			want: server.Config{
				Network: "unix", Address: "/tmp/fn.sock", TLSCertsDir: "/certs", Insecure: true,
				MaxRecvMsgSize: 16 << 20, ShutdownTimeout: 3 * time.Second,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TLS_SERVER_CERTS_DIR", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c := &cli{}
			parser, err := kong.New(c, options()...)
			if err != nil {
				t.Fatalf("kong.New: %v", err)
			}
			if _, err := parser.Parse(tc.args); err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, c.config()); diff != "" {
				t.Errorf("config: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestDebugShortFlag(t *testing.T) {
	c := &cli{}
	parser, err := kong.New(c, options()...)
	if err != nil {
		t.Fatalf("kong.New: %v", err)
	}
	if _, err := parser.Parse([]string{"-d"}); err != nil {
		t.Fatalf("Parse(-d): %v", err)
	}
	if !c.Debug {
		t.Error("-d did not turn on debug logging")
	}
}

// TestResponseCacheFlag: the response cache is on by default, at 32 MiB,
// and --response-cache-mb=0 turns it off.
func TestResponseCacheFlag(t *testing.T) {
	for args, want := range map[string]int{"": 32, "--response-cache-mb=0": 0, "--response-cache-mb=128": 128} {
		c := &cli{}
		parser, err := kong.New(c, options()...)
		if err != nil {
			t.Fatalf("kong.New: %v", err)
		}
		var argv []string
		if args != "" {
			argv = []string{args}
		}
		if _, err := parser.Parse(argv); err != nil {
			t.Fatalf("Parse(%q): %v", argv, err)
		}
		if c.ResponseCacheMB != want {
			t.Errorf("Parse(%q): the cache holds %d MiB, want %d", argv, c.ResponseCacheMB, want)
		}
	}
}

// TestResponseCacheMetrics: the cache's counters and size are served as
// metrics, read when scraped; a Function without a cache has none.
func TestResponseCacheMetrics(t *testing.T) {
	if got := responseCacheMetrics(fn.NewFunction(logging.NewNopLogger())); got != nil {
		t.Errorf("metrics of a Function without a cache: %d collectors, want none", len(got))
	}
	c, err := corpus.LoadExample(".", "percona-running")
	if err != nil {
		t.Fatal(err)
	}
	first, err := fn.NewFunction(logging.NewNopLogger()).RunFunction(t.Context(), c.Request())
	if err != nil {
		t.Fatal(err)
	}
	steady := c.Resolve(first.GetRequirements())
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithResponseCache(1<<20))
	for range 4 {
		if _, err := f.RunFunction(t.Context(), proto.Clone(steady).(*fnv1.RunFunctionRequest)); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(responseCacheMetrics(f)...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range families {
		m := mf.GetMetric()[0]
		got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	stats, _ := f.ResponseCacheStats()
	want := map[string]float64{
		// The steady request composed once, then answered from the cache.
		"function_dittofs_response_cache_hits_total":      3,
		"function_dittofs_response_cache_misses_total":    1,
		"function_dittofs_response_cache_evictions_total": 0,
		"function_dittofs_response_cache_responses":       float64(stats.Responses),
		"function_dittofs_response_cache_bytes":           float64(stats.Bytes),
		"function_dittofs_response_cache_max_bytes":       1 << 20,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics: -want, +got:\n%s", diff)
	}
	if stats.Responses == 0 || stats.Bytes == 0 {
		t.Errorf("the cache holds %d responses, %d bytes: the steady response was not kept", stats.Responses, stats.Bytes)
	}
}
