package baseline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// EchoSeed seeds the Secrets function-dittofs would generate while Echo
// computes its response. The steady state observes every Secret, so none is
// generated there; the seed only keeps the computation repeatable.
const EchoSeed = "echo"

// Echo is the floor function-dittofs is held to: it answers every request
// with one fixed response, function-dittofs's own response to the
// steady-state request of an example case, computed once by NewEcho. Serving
// it costs exactly what the protocol costs for that request and that
// response (decoding the one, encoding the other), and nothing for
// composing, so function-dittofs's CPU per request over Echo's is the price
// of composing alone.
//
// It hands out copies made at startup, in turn, so that calls in flight at
// once encode different messages: encoding one message from many goroutines
// at once is safe, but its size caches would bounce between the cores and
// charge the floor for sharing. Copying per call (proto.Clone) would charge
// it for a reflective deep copy, as much work as a large part of composing;
// NewEcho's clone variant does that, and is reported for comparison.
type Echo struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	copies []*fnv1.RunFunctionResponse
	next   atomic.Uint64
	clone  bool
}

// EchoCopies is how many copies NewEcho makes: more than the load driver's
// highest concurrency, so no two calls in flight share a copy.
// echo-function's --copies sets it, to measure what the copies themselves
// change (a live heap of 128 responses makes the garbage collector run less
// often).
var EchoCopies = 128

// NewEcho runs function-dittofs (with seeded Secrets) through Crossplane's
// requirements loop on example case name of the repository at root, and
// returns an Echo of its steady-state response together with the
// steady-state request it answers. With clone, the Echo answers each call
// with a new proto.Clone of the response instead.
func NewEcho(root, name string, clone bool) (*Echo, *fnv1.RunFunctionRequest, error) {
	c, err := corpus.LoadExample(root, name)
	if err != nil {
		return nil, nil, err
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets(EchoSeed))
	req, rsp, err := SteadyState(f, c)
	if err != nil {
		return nil, nil, fmt.Errorf("example %s: %w", name, err)
	}
	e := &Echo{clone: clone, copies: []*fnv1.RunFunctionResponse{rsp}}
	for !clone && len(e.copies) < EchoCopies {
		e.copies = append(e.copies, proto.Clone(rsp).(*fnv1.RunFunctionResponse))
	}
	return e, req, nil
}

// SteadyState runs Crossplane's requirements loop for case c against f (call,
// fetch what it requires, call again) and returns the request Crossplane
// sends on every later reconcile and f's response to it. A Fatal result or
// requirements that do not settle are errors: they are not a steady state.
func SteadyState(f fnv1.FunctionRunnerServiceServer, c *corpus.Case) (*fnv1.RunFunctionRequest, *fnv1.RunFunctionResponse, error) {
	ctx := context.Background()
	first, err := f.RunFunction(ctx, c.Request())
	if err != nil {
		return nil, nil, err
	}
	req := c.Resolve(first.GetRequirements())
	// RunFunction may share the request's desired state and context with its
	// response (response.To does): give it a copy, keep req as sent.
	rsp, err := f.RunFunction(ctx, proto.Clone(req).(*fnv1.RunFunctionRequest))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return nil, nil, fmt.Errorf("fatal result: %s", r.GetMessage())
		}
	}
	if !proto.Equal(first.GetRequirements(), rsp.GetRequirements()) {
		return nil, nil, errors.New("requirements did not settle")
	}
	return req, rsp, nil
}

// RunFunction returns the fixed response, whatever the request.
func (e *Echo) RunFunction(context.Context, *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	if e.clone {
		return proto.Clone(e.copies[0]).(*fnv1.RunFunctionResponse), nil
	}
	return e.copies[e.next.Add(1)%uint64(len(e.copies))], nil
}
