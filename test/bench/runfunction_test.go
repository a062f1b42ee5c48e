package bench_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/test/bench/baseline"
)

// BenchmarkRunFunction is function-dittofs's RunFunction alone. Goal: the
// steady state under 200µs.
func BenchmarkRunFunction(b *testing.B) {
	benchRun(b, functions[0].fn)
}

// BenchmarkBaseline is the same for the baselines, in the same run, so the
// ratios hold on a noisy machine.
func BenchmarkBaseline(b *testing.B) {
	for _, f := range functions[1:] {
		b.Run(f.name, func(b *testing.B) { benchRun(b, f.fn) })
	}
}

func benchRun(b *testing.B, f fnv1.FunctionRunnerServiceServer) {
	b.Helper()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := steadyRequest(b, f, c.example)
			ctx := context.Background()
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				fresh(req)
				rsp, err := f.RunFunction(ctx, req)
				if err != nil || fatal(rsp) != "" {
					b.Fatalf("%v %s", err, fatal(rsp))
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkWire adds what the gRPC server does around RunFunction: decode
// the request from its wire bytes, encode the response. It is the
// in-process form of "server CPU per request"; the floor is echo, which
// decodes the same request and encodes the same response as ours.
func BenchmarkWire(b *testing.B) {
	echo, _, err := baseline.NewEcho("../..", echoCase, false)
	if err != nil {
		b.Fatal(err)
	}
	// ours-cached is ours with its response cache, as the server runs it by
	// default (--response-cache-mb=32): every call after the first a hit, as
	// in a steady state.
	cached := fn.NewFunction(logging.NewNopLogger(), fn.WithResponseCache(32<<20))
	wired := []struct {
		name string
		fn   fnv1.FunctionRunnerServiceServer
	}{functions[0], {"ours-cached", cached}, {"echo", echo}}
	for _, f := range append(wired, functions[1:]...) {
		b.Run(f.name, func(b *testing.B) {
			req := steadyRequest(b, f.fn, echoCase)
			wire, err := proto.Marshal(req)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				in := &fnv1.RunFunctionRequest{}
				if err := proto.Unmarshal(wire, in); err != nil {
					b.Fatal(err)
				}
				rsp, err := f.fn.RunFunction(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := proto.Marshal(rsp); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// processCPU is the CPU time this process has used. Per op it is steadier
// than wall time on a shared machine: waiting for a core does not count,
// and the garbage collector's work on other threads does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.Helper()
	b.ReportMetric(float64(processCPU()-since)/float64(b.N), "cpu-ns/op")
}
