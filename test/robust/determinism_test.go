package robust

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
)

// TestDeterminism: for every example case, the same request, its maps built
// in another order each time, gives byte-identical responses 1000 times.
// Generated Secrets come from a seed; where every generated Secret is
// observed they come from crypto/rand, which then must not matter.
func TestDeterminism(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 50
	}
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			req := steadyRequest(t, name)
			fns := map[string]*fn.Function{"Seeded": fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("determinism"))}
			observed := req.GetObserved().GetResources()
			if observed["jwt-secret"] != nil && observed["admin-secret"] != nil {
				fns["CryptoRand"] = fn.NewFunction(logging.NewNopLogger())
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for kind, f := range fns {
				want := marshalDeterministic(t, run(t, f, req))
				for i := range runs {
					got := marshalDeterministic(t, run(t, f, reordered(req, rng)))
					if !bytes.Equal(want, got) {
						t.Fatalf("%s: run %d gave a different response (%d bytes, want %d)", kind, i, len(got), len(want))
					}
				}
			}
		})
	}
}

func marshalDeterministic(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reordered is a deep copy of req whose maps (observed and required
// resources, and every object's fields) are filled in a shuffled order.
func reordered(req *fnv1.RunFunctionRequest, rng *rand.Rand) *fnv1.RunFunctionRequest {
	out := proto.Clone(req).(*fnv1.RunFunctionRequest)
	out.Observed.Composite.Resource = reorderStruct(out.GetObserved().GetComposite().GetResource(), rng)
	observed := map[string]*fnv1.Resource{}
	for _, k := range shuffledKeys(out.GetObserved().GetResources(), rng) {
		r := out.GetObserved().GetResources()[k]
		r.Resource = reorderStruct(r.GetResource(), rng)
		observed[k] = r
	}
	out.Observed.Resources = observed
	required := map[string]*fnv1.Resources{}
	for _, k := range shuffledKeys(out.GetRequiredResources(), rng) {
		rs := out.GetRequiredResources()[k]
		for _, item := range rs.GetItems() {
			item.Resource = reorderStruct(item.GetResource(), rng)
		}
		required[k] = rs
	}
	out.RequiredResources = required
	return out
}

func reorderStruct(s *structpb.Struct, rng *rand.Rand) *structpb.Struct {
	if s == nil {
		return nil
	}
	out := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for _, k := range shuffledKeys(s.GetFields(), rng) {
		out.Fields[k] = reorderValue(s.GetFields()[k], rng)
	}
	return out
}

func reorderValue(v *structpb.Value, rng *rand.Rand) *structpb.Value {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue:
		return structpb.NewStructValue(reorderStruct(k.StructValue, rng))
	case *structpb.Value_ListValue:
		l := &structpb.ListValue{}
		for _, e := range k.ListValue.GetValues() {
			l.Values = append(l.Values, reorderValue(e, rng))
		}
		return structpb.NewListValue(l)
	default:
		return v
	}
}

func shuffledKeys[V any](m map[string]V, rng *rand.Rand) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys
}
