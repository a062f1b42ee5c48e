// Package robust holds the property tests that drive the function
// with the example corpus: determinism, nothing lost, and load and leaks.
package robust

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/corpus"
)

// root is the repository root.
var root = filepath.Join("..", "..")

// exampleNames lists the cases under example/.
func exampleNames(t testing.TB) []string {
	t.Helper()
	names, err := corpus.Names(root)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// steadyRequest is the request Crossplane sends for a case once it has
// resolved what the function requires (required resources and schemas).
func steadyRequest(t testing.TB, name string) *fnv1.RunFunctionRequest {
	t.Helper()
	c, err := corpus.LoadExample(root, name)
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.Steady(context.Background(), fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("requirements")))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func run(t testing.TB, f *fn.Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction returned a gRPC error: %v", err)
	}
	return rsp
}

// fatalMessage is the message of the first Fatal result, or "".
func fatalMessage(rsp *fnv1.RunFunctionResponse) string {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage()
		}
	}
	return ""
}
