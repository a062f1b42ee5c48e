package wire

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The typed kinds the builders compose (the Usages and the ServiceMonitor
// are built unstructured).
var fuzzKinds = []func() runtime.Object{
	func() runtime.Object { return &appsv1.StatefulSet{} },
	func() runtime.Object { return &corev1.Service{} },
	func() runtime.Object { return &corev1.Secret{} },
	func() runtime.Object { return &corev1.ConfigMap{} },
	func() runtime.Object { return &networkingv1.NetworkPolicy{} },
	func() runtime.Object { return &pgv2.PerconaPGCluster{} },
}

// filler sets a value's exported fields at random: nil or set pointers,
// nil, empty or short slices and maps, strings that may be invalid UTF-8,
// numbers small and extreme, and the types with their own JSON form
// (Quantity, Time, IntOrString, RawExtension) from values they can hold.
type filler struct {
	r *rand.Rand
	// nilOdds is the chance in 8 that an optional value stays unset, so
	// some objects are sparse and some dense.
	nilOdds int
}

const fillDepth = 12

func newFiller(seed []byte) *filler {
	var s [16]byte
	copy(s[:], seed)
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(s[:8]), binary.LittleEndian.Uint64(s[8:])))
	return &filler{r: r, nilOdds: 1 + r.IntN(5)}
}

func (f *filler) unset() bool { return f.r.IntN(8) < f.nilOdds }

var (
	quantityType    = reflect.TypeFor[resource.Quantity]()
	timeType        = reflect.TypeFor[metav1.Time]()
	microTimeType   = reflect.TypeFor[metav1.MicroTime]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
	rawType         = reflect.TypeFor[runtime.RawExtension]()
)

var fuzzQuantities = []string{"0", "1", "100m", "1Gi", "1.5", "10Ti", "-1", "1e3", "0.000001"}

// special fills the types whose state is unexported or constrained; ok is
// false for any other type.
func (f *filler) special(v reflect.Value) bool {
	switch v.Type() {
	case quantityType:
		if f.r.IntN(4) > 0 {
			v.Set(reflect.ValueOf(resource.MustParse(fuzzQuantities[f.r.IntN(len(fuzzQuantities))])))
		}
	case timeType:
		if f.r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(metav1.NewTime(time.Unix(f.r.Int64N(1<<34), f.r.Int64N(1e9)))))
		}
	case microTimeType:
		if f.r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(metav1.NewMicroTime(time.Unix(f.r.Int64N(1<<34), f.r.Int64N(1e9)))))
		}
	case intOrStringType:
		x := intstr.IntOrString{Type: intstr.Type(f.r.IntN(2)), IntVal: f.int32(), StrVal: f.string()}
		if f.r.IntN(50) == 0 {
			x.Type = 2 // impossible: both encoders must refuse it
		}
		if f.r.IntN(3) == 0 {
			x = intstr.IntOrString{} // the zero value: Int 0
		}
		v.Set(reflect.ValueOf(x))
	case rawType:
		raws := []string{"", "{}", `{"a":[1,null,"x"]}`, "null", "3", `"s"`, "{"}
		if s := raws[f.r.IntN(len(raws))]; s != "" {
			v.Set(reflect.ValueOf(runtime.RawExtension{Raw: []byte(s)}))
		}
	default:
		return false
	}
	return true
}

func (f *filler) fill(v reflect.Value, depth int) {
	if f.special(v) {
		return
	}
	if depth > fillDepth {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(f.int64(v.Type().Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(f.int64(v.Type().Bits())) >> (64 - v.Type().Bits()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(f.float())
	case reflect.String:
		v.SetString(f.string())
	case reflect.Pointer:
		if !f.unset() {
			p := reflect.New(v.Type().Elem())
			f.fill(p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Slice:
		if n := f.length(); n >= 0 {
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				f.fill(s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if n := f.length(); n >= 0 {
			m := reflect.MakeMap(v.Type())
			for range n {
				k := reflect.New(v.Type().Key()).Elem()
				f.fill(k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Interface:
		if v.NumMethod() == 0 && !f.unset() {
			vals := []any{"s", 1.5, true, map[string]any{}, []any{nil}}
			v.Set(reflect.ValueOf(vals[f.r.IntN(len(vals))]))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() && (f.r.IntN(8) >= f.nilOdds/2) {
				f.fill(v.Field(i), depth+1)
			}
		}
	default:
		// Channels, functions, complex numbers: not in API types.
	}
}

// length is -1 (nil), 0 (empty) or a few elements.
func (f *filler) length() int {
	if f.unset() {
		return -1
	}
	return f.r.IntN(4)
}

func (f *filler) int32() int32 { return int32(f.int64(32)) }

// int64 is mostly small, sometimes the extremes of a bits-wide integer.
func (f *filler) int64(bits int) int64 {
	switch f.r.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64 >> (64 - bits)
	case 2:
		return math.MinInt64 >> (64 - bits)
	default:
		return f.r.Int64N(2000) - 1000
	}
}

func (f *filler) float() float64 {
	vals := []float64{0, math.Copysign(0, -1), 0.1, 1e21, 1e-7, -3.25, math.MaxFloat32, math.NaN(), math.Inf(1)}
	if f.r.IntN(20) > 1 {
		return vals[f.r.IntN(7)] // finite
	}
	return vals[7+f.r.IntN(2)]
}

// string is short, sometimes empty, sometimes with HTML characters, quotes
// or bytes that are not UTF-8.
func (f *filler) string() string {
	parts := []string{"", "a", "x-y.z", "<&>", `"q"`, "é", "\xff", "\xc3", "\u2028", "0", " "}
	n := f.r.IntN(4)
	s := ""
	for range n {
		s += parts[f.r.IntN(len(parts))]
	}
	return s
}

// randomObject is one of the builders' kinds, filled from seed.
func randomObject(seed []byte) runtime.Object {
	f := newFiller(seed)
	obj := fuzzKinds[f.r.IntN(len(fuzzKinds))]()
	f.fill(reflect.ValueOf(obj).Elem(), 0)
	return obj
}

// TestEncodeRandomObjects checks a few hundred random objects of every kind
// on every run; FuzzEncodeObject explores further under -fuzz.
func TestEncodeRandomObjects(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 150
	}
	for i := range n {
		seed := binary.LittleEndian.AppendUint64(nil, uint64(i))
		checkEncoding(t, reflect.TypeOf(randomObject(seed)).String(), randomObject(seed))
	}
}

func FuzzEncodeObject(f *testing.F) {
	for i := range 16 {
		f.Add(binary.LittleEndian.AppendUint64(nil, uint64(i)))
	}
	f.Fuzz(func(t *testing.T, seed []byte) {
		obj := randomObject(seed)
		checkEncoding(t, reflect.TypeOf(obj).String(), obj)
	})
}
