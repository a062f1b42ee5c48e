package bench_test

import (
	"context"
	"crypto/tls"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/internal/server"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
	"github.com/dittofs/function-dittofs/test/bench/baseline"
)

// BenchmarkServed is the load comparison in one process, for profiling
// (go test -bench Served -cpuprofile): ours and the echo floor behind the
// server function-dittofs serves with (internal/server, mTLS), 64 calls in
// flight, the steady-state request. The client shares the process; its
// share of a profile is grpc's client side and rawCodec. make bench's load
// driver, with each server in a process of its own, is what the goals are
// measured by.
func BenchmarkServed(b *testing.B) {
	echo, _, err := baseline.NewEcho("../..", echoCase, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []struct {
		name string
		fn   fnv1.FunctionRunnerServiceServer
	}{{"ours", functions[0].fn}, {"echo", echo}} {
		b.Run(f.name, func(b *testing.B) { servedRun(b, f.fn, 64) })
	}
}

// servedRun serves fn and sends it b.N copies of the steady request, 64 at
// a time.
func servedRun(b *testing.B, fn fnv1.FunctionRunnerServiceServer, inFlight int) {
	b.Helper()
	_, req, err := baseline.NewEcho("../..", echoCase, false)
	if err != nil {
		b.Fatal(err)
	}
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	conn := serve(b, fn)
	ctx := context.Background()
	b.SetBytes(int64(len(wire)))
	cpu := processCPU()
	b.ResetTimer()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			var rsp []byte
			in := wire
			for next.Add(1) <= int64(b.N) {
				if err := conn.Invoke(ctx, runFunctionMethod, &in, &rsp, grpc.ForceCodec(rawCodec{})); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	reportCPU(b, cpu)
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
}

const runFunctionMethod = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"

// rawCodec sends pre-encoded requests and keeps responses encoded, so the
// client spends next to nothing per call.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append((*v.(*[]byte))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// serve runs fn behind internal/server with mTLS on a local port for the
// rest of the benchmark, and returns a client connection to it.
func serve(b *testing.B, fn fnv1.FunctionRunnerServiceServer) *grpc.ClientConn {
	b.Helper()
	ca, err := testpki.NewCA("bench CA")
	if err != nil {
		b.Fatal(err)
	}
	srvCert, err := ca.Server("function")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := testpki.WriteDir(dir, srvCert, ca); err != nil {
		b.Fatal(err)
	}
	client, err := ca.Client("crossplane")
	if err != nil {
		b.Fatal(err)
	}
	cert, err := client.TLSCertificate()
	if err != nil {
		b.Fatal(err)
	}
	s, err := server.New(fn, server.Config{Address: "127.0.0.1:0", TLSCertsDir: dir}, logging.NewNopLogger())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: ca.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS12,
	})))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}
