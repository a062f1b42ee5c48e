package robust

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/server"
)

// Leak margins: what the runtime and gRPC may keep after a load (pools,
// idle workers), well below what 20,000 leaked requests would hold.
const (
	goroutineMargin = 10
	heapMargin      = 8 << 20
)

// TestLoad sends 20,000 RunFunction requests (every example case, round
// robin) at concurrency 64 over gRPC to the real server, in process, with
// its metrics interceptors on. None may fail, and afterwards goroutines and
// heap return near their baseline: with the server idle, and again once it
// has stopped.
func TestLoad(t *testing.T) {
	total, concurrency := 20000, 64
	if testing.Short() {
		total = 2000
	}
	var reqs []*fnv1.RunFunctionRequest
	for _, name := range exampleNames(t) {
		reqs = append(reqs, steadyRequest(t, name))
	}

	goroutinesBefore, heapBefore := settle()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(fn.NewFunction(logging.NewNopLogger()), server.Config{
		Network: "tcp", Address: "127.0.0.1:0", Insecure: true, MetricsAddress: "127.0.0.1:0",
	}, logging.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	client := fnv1.NewFunctionRunnerServiceClient(conn)

	// Warm up: the connection, gRPC's stream workers and buffer pools.
	if err := load(client, reqs, concurrency, concurrency); err != nil {
		t.Fatal(err)
	}
	goroutinesIdle, heapIdle := settle()

	start := time.Now()
	if err := load(client, reqs, total, concurrency); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("%d requests at concurrency %d in %v (%.0f/s)", total, concurrency, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())

	goroutines, heap := settleTo(goroutinesIdle + goroutineMargin)
	t.Logf("idle server: goroutines %d -> %d, heap %.1f -> %.1f MiB", goroutinesIdle, goroutines, mib(heapIdle), mib(heap))
	if goroutines > goroutinesIdle+goroutineMargin {
		t.Errorf("goroutines after the load: %d, baseline %d (margin %d)", goroutines, goroutinesIdle, goroutineMargin)
	}
	if heap > heapIdle+heapMargin {
		t.Errorf("heap after the load: %.1f MiB, baseline %.1f MiB (margin %.0f MiB)", mib(heap), mib(heapIdle), mib(heapMargin))
	}

	_ = conn.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
	goroutines, heap = settleTo(goroutinesBefore + goroutineMargin)
	t.Logf("stopped server: goroutines %d -> %d, heap %.1f -> %.1f MiB", goroutinesBefore, goroutines, mib(heapBefore), mib(heap))
	if goroutines > goroutinesBefore+goroutineMargin {
		t.Errorf("goroutines after stopping the server: %d, before starting it %d (margin %d)", goroutines, goroutinesBefore, goroutineMargin)
	}
	if heap > heapBefore+heapMargin {
		t.Errorf("heap after stopping the server: %.1f MiB, before starting it %.1f MiB", mib(heap), mib(heapBefore))
	}
}

// load sends total requests from concurrency workers and returns the first
// error: a gRPC error, or a response that is not the one for its request.
func load(client fnv1.FunctionRunnerServiceClient, reqs []*fnv1.RunFunctionRequest, total, concurrency int) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				req := reqs[i%len(reqs)]
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				rsp, err := client.RunFunction(ctx, req)
				cancel()
				if err == nil && rsp.GetMeta().GetTag() != req.GetMeta().GetTag() {
					err = fmt.Errorf("response tag %q, want %q", rsp.GetMeta().GetTag(), req.GetMeta().GetTag())
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("request %d: %w", i, err) })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// settle collects garbage and returns the goroutine count and live heap.
func settle() (int, uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}

// settleTo waits up to 10s for the goroutines to drop to want (idle
// connections' and workers' goroutines exit asynchronously), then settles.
func settleTo(want int) (int, uint64) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, heap := settle()
		if n <= want || time.Now().After(deadline) {
			return n, heap
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
