package wire

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// The types fn decodes observed objects into, and others, so that objects
// of one kind decoded as another exercise the converter's refusals.
var decodeKinds = []func() any{
	func() any { return &appsv1.StatefulSet{} },
	func() any { return &pgv2.PerconaPGCluster{} },
	func() any { return &corev1.Secret{} },
	func() any { return &corev1.Service{} },
}

// decodePathSets are fn's path lists (readiness.go, database.go), in
// shape, and others: all of an object, its metadata only, nothing.
var decodePathSets = [][][]string{
	{{"metadata", "generation"}, {"metadata", "annotations"}, {"spec", "replicas"}, {"spec", "volumeClaimTemplates"}, {"status"}},
	{
		{"metadata", "generation"},
		{"metadata", "annotations"},
		{"spec", "postgresVersion"},
		{"spec", "users"},
		{"spec", "instances"},
		{"spec", "backups", "enabled"},
		{"spec", "backups", "pgbackrest", "configuration"},
		{"spec", "backups", "pgbackrest", "global", "repo1-path"},
		{"spec", "backups", "pgbackrest", "global", "repo1-cipher-type"},
		{"spec", "backups", "pgbackrest", "repos"},
		{"spec", "dataSource"},
		{"status", "state"},
		{"status", "host"},
		{"status", "pgbouncer"},
		{"status", "observedGeneration"},
		{"status", "conditions"},
	},
	{{"metadata"}, {"spec"}, {"status"}, {"apiVersion"}, {"kind"}, {"data"}, {"stringData"}, {"type"}},
	{{"metadata", "name"}, {"metadata", "namespace"}},
	{{"metadata"}, {"metadata", "labels"}},
	{},
}

// checkDecode holds DecodePicked to its rule against the converter on one
// object, type and path set: when it says ok the converter succeeds and
// writes the same value. It reports whether the fast path was taken.
func checkDecode(t *testing.T, what string, s *structpb.Struct, kind func() any, paths [][]string) bool {
	t.Helper()
	fast := kind()
	ok := DecodePicked(s, fast, paths...)
	slow := kind()
	err := convert(PickProto(s, paths...), slow)
	if !ok {
		return false
	}
	if err != nil {
		t.Errorf("%s into %T: DecodePicked decoded what the converter refuses (%v)", what, fast, err)
		return true
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("%s into %T: DecodePicked and the converter differ:\nfast %+v\nslow %+v", what, fast, fast, slow)
	}
	return true
}

// convert is the converter, a panic an error (as fn's recover makes it).
func convert(u map[string]any, into any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u, into)
}

// TestDecodePickedCorpus: every observed object of every example, as
// every kind, with every path set. The steady state's own objects take the
// fast path (else it would save nothing).
func TestDecodePickedCorpus(t *testing.T) {
	cases, err := corpus.Examples("../..")
	if err != nil {
		t.Fatal(err)
	}
	fastOnSteady := 0
	for _, c := range cases {
		for key, r := range c.Request().GetObserved().GetResources() {
			for _, kind := range decodeKinds {
				for i, paths := range decodePathSets {
					if checkDecode(t, fmt.Sprintf("%s %s paths %d", c.Name, key, i), r.GetResource(), kind, paths) &&
						i < 2 && (key == "statefulset" || key == "percona-cluster") {
						fastOnSteady++
					}
				}
			}
		}
	}
	if fastOnSteady == 0 {
		t.Error("DecodePicked never took the fast path on the corpus's StatefulSets and clusters")
	}
}

// TestDecodePickedMutations: the corpus's objects and random typed objects
// (encoded as the function would) with values replaced at random by values
// of other types: nulls, fractions, NaN, strings for numbers, lists for
// objects. Whatever the fast path accepts must be what the converter makes.
func TestDecodePickedMutations(t *testing.T) {
	cases, err := corpus.Examples("../..")
	if err != nil {
		t.Fatal(err)
	}
	var objects []*structpb.Struct
	for _, c := range cases {
		for _, r := range c.Request().GetObserved().GetResources() {
			objects = append(objects, r.GetResource())
		}
	}
	for seed := range 40 {
		// Not every random object encodes (invalid JSON in a
		// RawExtension); those that do are what a cluster could hold.
		if obj, err := Object(randomObject([]byte(fmt.Sprintf("decode %d", seed)))); err == nil {
			objects = append(objects, obj)
		}
	}
	r := rand.New(rand.NewPCG(14, 7))
	fast, total := 0, 0
	for round := range 6 {
		for i, o := range objects {
			m := proto.Clone(o).(*structpb.Struct)
			if round > 0 {
				mutate(r, m, 1+r.IntN(6))
			}
			for _, kind := range decodeKinds {
				for j, paths := range decodePathSets {
					total++
					if checkDecode(t, fmt.Sprintf("round %d object %d paths %d", round, i, j), m, kind, paths) {
						fast++
					}
				}
			}
		}
	}
	t.Logf("fast path taken %d of %d times", fast, total)
}

// mutate replaces values at up to n random places under s.
func mutate(r *rand.Rand, s *structpb.Struct, n int) {
	for range n {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range s.GetFields() {
				if !yield(k) {
					return
				}
			}
		})
		if len(keys) == 0 {
			return
		}
		k := keys[r.IntN(len(keys))]
		v := s.GetFields()[k]
		switch {
		case v.GetStructValue() != nil && r.IntN(3) > 0:
			mutate(r, v.GetStructValue(), 1)
		case v.GetListValue() != nil && len(v.GetListValue().GetValues()) > 0 && r.IntN(3) > 0:
			l := v.GetListValue().GetValues()
			e := l[r.IntN(len(l))]
			if e.GetStructValue() != nil && r.IntN(2) == 0 {
				mutate(r, e.GetStructValue(), 1)
			} else {
				l[r.IntN(len(l))] = randomValue(r)
			}
		default:
			s.Fields[k] = randomValue(r)
		}
	}
}

func randomValue(r *rand.Rand) *structpb.Value {
	switch r.IntN(11) {
	case 0:
		return structpb.NewNullValue()
	case 1:
		return structpb.NewNumberValue(float64(r.IntN(100)))
	case 2:
		return structpb.NewNumberValue(r.Float64() * 10)
	case 3:
		return structpb.NewNumberValue(math.NaN())
	case 4:
		return structpb.NewNumberValue(math.Inf(1 - 2*r.IntN(2)))
	case 5:
		return structpb.NewStringValue("10Gi")
	case 6:
		return structpb.NewStringValue("2026-12-01T00:00:00Z")
	case 7:
		return structpb.NewBoolValue(r.IntN(2) == 0)
	case 8:
		return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"name": structpb.NewStringValue("x")}})
	case 9:
		return structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("a"), structpb.NewNullValue()}})
	default:
		return structpb.NewStringValue("")
	}
}
