package baseline

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/corpus"
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
// It hands out the same message every time: gRPC only reads a response
// (marshalling is safe from many goroutines), and a copy would add work the
// floor must not have.
type Echo struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	rsp *fnv1.RunFunctionResponse
}

// NewEcho runs function-dittofs (with seeded Secrets) through Crossplane's
// requirements loop on example case name of the repository at root, and
// returns an Echo of its steady-state response together with the
// steady-state request it answers.
func NewEcho(root, name string) (*Echo, *fnv1.RunFunctionRequest, error) {
	c, err := corpus.LoadExample(root, name)
	if err != nil {
		return nil, nil, err
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets(EchoSeed))
	req, rsp, err := SteadyState(f, c)
	if err != nil {
		return nil, nil, fmt.Errorf("example %s: %w", name, err)
	}
	return &Echo{rsp: rsp}, req, nil
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
	return e.rsp, nil
}
