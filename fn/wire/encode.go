package wire

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crossplane/function-sdk-go/errors"
)

// Object turns a typed object straight into the protobuf Struct
// Crossplane applies, in one pass. Going through JSON or an unstructured map
// first (the SDK's composed.From, apimachinery's converter, then structpb)
// cost a third of every call.
//
// The rule, one and exact: the result is what encoding/json writes for obj,
// read back into a Struct, except that omitempty on a field of struct type
// means omitzero (left out when the value is zero, by its IsZero method if it
// has one). That exception is what removes the noise encoding/json leaves
// because it never finds a struct empty: status: {}, resources: {},
// targetPort: 0 from an unset IntOrString. Everything else is encoding/json's:
// omitempty drops zero numbers, false and "" (nodePort: 0 would make
// Kubernetes reallocate a Service's node port on every apply); omitzero,
// MarshalJSON and MarshalText are honoured; a nil pointer, map or slice not
// left out is null (a builder that means "none" says so with an empty one);
// and an empty object is kept wherever encoding/json writes one (a non-nil
// pointer to a struct with nothing set, an empty map that is not omitempty, a
// list element), because there it can mean something: emptyDir: {}, a
// select-all podSelector: {}. Then status is dropped (the function says
// nothing about it) and apiVersion and kind come from the scheme.
// encode_test.go computes the same rule with encoding/json itself and checks
// the two agree, on the builders' objects, hand-picked cases and random
// objects (encode_fuzz_test.go).
func Object(obj runtime.Object) (*structpb.Struct, error) {
	var e Encoder
	return e.Object(obj)
}

// Object is the package's Object, its messages from e's slabs.
func (e *Encoder) Object(obj runtime.Object) (*structpb.Struct, error) {
	if u, ok := obj.(interface{ UnstructuredContent() map[string]any }); ok {
		// Built unstructured (Usages, the ServiceMonitor): already maps.
		return structpb.NewStruct(u.UnstructuredContent())
	}
	gvk, err := kindOf(obj)
	if err != nil {
		return nil, err
	}
	v, err := e.value(reflect.ValueOf(obj))
	if err != nil {
		return nil, errors.Wrapf(err, "cannot encode %T", obj)
	}
	s := v.GetStructValue()
	if s == nil {
		s = &structpb.Struct{}
	}
	if s.GetFields() == nil {
		s.Fields = map[string]*structpb.Value{}
	}
	delete(s.GetFields(), "status")
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	s.Fields["apiVersion"] = e.str(apiVersion)
	s.Fields["kind"] = e.str(kind)
	return s, nil
}

// encodeValue encodes v as encoding/json would. A json.Marshaler or
// encoding.TextMarshaler with a pointer receiver counts only where v is
// addressable, as in encoding/json (so not for a map's values).
func encodeValue(v reflect.Value) (*structpb.Value, error) {
	var e Encoder
	return e.value(v)
}

func (e *Encoder) value(v reflect.Value) (*structpb.Value, error) {
	if !v.IsValid() {
		return e.null(), nil
	}
	return e.with(v, marshalersOf(v.Type()))
}

// with is value with v's type's marshalers known: struct fields and list
// and map elements look them up once per type, not per value.
func (e *Encoder) with(v reflect.Value, m marshalers) (*structpb.Value, error) {
	t := v.Type()
	switch {
	case m&jsonByPointer != 0 && v.CanAddr():
		return e.jsonMarshaler(v.Addr())
	case m&jsonByValue != 0:
		return e.jsonMarshaler(v)
	case m&textByPointer != 0 && v.CanAddr():
		return e.textMarshaler(v.Addr())
	case m&textByValue != 0:
		return e.textMarshaler(v)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return e.null(), nil
		}
		return e.value(v.Elem())
	case reflect.Struct:
		return e.structValue(v)
	case reflect.Map:
		return e.mapValue(v)
	case reflect.Slice:
		if v.IsNil() {
			return e.null(), nil
		}
		if isByteSlice(t) {
			return e.str(base64.StdEncoding.EncodeToString(v.Bytes())), nil
		}
		return e.list(v)
	case reflect.Array:
		return e.list(v)
	case reflect.String:
		return e.str(validUTF8(v.String())), nil
	case reflect.Bool:
		return e.boolean(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.number(float64(v.Int())), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.number(float64(v.Uint())), nil
	case reflect.Float32, reflect.Float64:
		f, err := jsonFloat(v)
		if err != nil {
			return nil, err
		}
		return e.number(f), nil
	default:
		return nil, errors.Errorf("json: unsupported type: %s", t)
	}
}

// marshalers says which of a type's own JSON and text forms encoding/json
// would use; a method on the pointer counts only where the value is
// addressable.
type marshalers uint8

const (
	jsonByValue marshalers = 1 << iota
	jsonByPointer
	textByValue
	textByPointer
)

// marshalersByType caches marshalersOf, per type, as encoding/json does.
var marshalersByType typeCache[marshalers]

func marshalersOf(t reflect.Type) marshalers { return marshalersByType.get(t, findMarshalers) }

func findMarshalers(t reflect.Type) marshalers {
	jsonMarshalerType, textMarshalerType := reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()
	var m marshalers
	if t.Implements(jsonMarshalerType) {
		m |= jsonByValue
	}
	if t.Implements(textMarshalerType) {
		m |= textByValue
	}
	if t.Kind() != reflect.Pointer {
		if reflect.PointerTo(t).Implements(jsonMarshalerType) {
			m |= jsonByPointer
		}
		if reflect.PointerTo(t).Implements(textMarshalerType) {
			m |= textByPointer
		}
	}
	return m
}

// isByteSlice is encoding/json's test for a slice written as base64: bytes
// without a marshaler of their own.
func isByteSlice(t reflect.Type) bool {
	e := t.Elem()
	if e.Kind() != reflect.Uint8 {
		return false
	}
	return marshalersOf(reflect.PointerTo(e)) == 0
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// jsonFloat is the number encoding/json writes, read back as a float64: a
// float32 goes through its shortest decimal form.
func jsonFloat(v reflect.Value) (float64, error) {
	f := v.Float()
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	if v.Kind() == reflect.Float32 {
		return strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
	}
	return f, nil
}

// jsonMarshaler encodes what v marshals to. The types the builders use on
// every call are written directly, as their MarshalJSON would.
func (e *Encoder) jsonMarshaler(v reflect.Value) (*structpb.Value, error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return e.null(), nil
	}
	known := v
	if known.Kind() == reflect.Pointer {
		known = known.Elem()
	}
	if out, ok, err := e.known(known); ok {
		return out, err
	}
	m, ok := v.Interface().(json.Marshaler)
	if !ok {
		return nil, errors.Errorf("json: %s has no MarshalJSON", v.Type())
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// known writes Quantity, IntOrString and Time without a JSON round trip;
// known is false for other types. An addressable value is read in place:
// Interface would copy it to the heap first.
func (e *Encoder) known(v reflect.Value) (_ *structpb.Value, known bool, _ error) {
	var x any
	switch v.Type() {
	case knownQuantity, knownIntOrString, knownTime:
		if v.CanAddr() {
			x = v.Addr().Interface()
		} else {
			x = v.Interface()
		}
	default:
		return nil, false, nil
	}
	switch x := x.(type) {
	case *resource.Quantity:
		return e.str(x.String()), true, nil
	case resource.Quantity:
		return e.str(x.String()), true, nil
	case *intstr.IntOrString:
		return e.intOrString(x)
	case intstr.IntOrString:
		return e.intOrString(&x)
	case *metav1.Time:
		return e.time(*x), true, nil
	case metav1.Time:
		return e.time(x), true, nil
	}
	return nil, false, nil
}

func (e *Encoder) time(x metav1.Time) *structpb.Value {
	if x.IsZero() {
		return e.null()
	}
	return e.str(x.UTC().Format(time.RFC3339))
}

// The types known writes itself.
var (
	knownQuantity    = reflect.TypeFor[resource.Quantity]()
	knownIntOrString = reflect.TypeFor[intstr.IntOrString]()
	knownTime        = reflect.TypeFor[metav1.Time]()
)

func (e *Encoder) intOrString(x *intstr.IntOrString) (*structpb.Value, bool, error) {
	switch x.Type {
	case intstr.Int:
		return e.number(float64(x.IntVal)), true, nil
	case intstr.String:
		return e.str(validUTF8(x.StrVal)), true, nil
	default:
		// What IntOrString.MarshalJSON says.
		return nil, true, errors.New("impossible IntOrString.Type")
	}
}

func (e *Encoder) textMarshaler(v reflect.Value) (*structpb.Value, error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return e.null(), nil
	}
	m, ok := v.Interface().(encoding.TextMarshaler)
	if !ok {
		return nil, errors.Errorf("json: %s has no MarshalText", v.Type())
	}
	b, err := m.MarshalText()
	if err != nil {
		return nil, err
	}
	return e.str(validUTF8(string(b))), nil
}

// decodeJSON reads a marshaler's output into a Value, numbers as float64.
func decodeJSON(b []byte) (*structpb.Value, error) {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	return structpb.NewValue(x)
}

// structValue writes the fields it keeps on the encoder's stack first, so
// that the map is made once at its size: most fields are left out.
func (e *Encoder) structValue(v reflect.Value) (*structpb.Value, error) {
	fields := structFields(v.Type())
	base := len(e.stack)
	for i := range fields {
		f := &fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omit != nil && f.omit(fv)) {
			continue
		}
		var ev *structpb.Value
		var err error
		if f.quoted {
			ev, err = e.quoted(fv)
		} else {
			ev, err = e.with(fv, f.marshalers)
		}
		if err != nil {
			e.stack = e.stack[:base]
			return nil, errors.Wrapf(err, "%s", f.name)
		}
		e.stack = append(e.stack, encodedField{f.name, ev})
	}
	into := make(map[string]*structpb.Value, len(e.stack)-base)
	for _, f := range e.stack[base:] {
		into[f.name] = f.value
	}
	clear(e.stack[base:])
	e.stack = e.stack[:base]
	return e.structOf(into), nil
}

// fieldByIndex follows an embedded field's path; ok is false through a nil
// embedded pointer, which encoding/json skips.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	if len(index) == 1 {
		return v.Field(index[0]), true
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// quoted is the ",string" option: a scalar written as JSON inside a
// string. A marshaler's own form wins, as in encoding/json.
func (e *Encoder) quoted(v reflect.Value) (*structpb.Value, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return e.null(), nil
		}
		v = v.Elem()
	}
	if m := marshalersOf(v.Type()); m&(jsonByValue|textByValue) != 0 || (m != 0 && v.CanAddr()) {
		return e.value(v)
	}
	var x any
	switch v.Kind() {
	case reflect.String:
		x = v.String()
	case reflect.Bool:
		x = v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x = v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x = v.Uint()
	case reflect.Float32:
		x = float32(v.Float())
	default:
		x = v.Float()
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	// A string's JSON, quotes included, is the string written.
	return e.str(string(b)), nil
}

// mapValue reads each key and value into one reusable Value (SetIterKey,
// SetIterValue): MapIter's Key and Value copy each to the heap.
func (e *Encoder) mapValue(v reflect.Value) (*structpb.Value, error) {
	t := v.Type()
	if !validMapKey(t.Key()) {
		return nil, errors.Errorf("json: unsupported type: %s", t)
	}
	if v.IsNil() {
		return e.null(), nil
	}
	fields := make(map[string]*structpb.Value, v.Len())
	elem := marshalersOf(t.Elem())
	key, val := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	var rawKeys map[string]string // written key -> key, where they differ
	for it := v.MapRange(); it.Next(); {
		key.SetIterKey(it)
		raw, err := mapKey(key)
		if err != nil {
			return nil, err
		}
		k := validUTF8(raw)
		if _, dup := fields[k]; dup || k != raw {
			// Keys that are not UTF-8 can collide once written:
			// encoding/json writes keys in sorted order and the reader
			// keeps the last, so the greatest key wins, whatever the
			// map's order.
			if rawKeys == nil {
				rawKeys = map[string]string{}
			}
			prev, seen := rawKeys[k]
			if !seen {
				prev = k
			}
			if dup && prev > raw {
				continue
			}
			rawKeys[k] = raw
		}
		val.SetIterValue(it)
		ev, err := e.mapElem(val, elem)
		if err != nil {
			return nil, errors.Wrapf(err, "%s", k)
		}
		fields[k] = ev
	}
	return e.structOf(fields), nil
}

// mapElem encodes a map's value, read into the addressable val. A map's
// values are not addressable, so a marshaler with a pointer receiver does
// not count for them, as in encoding/json: where that could make a
// difference, val is encoded from a copy that is not addressable either.
func (e *Encoder) mapElem(val reflect.Value, m marshalers) (*structpb.Value, error) {
	if addressMatters(val.Type()) {
		return e.with(reflect.ValueOf(val.Interface()), m)
	}
	return e.with(val, m)
}

// addressMatters is whether encoding a value of type t can depend on whether
// it is addressable: a marshaler t (or a field of a t held by value) has
// only on its pointer. Through a pointer or a slice everything is
// addressable anyway, and through a map or an interface nothing is.
func addressMatters(t reflect.Type) bool { return addressMattersByType.get(t, findAddressMatters) }

var addressMattersByType typeCache[bool]

func findAddressMatters(t reflect.Type) bool {
	m := marshalersOf(t)
	switch {
	case m&jsonByValue != 0:
		return false
	case m&jsonByPointer != 0:
		return true
	case m&textByValue != 0:
		return false
	case m&textByPointer != 0:
		return true
	}
	switch t.Kind() {
	case reflect.Array:
		return addressMatters(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if addressMatters(t.Field(i).Type) {
				return true
			}
		}
		return false
	default:
		// Scalars; and what a pointer, slice, map or interface holds is
		// addressable, or not, whatever holds them.
		return false
	}
}

func validMapKey(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	default:
		return marshalersOf(t)&textByValue != 0
	}
}

// mapKey is encoding/json's name for a map key, before it is written.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	default:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
}

// list keeps every element, null and {} too: a list's length and order
// mean something.
func (e *Encoder) list(v reflect.Value) (*structpb.Value, error) {
	values := make([]*structpb.Value, v.Len())
	elem := marshalersOf(v.Type().Elem())
	for i := range values {
		ev, err := e.with(v.Index(i), elem)
		if err != nil {
			return nil, errors.Wrapf(err, "[%d]", i)
		}
		values[i] = ev
	}
	lv := e.lists.next()
	lv.Values = values
	out := e.values.next()
	k := e.listKinds.next()
	k.ListValue = lv
	out.Kind = k
	return out, nil
}
