package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
	"github.com/dittofs/function-dittofs/test/bench/baseline"
)

// echoCase is the example the echo floor answers for: the load comparison's
// steady state.
const echoCase = "percona-running"

// TestEchoIsTheFunctionsResponse keeps the echo floor honest. Driven the way
// the load driver drives every server (the requirements loop from the
// case's first request), Echo must settle on the very request
// function-dittofs settles on, and answer it, call after call, with exactly
// the bytes function-dittofs answers it with, function-dittofs served as the
// load driver serves it (crypto/rand Secrets, no seed). Otherwise the floor
// would decode or encode something else than the function does.
func TestEchoIsTheFunctionsResponse(t *testing.T) {
	c, err := corpus.LoadExample("../..", echoCase)
	if err != nil {
		t.Fatal(err)
	}
	served := fn.NewFunction(logging.NewNopLogger())
	wantReq, wantRsp, err := baseline.SteadyState(served, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantRsp.GetDesired().GetResources()) == 0 {
		t.Fatal("the function composes nothing for the steady state")
	}
	for _, clone := range []bool{false, true} {
		t.Run(fmt.Sprintf("clone=%v", clone), func(t *testing.T) {
			echo, echoSteady, err := baseline.NewEcho("../..", echoCase, clone)
			if err != nil {
				t.Fatal(err)
			}
			gotReq, _, err := baseline.SteadyState(echo, c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantReq, echoSteady, protocmp.Transform()); diff != "" {
				t.Errorf("NewEcho's steady request (-function +echo):\n%s", diff)
			}
			if diff := cmp.Diff(wantReq, gotReq, protocmp.Transform()); diff != "" {
				t.Errorf("steady request (-function +echo):\n%s", diff)
			}
			// More calls than Echo has copies: every copy is the function's.
			want := wire(t, wantRsp)
			for i := range 2 * 128 {
				got, err := echo.RunFunction(context.Background(), gotReq)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(wire(t, got), want) {
					t.Fatalf("call %d: echo's response is not the function's on the wire:\n%s", i,
						cmp.Diff(wantRsp, got, protocmp.Transform()))
				}
			}
		})
	}
}

func wire(t *testing.T, m *fnv1.RunFunctionResponse) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
