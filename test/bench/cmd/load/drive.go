package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

const runFunction = "/" + "apiextensions.fn.proto.v1.FunctionRunnerService" + "/RunFunction"

// rawCodec sends pre-encoded requests and keeps responses encoded, so the
// client, which shares the machine's cores with the server, spends next to
// nothing per call. It names itself proto: the bytes on the wire are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append((*v.(*[]byte))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func dial(addr string, tlsConf *tls.Config) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)))
}

// steadyRequest runs Crossplane's requirements loop against the server once
// (call, fetch what it requires, call again) and returns the resulting
// request, encoded: the request the server gets on every later reconcile.
func steadyRequest(ctx context.Context, conn *grpc.ClientConn, c *corpus.Case) ([]byte, error) {
	client := fnv1.NewFunctionRunnerServiceClient(conn)
	first, err := client.RunFunction(ctx, c.Request())
	if err != nil {
		return nil, err
	}
	req := c.Resolve(first.GetRequirements())
	second, err := client.RunFunction(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, r := range second.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return nil, fmt.Errorf("fatal result: %s", r.GetMessage())
		}
	}
	if !proto.Equal(first.GetRequirements(), second.GetRequirements()) {
		return nil, fmt.Errorf("requirements did not settle")
	}
	// Deterministic: every server gets the very same bytes.
	return proto.MarshalOptions{Deterministic: true}.Marshal(req)
}

// result is one load level against one server.
type result struct {
	requests    int
	wall        time.Duration
	latencies   []time.Duration // sorted
	cpu         time.Duration   // the server's, over the level
	peakRSS     int64
	throughput  float64
	cpuPerReq   time.Duration
	errors      int
	concurrency int
}

func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

// drive sends n copies of req over conn from conc goroutines and measures
// the server's CPU time and peak RSS around it.
func drive(ctx context.Context, s *server, conn *grpc.ClientConn, req []byte, n, conc int) (*result, error) {
	cpu0, err := s.cpu()
	if err != nil {
		return nil, err
	}
	var next, errs atomic.Int64
	lat := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			var rsp []byte
			in := req
			for next.Add(1) <= int64(n) {
				t := time.Now()
				if err := conn.Invoke(ctx, runFunction, &in, &rsp, grpc.ForceCodec(rawCodec{})); err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, err := s.cpu()
	if err != nil {
		return nil, err
	}
	rss, err := s.peakRSS()
	if err != nil {
		return nil, err
	}
	r := &result{requests: n, wall: wall, cpu: cpu1 - cpu0, peakRSS: rss, errors: int(errs.Load()), concurrency: conc}
	r.latencies = slices.Concat(lat...)
	slices.Sort(r.latencies)
	ok := len(r.latencies)
	if ok > 0 {
		r.throughput = float64(ok) / wall.Seconds()
		r.cpuPerReq = r.cpu / time.Duration(ok)
	}
	return r, nil
}

// sameAnswer checks that the floor is honest before it is measured: the
// echo server settled on the request function-dittofs settled on, and
// answers it with the response function-dittofs sends (TestEchoIsTheFunctionsResponse
// checks the same in-process). It records the response's size.
func sameAnswer(ctx context.Context, ours, echo *target) error {
	if !bytes.Equal(ours.req, echo.req) {
		return fmt.Errorf("%s: its steady request differs from ours (%d bytes, ours %d)", echo.srv.name, len(echo.req), len(ours.req))
	}
	var rsps [2]*fnv1.RunFunctionResponse
	for i, t := range []*target{ours, echo} {
		var raw []byte
		in := t.req
		if err := t.conn.Invoke(ctx, runFunction, &in, &raw, grpc.ForceCodec(rawCodec{})); err != nil {
			return fmt.Errorf("%s: %w", t.srv.name, err)
		}
		rsps[i] = &fnv1.RunFunctionResponse{}
		if err := proto.Unmarshal(raw, rsps[i]); err != nil {
			return fmt.Errorf("%s: %w", t.srv.name, err)
		}
		t.rspBytes = len(raw)
	}
	if !proto.Equal(rsps[0], rsps[1]) {
		return fmt.Errorf("%s: its response differs from ours to the same request", echo.srv.name)
	}
	return nil
}
