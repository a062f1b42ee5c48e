package fn

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/proto/v1beta1"

	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// TestResponseCache: a Function with the cache answers every request of
// every example, and of sequences of changes to each (the XR, each observed
// object, the tag, the context, the desired state; then back), with the
// same bytes as one without it; repeated requests are answered from the
// cache; calls that generate Secrets are not kept.
func TestResponseCache(t *testing.T) {
	cases, err := corpus.Examples("..")
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for i, c := range cases {
		if testing.Short() && i%4 != 0 {
			continue // a quarter of the examples in the fast lane
		}
		t.Run(c.Name, func(t *testing.T) {
			uncached := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"))
			cached := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"), WithResponseCache(cacheBudget))
			first := c.Request()
			answer := func(what string, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
				t.Helper()
				want, _ := uncached.RunFunction(t.Context(), proto.Clone(req).(*fnv1.RunFunctionRequest))
				got, _ := cached.RunFunction(t.Context(), proto.Clone(req).(*fnv1.RunFunctionRequest))
				if !bytes.Equal(marshal(t, want), marshal(t, got)) {
					t.Errorf("%s: the cached response differs from the uncached one", what)
				}
				return got
			}
			rsp := answer("first request", first)
			if cached.responses.snapshot().Responses != 0 {
				// Kept, so it must not depend on the random bytes: another
				// seed gives the same response.
				other := NewFunction(logging.NewNopLogger(), WithSeededSecrets("another seed"))
				again, _ := other.RunFunction(t.Context(), proto.Clone(first).(*fnv1.RunFunctionRequest))
				if !bytes.Equal(marshal(t, rsp), marshal(t, again)) {
					t.Errorf("first request: a response that depends on the random bytes (generated Secrets) was cached")
				}
			}
			steady := c.Resolve(rsp.GetRequirements())
			for _, change := range changes(steady) {
				answer("change "+change.what, change.req)
				answer("steady again after change "+change.what, steady)
			}
			before := answer("steady", steady)
			again := answer("steady repeated", steady)
			if kept := len(before.ProtoReflect().GetUnknown()) > 0; kept && !sameArray(before, again) {
				t.Error("steady repeated: a kept response was composed again, not answered from the cache")
			}
			if sameArray(before, again) {
				hits++
			}
			if size := cached.responses.snapshot().Bytes; size > cacheBudget {
				t.Errorf("the cache holds %d bytes, more than its %d", size, cacheBudget)
			}
		})
	}
	if hits == 0 {
		t.Error("no repeated request was answered from the cache")
	}
}

// cacheBudget holds a few steady-state responses, so the sequences of
// changes evict some.
const cacheBudget = 64 << 10

// sameArray says a and b are answers from one cached encoding.
func sameArray(a, b *fnv1.RunFunctionResponse) bool {
	ua, ub := a.ProtoReflect().GetUnknown(), b.ProtoReflect().GetUnknown()
	return len(ua) > 0 && len(ua) == len(ub) && &ua[0] == &ub[0]
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type change struct {
	what string
	req  *fnv1.RunFunctionRequest
}

// changes are copies of req with one thing changed each.
func changes(req *fnv1.RunFunctionRequest) []change {
	edit := func(what string, f func(r *fnv1.RunFunctionRequest)) change {
		r := proto.Clone(req).(*fnv1.RunFunctionRequest)
		f(r)
		return change{what, r}
	}
	out := []change{
		edit("XR label", func(r *fnv1.RunFunctionRequest) {
			setPath(r.GetObserved().GetComposite().GetResource(), structpb.NewStringValue("changed"), "metadata", "labels", "cache-test")
		}),
		edit("XR spec.replicas", func(r *fnv1.RunFunctionRequest) {
			setPath(r.GetObserved().GetComposite().GetResource(), structpb.NewNumberValue(2), "spec", "replicas")
		}),
		edit("tag", func(r *fnv1.RunFunctionRequest) { r.Meta = &fnv1.RequestMeta{Tag: "changed"} }),
		edit("context", func(r *fnv1.RunFunctionRequest) {
			r.Context = &structpb.Struct{Fields: map[string]*structpb.Value{"cache-test": structpb.NewBoolValue(true)}}
		}),
		edit("desired by an earlier step", func(r *fnv1.RunFunctionRequest) {
			r.Desired = &fnv1.State{Resources: map[string]*fnv1.Resource{"other": {Resource: &structpb.Struct{Fields: map[string]*structpb.Value{"kind": structpb.NewStringValue("ConfigMap")}}}}}
		}),
	}
	// One change per observed object, the kinds of change in turn (all of
	// them for every object made the test slow and proved no more).
	for i, key := range slices.Sorted(maps.Keys(req.GetObserved().GetResources())) {
		switch i % 3 {
		case 0:
			out = append(out, edit("observed "+key+" gone", func(r *fnv1.RunFunctionRequest) { delete(r.GetObserved().GetResources(), key) }))
		case 1:
			out = append(out, edit("observed "+key+" annotated", func(r *fnv1.RunFunctionRequest) {
				setPath(r.GetObserved().GetResources()[key].GetResource(), structpb.NewStringValue("changed"), "metadata", "annotations", "cache-test")
			}))
		default:
			out = append(out, edit("observed "+key+" status", func(r *fnv1.RunFunctionRequest) {
				setPath(r.GetObserved().GetResources()[key].GetResource(), structpb.NewStringValue("changed"), "status", "state")
			}))
		}
	}
	return out
}

// setPath sets the value at path under s, making the objects on the way.
func setPath(s *structpb.Struct, v *structpb.Value, path ...string) {
	for _, k := range path[:len(path)-1] {
		if s.Fields == nil {
			s.Fields = map[string]*structpb.Value{}
		}
		next := s.GetFields()[k].GetStructValue()
		if next == nil {
			next = &structpb.Struct{Fields: map[string]*structpb.Value{}}
			s.Fields[k] = structpb.NewStructValue(next)
		}
		s = next
	}
	if s.Fields == nil {
		s.Fields = map[string]*structpb.Value{}
	}
	s.Fields[path[len(path)-1]] = v
}

// TestRequestDigestCoversEveryField: changing any one value anywhere in a
// steady-state request (every string, number and bool of every Struct in
// it, and the tag) changes the digest, and copies of one request (their
// maps in another order) have the same digest.
func TestRequestDigestCoversEveryField(t *testing.T) {
	req := steadyRequest(t)
	base := requestDigest(req)
	for range 5 {
		if requestDigest(proto.Clone(req).(*fnv1.RunFunctionRequest)) != base {
			t.Fatal("two copies of one request have different digests")
		}
	}
	leaves := 0
	check := func(where string) {
		t.Helper()
		leaves++
		if requestDigest(req) == base {
			t.Errorf("changing %s does not change the digest", where)
		}
	}
	var walk func(where string, v *structpb.Value)
	walk = func(where string, v *structpb.Value) {
		switch k := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			was := k.StringValue
			k.StringValue += "x"
			check(where)
			k.StringValue = was
		case *structpb.Value_NumberValue:
			was := k.NumberValue
			k.NumberValue++
			check(where)
			k.NumberValue = was
		case *structpb.Value_BoolValue:
			k.BoolValue = !k.BoolValue
			check(where)
			k.BoolValue = !k.BoolValue
		case *structpb.Value_StructValue:
			for key, f := range k.StructValue.GetFields() {
				walk(where+"."+key, f)
			}
		case *structpb.Value_ListValue:
			for i, e := range k.ListValue.GetValues() {
				walk(where+"["+string(rune('0'+i%10))+"]", e)
			}
		}
	}
	for key, r := range req.GetObserved().GetResources() {
		walk("observed "+key, structpb.NewStructValue(r.GetResource()))
	}
	walk("the XR", structpb.NewStructValue(req.GetObserved().GetComposite().GetResource()))
	walk("the input", structpb.NewStructValue(req.GetInput()))
	for key, rs := range req.GetRequiredResources() {
		for _, r := range rs.GetItems() {
			walk("required "+key, structpb.NewStructValue(r.GetResource()))
		}
	}
	was := req.GetMeta().GetTag()
	req.Meta.Tag = was + "x"
	check("the tag")
	req.Meta.Tag = was
	if requestDigest(req) != base {
		t.Fatal("the request restored does not have its digest back")
	}
	if leaves < 500 {
		t.Errorf("only %d values changed: the walk missed most of the request", leaves)
	}
}

// TestResponseCacheBound: the cache keeps at most its budget of encoded
// responses, the least recently used going first; a response larger than
// the budget is not kept; the caller of a cached answer cannot change
// what the cache holds.
func TestResponseCacheBound(t *testing.T) {
	steady := steadyRequest(t)
	f := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"))
	other := proto.Clone(steady).(*fnv1.RunFunctionRequest)
	setPath(other.GetObserved().GetComposite().GetResource(), structpb.NewStringValue("other"), "metadata", "labels", "cache-test")
	want := marshal(t, must(f.RunFunction(t.Context(), proto.Clone(steady).(*fnv1.RunFunctionRequest))))
	size := len(want)

	cases := map[string]struct {
		reason string
		budget int
		// asks are the requests, in order: s (steady) or o (other).
		asks string
		// wantHeld is how many responses the cache holds after them, and
		// wantHit whether the last was answered from the cache.
		wantHeld int
		wantHit  bool
		// wantCounts are the hits, misses and evictions counted.
		wantCounts [3]uint64
	}{
		"RoomForTwo": {
			reason:     "With room for two responses, both are kept, and the first is answered again from the cache.",
			budget:     2*size + 1024,
			asks:       "sos",
			wantHeld:   2,
			wantHit:    true,
			wantCounts: [3]uint64{1, 2, 0},
		},
		"RoomForOne": {
			reason:     "With room for one response, the other request evicts the steady one, which is then composed again.",
			budget:     size + 1024,
			asks:       "sos",
			wantHeld:   1,
			wantHit:    false,
			wantCounts: [3]uint64{0, 3, 2},
		},
		"LeastRecentlyUsedGoes": {
			reason:     "The steady response, used again after the other was kept, is the one a third keeps; the other went.",
			budget:     2*size + 1024,
			asks:       "sossS",
			wantHeld:   2,
			wantHit:    true,
			wantCounts: [3]uint64{3, 3, 1},
		},
		"TooLargeForTheBudget": {
			reason:     "A response larger than the whole budget is not kept.",
			budget:     size / 2,
			asks:       "ss",
			wantHeld:   0,
			wantHit:    false,
			wantCounts: [3]uint64{0, 2, 0},
		},
	}
	third := proto.Clone(steady).(*fnv1.RunFunctionRequest)
	setPath(third.GetObserved().GetComposite().GetResource(), structpb.NewStringValue("third"), "metadata", "labels", "cache-test")
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cached := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"), WithResponseCache(tc.budget))
			var last, previousSteady *fnv1.RunFunctionResponse
			hit := false
			for _, a := range tc.asks {
				req := steady
				switch a {
				case 'o':
					req = other
				case 'S': // a third request, then the steady one again
					must(cached.RunFunction(t.Context(), proto.Clone(third).(*fnv1.RunFunctionRequest)))
				}
				last = must(cached.RunFunction(t.Context(), proto.Clone(req).(*fnv1.RunFunctionRequest)))
				if req == steady {
					hit = previousSteady != nil && sameArray(previousSteady, last)
					previousSteady = last
				} else {
					hit = false
				}
			}
			got := cached.responses.snapshot()
			counts := [3]uint64{got.Hits, got.Misses, got.Evictions}
			if got.Responses != tc.wantHeld || hit != tc.wantHit || got.Bytes > tc.budget || counts != tc.wantCounts {
				t.Errorf("%s\nheld %d responses (%d bytes of %d), last answered from the cache %v, hits, misses, evictions %v; want %d, %v, %v",
					tc.reason, got.Responses, got.Bytes, tc.budget, hit, counts, tc.wantHeld, tc.wantHit, tc.wantCounts)
			}
		})
	}

	t.Run("AnswersAreTheirCallers", func(t *testing.T) {
		cached := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"), WithResponseCache(4*size))
		ask := func() *fnv1.RunFunctionResponse {
			return must(cached.RunFunction(t.Context(), proto.Clone(steady).(*fnv1.RunFunctionRequest)))
		}
		first, second := ask(), ask()
		// Two callers each append a field of their own to their answer.
		first.ProtoReflect().SetUnknown(append(first.ProtoReflect().GetUnknown(), 0x08, 0x01))
		second.ProtoReflect().SetUnknown(append(second.ProtoReflect().GetUnknown(), 0x08, 0x02))
		first.Meta = &fnv1.ResponseMeta{Tag: "changed by a caller"}
		if got := first.ProtoReflect().GetUnknown(); got[len(got)-1] != 0x01 {
			t.Error("one caller's change to its answer changed another's")
		}
		if got := marshal(t, ask()); !bytes.Equal(got, want) {
			t.Error("a caller's change to its answer changed the cached response")
		}
	})
}

// steadyRequest is example/percona-running's steady-state request: the
// one it settles on once Crossplane has fetched what it requires.
func steadyRequest(t *testing.T) *fnv1.RunFunctionRequest {
	t.Helper()
	c, err := corpus.LoadExample("..", "percona-running")
	if err != nil {
		t.Fatal(err)
	}
	f := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"))
	return c.Resolve(must(f.RunFunction(t.Context(), c.Request())).GetRequirements())
}

func must(rsp *fnv1.RunFunctionResponse, err error) *fnv1.RunFunctionResponse {
	if err != nil {
		panic(err)
	}
	return rsp
}

// TestResponseCacheBeta: a cached answer reaches a caller of the v1beta1
// protocol (the SDK converts by encoding and decoding) as the uncached one.
func TestResponseCacheBeta(t *testing.T) {
	uncached := NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"))
	steady := steadyRequest(t)
	req := &v1beta1.RunFunctionRequest{}
	if err := proto.Unmarshal(marshal(t, steady), req); err != nil {
		t.Fatal(err)
	}
	want, err := function.ServeBeta(uncached).RunFunction(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	cached := function.ServeBeta(NewFunction(logging.NewNopLogger(), WithSeededSecrets("cache-test"), WithResponseCache(1<<20)))
	for _, call := range []string{"composed and kept", "answered from the cache"} {
		got, err := cached.RunFunction(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.GetDesired().GetResources()) == 0 || !proto.Equal(want, got) {
			t.Errorf("%s: the v1beta1 response differs from the uncached one (%d desired resources, want %d)",
				call, len(got.GetDesired().GetResources()), len(want.GetDesired().GetResources()))
		}
	}
}
