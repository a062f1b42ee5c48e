// Package security checks the function's security over
// the whole example corpus: no secret value leaks, every composed pod passes
// the Pod Security "restricted" profile, the RBAC ClusterRole grants exactly
// the composed kinds, and the binary refuses to serve without mTLS.
package security

import (
	"path/filepath"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/corpus"
)

// root is the repository root.
var root = filepath.Join("..", "..")

// request is one request of the corpus.
type request struct {
	Name string
	Req  *fnv1.RunFunctionRequest
}

// corpusRequests are, for every example case, the first request of a
// reconcile (nothing required is resolved yet) and the steady one (all is).
func corpusRequests(t *testing.T) []request {
	t.Helper()
	cases, err := corpus.Examples(root)
	if err != nil {
		t.Fatal(err)
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("security"))
	var out []request
	for _, c := range cases {
		steady, err := c.Steady(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, request{c.Name + "/first", c.Request()}, request{c.Name + "/steady", steady})
	}
	return out
}
