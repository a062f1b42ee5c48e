// Package serve runs a baseline function with the server function-dittofs
// uses (internal/server) and the same flags, so that the load comparison
// differs only in the function.
package serve

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/crossplane/function-sdk-go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/internal/server"
)

// Main parses function-dittofs's serving flags and serves fn until SIGTERM.
func Main(name string, fn fnv1.FunctionRunnerServiceServer) {
	MainWith(name, func() (fnv1.FunctionRunnerServiceServer, error) { return fn, nil })
}

// MainWith is Main for a function that needs flags of its own (defined on
// the flag package's command line before the call): build runs once the
// flags are parsed, before anything is served.
func MainWith(name string, build func() (fnv1.FunctionRunnerServiceServer, error)) {
	var cfg server.Config
	flag.StringVar(&cfg.Address, "address", ":9443", "address to serve gRPC on")
	flag.StringVar(&cfg.TLSCertsDir, "tls-certs-dir", "", "directory with tls.crt, tls.key and ca.crt for mTLS")
	flag.BoolVar(&cfg.Insecure, "insecure", false, "serve without mTLS")
	flag.StringVar(&cfg.MetricsAddress, "metrics-address", "", "Prometheus /metrics address; empty disables it")
	flag.Parse()

	log, err := function.NewLogger(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fn, err := build()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err = server.Run(ctx, fn, cfg, log)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
