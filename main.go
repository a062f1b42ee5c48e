// Package main runs function-dittofs, a Crossplane composition function.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossplane/function-sdk-go"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "v0.0.0-dev"

// cli holds the flags. They match Crossplane's function template, so the
// function runs like any other; metrics and shutdown flags are additions.
type cli struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
	Debug   bool             `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string        `default:"tcp"                                                                help:"Network on which to listen for gRPC connections."`
	Address            string        `default:":9443"                                                              help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string        `env:"TLS_SERVER_CERTS_DIR"                                                   help:"Directory holding the server certificate (tls.crt, tls.key) and the CA that signs client certificates (ca.crt)." name:"tls-certs-dir"`
	Insecure           bool          `help:"Serve without mTLS, for local development. Wins over --tls-certs-dir."`
	MaxRecvMessageSize int           `default:"4"                                                                  help:"Maximum size of a received message in MB."`
	MetricsAddress     string        `default:":8080"                                                              help:"Address of the Prometheus /metrics server. Empty disables it."`
	ShutdownTimeout    time.Duration `default:"10s"                                                                help:"How long to let in-flight calls finish after SIGTERM before closing their connections."`

	// ResponseCacheMB answers a request the function answered before from
	// memory (fn.WithResponseCache): in a steady state each XR's reconciles
	// send the same request, and 32 MiB of encoded responses hold some
	// 1,000 XRs' (two requests each, 16 KB a response).
	ResponseCacheMB int `default:"32" help:"Answer repeated identical requests from a cache of at most this many MiB of encoded responses (0: off)." name:"response-cache-mb"`

	// SecretsSeed makes generated Secrets repeatable for render goldens. It
	// only works with --insecure, which no cluster uses.
	SecretsSeed string `help:"With --insecure only: derive generated Secrets from this seed, for repeatable renders." hidden:""`
}

// config turns the flags into a server configuration.
func (c *cli) config() server.Config {
	return server.Config{
		Network:         c.Network,
		Address:         c.Address,
		TLSCertsDir:     c.TLSCertsDir,
		Insecure:        c.Insecure,
		MaxRecvMsgSize:  c.MaxRecvMessageSize * 1024 * 1024,
		MetricsAddress:  c.MetricsAddress,
		ShutdownTimeout: c.ShutdownTimeout,
	}
}

func (c *cli) run(ctx context.Context) error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return fmt.Errorf("cannot create logger: %w", err)
	}
	log.Info("Starting function-dittofs", "version", version)
	var opts []fn.Option
	if c.SecretsSeed != "" {
		if !c.Insecure {
			return fmt.Errorf("--secrets-seed makes generated Secrets predictable; it is for local renders with --insecure only")
		}
		opts = append(opts, fn.WithSeededSecrets(c.SecretsSeed))
	}
	if c.ResponseCacheMB > 0 {
		opts = append(opts, fn.WithResponseCache(c.ResponseCacheMB<<20))
	}
	f := fn.NewFunction(log, opts...)
	cfg := c.config()
	cfg.Collectors = responseCacheMetrics(f)
	return server.Run(ctx, f, cfg, log)
}

// responseCacheMetrics are the response cache's counters and size, read
// from the Function when scraped; none without a cache. Its hit ratio says
// whether the cache holds the fleet's steady state: with too small a
// budget, evictions climb with misses.
func responseCacheMetrics(f *fn.Function) []prometheus.Collector {
	if _, ok := f.ResponseCacheStats(); !ok {
		return nil
	}
	stat := func(v func(fn.ResponseCacheStats) float64) func() float64 {
		return func() float64 {
			s, _ := f.ResponseCacheStats()
			return v(s)
		}
	}
	counter := func(name, help string, v func(fn.ResponseCacheStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "function_dittofs", Subsystem: "response_cache", Name: name, Help: help}, stat(v))
	}
	gauge := func(name, help string, v func(fn.ResponseCacheStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "function_dittofs", Subsystem: "response_cache", Name: name, Help: help}, stat(v))
	}
	return []prometheus.Collector{
		counter("hits_total", "Requests answered from the response cache.", func(s fn.ResponseCacheStats) float64 { return float64(s.Hits) }),
		counter("misses_total", "Requests the response cache did not hold, composed.", func(s fn.ResponseCacheStats) float64 { return float64(s.Misses) }),
		counter("evictions_total", "Responses dropped to keep the cache within its budget.", func(s fn.ResponseCacheStats) float64 { return float64(s.Evictions) }),
		gauge("responses", "Responses the cache holds.", func(s fn.ResponseCacheStats) float64 { return float64(s.Responses) }),
		gauge("bytes", "Bytes of encoded responses the cache holds.", func(s fn.ResponseCacheStats) float64 { return float64(s.Bytes) }),
		gauge("max_bytes", "The cache's budget (--response-cache-mb).", func(s fn.ResponseCacheStats) float64 { return float64(s.MaxBytes) }),
	}
}

// options are shared with the test, which parses without exiting.
func options() []kong.Option {
	return []kong.Option{
		kong.Name("function-dittofs"),
		kong.Description("A Crossplane composition function that composes DittoFS and its Percona PostgreSQL database."),
		kong.UsageOnError(),
		kong.Vars{"version": version},
	}
}

func main() {
	c := &cli{}
	kctx := kong.Parse(c, options()...)

	// SIGTERM is how Kubernetes stops the pod; SIGINT is Ctrl-C locally.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	// After the first signal, restore the default so a second one kills at once.
	context.AfterFunc(ctx, stop)

	kctx.FatalIfErrorf(c.run(ctx))
}
