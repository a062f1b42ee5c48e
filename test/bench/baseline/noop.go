// Package baseline holds the functions function-dittofs is measured
// against: Echo, the floor (function-dittofs's own response, fixed: what
// decoding the request and encoding that response cost), Noop (what any
// function on the SDK pays to decode a request and send its desired state
// back), and Template, the way a platform team would compose a DittoServer
// without us (function-go-templating).
package baseline

import (
	"context"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"
)

// Noop answers every request with the desired state it was sent.
type Noop struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

// RunFunction returns the request's desired state unchanged.
func (Noop) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return response.To(req, response.DefaultTTL), nil
}
