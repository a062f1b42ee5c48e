// Package bench_test measures function-dittofs in-process against the two
// baselines (package baseline) on the example request corpus.
package bench_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
	"github.com/dittofs/function-dittofs/test/bench/baseline"
)

// cases are the benchmark requests: the smallest XR; a full Percona cluster
// with backups on its first reconcile; and the steady state, every composed
// object observed (about 20 KB), which Crossplane sends on every reconcile.
var cases = []struct{ name, example string }{
	{"minimal", "sqlite-minimal"},
	{"percona-backup", "percona-backup"},
	{"steady-state", "percona-running"},
}

var functions = []struct {
	name string
	fn   fnv1.FunctionRunnerServiceServer
}{
	{"ours", fn.NewFunction(logging.NewNopLogger())},
	{"noop", baseline.Noop{}},
	{"template", baseline.Template{}},
}

// steadyRequest is the request f gets for example once Crossplane has
// resolved what f requires (seeded from the previous reconcile, as
// Crossplane does).
func steadyRequest(tb testing.TB, f fnv1.FunctionRunnerServiceServer, example string) *fnv1.RunFunctionRequest {
	tb.Helper()
	c, err := corpus.LoadExample("../..", example)
	if err != nil {
		tb.Fatal(err)
	}
	rsp, err := f.RunFunction(context.Background(), c.Request())
	if err != nil {
		tb.Fatal(err)
	}
	return c.Resolve(rsp.GetRequirements())
}

// fresh resets what an SDK function writes into its request (response.To
// shares the request's desired state and context), so each iteration sees
// the request Crossplane sent.
func fresh(req *fnv1.RunFunctionRequest) {
	req.Desired = &fnv1.State{}
	req.Context = &structpb.Struct{Fields: map[string]*structpb.Value{}}
}

func fatal(rsp *fnv1.RunFunctionResponse) string {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage()
		}
	}
	return ""
}
