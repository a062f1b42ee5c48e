package wire

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/types/known/structpb"
)

// DecodePicked decodes the values at paths of s into into, a pointer to a
// new (zero) value, straight from the proto. It is a fast path for
//
//	runtime.DefaultUnstructuredConverter.FromUnstructured(PickProto(s, paths...), into)
//
// which first copies the picked values into maps and slices of any and
// then converts those: on the steady-state request that was a sixth of a
// call. The rule: when DecodePicked returns true, into holds exactly what
// that conversion would have written (decode_test.go checks it on the
// corpus's observed objects and on random mutations of them). Wherever the
// conversion would fail, or does something this fast path does not mirror
// (a []byte from a string, a conversion the converter refuses), it returns
// false and leaves into partly written: the caller then runs the converter
// itself, on a new value, for its result and its error. Types with their own
// UnmarshalJSON (Time, Quantity, IntOrString) go through it as the converter
// does: JSON of the value, then UnmarshalJSON.
func DecodePicked(s *structpb.Struct, into any, paths ...[]string) bool {
	dv := reflect.ValueOf(into)
	if dv.Kind() != reflect.Pointer || dv.IsNil() {
		return false
	}
	if unmarshalsJSON(dv.Elem().Type()) {
		return false
	}
	return decodeStruct(s, pickTreeOf(paths), dv.Elem())
}

// pickTrees holds the trees of the path lists seen, by their content: fn
// reads the same few lists on every call. Bounded (maxPickTrees), in case a
// caller makes lists on the fly.
var (
	pickTrees     sync.Map // string -> *pickTree
	pickTreeCount atomic.Int32
)

const maxPickTrees = 64

func pickTreeOf(paths [][]string) *pickTree {
	var key strings.Builder
	for _, p := range paths {
		for _, k := range p {
			key.WriteString(k)
			key.WriteByte(0)
		}
		key.WriteByte(1)
	}
	if t, ok := pickTrees.Load(key.String()); ok {
		if t, ok := t.(*pickTree); ok {
			return t
		}
	}
	t := newPickTree(paths)
	if pickTreeCount.Add(1) <= maxPickTrees {
		pickTrees.Store(key.String(), t)
	}
	return t
}

// pickTree is the set of paths PickProto copies: a node with all set
// copies the whole value there; otherwise only its children's paths.
type pickTree struct {
	all      bool
	children map[string]*pickTree
}

func newPickTree(paths [][]string) *pickTree {
	root := &pickTree{}
	for _, p := range paths {
		n := root
		for _, k := range p {
			if n.children == nil {
				n.children = map[string]*pickTree{}
			}
			next, ok := n.children[k]
			if !ok {
				next = &pickTree{}
				n.children[k] = next
			}
			n = next
		}
		// A path picks all of its value, whatever a longer path picks
		// under it (PickProto gives the whole value either way).
		n.all = true
	}
	return root
}

// child is the value under key of the object s, as PickProto leaves it
// when it picks t there: the whole value, or (sub not nil) a struct of only
// sub's paths. ok is false where PickProto writes nothing: a key it does not
// pick or s does not have, or an inner node over a value that is not a
// struct.
func (t *pickTree) child(s *structpb.Struct, key string) (*structpb.Value, *pickTree, bool) {
	if t == nil || t.all {
		v, ok := s.GetFields()[key]
		return v, nil, ok
	}
	sub, picked := t.children[key]
	if !picked {
		return nil, nil, false
	}
	v, ok := s.GetFields()[key]
	if !ok {
		return nil, nil, false
	}
	if sub.all {
		return v, nil, true
	}
	if v.GetStructValue() == nil {
		return nil, nil, false
	}
	return v, sub, true
}

// decodeValue mirrors apimachinery's fromUnstructured for the value v
// (picked by t; nil t is all of it) into dv, which is zero.
func decodeValue(v *structpb.Value, t *pickTree, dv reflect.Value) bool {
	if v == nil {
		return false
	}
	if _, null := v.GetKind().(*structpb.Value_NullValue); null {
		// The converter writes the zero value, which dv already is.
		return true
	}
	dt := dv.Type()
	switch dt.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Struct, reflect.Interface:
	default:
		return decodeScalar(v, dv)
	}
	if unmarshalsJSON(dt) {
		if t != nil {
			// The converter would marshal the picked part only; not
			// worth mirroring.
			return false
		}
		data, err := json.Marshal(v.AsInterface())
		if err != nil {
			return false
		}
		u, ok := dv.Addr().Interface().(json.Unmarshaler)
		return ok && u.UnmarshalJSON(data) == nil
	}
	switch dt.Kind() {
	case reflect.Map:
		return decodeMap(v.GetStructValue(), t, dv)
	case reflect.Slice:
		return decodeSlice(v, dv)
	case reflect.Pointer:
		dv.Set(reflect.New(dt.Elem()))
		return decodeValue(v, t, dv.Elem())
	case reflect.Struct:
		return decodeStruct(v.GetStructValue(), t, dv)
	default: // reflect.Interface
		if t != nil {
			return false
		}
		x := v.AsInterface()
		if x == nil || !reflect.TypeOf(x).AssignableTo(dt) {
			return false
		}
		dv.Set(reflect.ValueOf(x))
		return true
	}
}

// unmarshalsJSON is the converter's test for a type it decodes through
// UnmarshalJSON (structured-merge-diff's isJsonUnmarshaler), per type.
func unmarshalsJSON(t reflect.Type) bool {
	return unmarshalsJSONByType.get(t, func(t reflect.Type) bool {
		return reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())
	})
}

var unmarshalsJSONByType typeCache[bool]

// decodeScalar is the converter's conversion between JSON's four groups
// (bools, numbers, strings) and Go's kinds: within a group only, and a
// number into an integer only when it is whole.
func decodeScalar(v *structpb.Value, dv reflect.Value) bool {
	kind := dv.Kind()
	switch x := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		if kind != reflect.String {
			return false
		}
		dv.SetString(x.StringValue)
	case *structpb.Value_BoolValue:
		if kind != reflect.Bool {
			return false
		}
		dv.SetBool(x.BoolValue)
	case *structpb.Value_NumberValue:
		f := x.NumberValue
		if math.IsInf(f, 0) || math.IsNaN(f) {
			// structpb reads these as the strings "Infinity", "NaN".
			return false
		}
		switch kind {
		case reflect.Float32, reflect.Float64:
			dv.Set(reflect.ValueOf(f).Convert(dv.Type()))
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if f != math.Trunc(f) {
				return false
			}
			dv.Set(reflect.ValueOf(f).Convert(dv.Type()))
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// decodeMap is the converter's map from a JSON object, string keys only:
// a null value is a zero entry.
func decodeMap(s *structpb.Struct, t *pickTree, dv reflect.Value) bool {
	dt := dv.Type()
	if s == nil || dt.Key().Kind() != reflect.String {
		return false
	}
	m := reflect.MakeMapWithSize(dt, len(s.GetFields()))
	set := func(k string) bool {
		v, sub, ok := t.child(s, k)
		if !ok {
			return true
		}
		elem := reflect.New(dt.Elem()).Elem()
		if !decodeValue(v, sub, elem) {
			return false
		}
		m.SetMapIndex(reflect.ValueOf(k).Convert(dt.Key()), elem)
		return true
	}
	if t == nil || t.all {
		for k := range s.GetFields() {
			if !set(k) {
				return false
			}
		}
	} else {
		for k := range t.children {
			if !set(k) {
				return false
			}
		}
	}
	dv.Set(m)
	return true
}

// decodeSlice is the converter's slice from a JSON list (never nil, as
// structpb's AsSlice is not); a []byte from a string is not mirrored.
func decodeSlice(v *structpb.Value, dv reflect.Value) bool {
	l := v.GetListValue()
	if l == nil {
		return false
	}
	n := len(l.GetValues())
	dv.Set(reflect.MakeSlice(dv.Type(), n, n))
	for i, e := range l.GetValues() {
		if !decodeValue(e, nil, dv.Index(i)) {
			return false
		}
	}
	return true
}

// decodeStruct is the converter's struct from a JSON object: each field by
// its JSON name (the Go name without a tag), a field without a name (an
// embedded struct, json:",inline") from the same object.
func decodeStruct(s *structpb.Struct, t *pickTree, dv reflect.Value) bool {
	if s == nil {
		return false
	}
	for _, f := range convertedFields(dv.Type()) {
		fv := dv.Field(f.index)
		if !fv.CanSet() {
			// The converter would set it, and panic.
			return false
		}
		if f.name == "" {
			if !decodeInline(s, t, fv) {
				return false
			}
			continue
		}
		v, sub, ok := t.child(s, f.name)
		if !ok {
			continue
		}
		if !decodeValue(v, sub, fv) {
			return false
		}
	}
	return true
}

// decodeInline decodes the object s itself into the inlined field fv.
func decodeInline(s *structpb.Struct, t *pickTree, fv reflect.Value) bool {
	return decodeValue(structpb.NewStructValue(s), t, fv)
}

// convertedField is a struct field as apimachinery's converter names it
// (fieldInfoFromField).
type convertedField struct {
	name  string
	index int
}

var convertedFieldsByType typeCache[[]convertedField]

func convertedFields(t reflect.Type) []convertedField {
	return convertedFieldsByType.get(t, func(t reflect.Type) []convertedField {
		fields := make([]convertedField, t.NumField())
		for i := range fields {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" && !sf.Anonymous {
				name = sf.Name
			}
			fields[i] = convertedField{name: name, index: i}
		}
		return fields
	})
}
