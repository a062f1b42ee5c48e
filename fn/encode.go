package fn

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// encodeObject turns a typed object straight into the protobuf Struct
// Crossplane applies, in one pass, asserting only the fields the builder set.
// Fields follow encoding/json (tags, omitempty, inline, MarshalJSON), which
// drops omitempty zero numbers and false booleans: the SDK's composed.From
// keeps them, and nodePort: 0 would make Kubernetes reallocate a Service's
// node port on every apply. Nulls and the empty objects of unset struct
// fields (status: {}, resources: {}) are left out too. No builder composes an
// object whose meaning is "empty" (an emptyDir volume, a select-all
// selector), so every empty object is noise here; in a list an element is
// kept whatever it is. Going through an unstructured map first (apimachinery's
// converter, then structpb) cost a third of every call; encode_test.go checks
// this encoder against that path.
func encodeObject(obj runtime.Object) (*structpb.Struct, error) {
	if u, ok := obj.(interface{ UnstructuredContent() map[string]any }); ok {
		// Built unstructured (Usages, the ServiceMonitor): already maps.
		return structpb.NewStruct(u.UnstructuredContent())
	}
	gvk, err := kindOf(obj)
	if err != nil {
		return nil, err
	}
	v, ok, err := encodeValue(reflect.ValueOf(obj), false)
	if err != nil {
		return nil, fmt.Errorf("cannot encode %T: %w", obj, err)
	}
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	if ok && v.GetStructValue() != nil {
		s = v.GetStructValue()
	}
	// What the function says about status would be noise in every apply.
	delete(s.Fields, "status")
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	s.Fields["apiVersion"] = structpb.NewStringValue(apiVersion)
	s.Fields["kind"] = structpb.NewStringValue(kind)
	return s, nil
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// encodeValue encodes v. ok is false when v is left out: a null, or an
// object with no fields. keepEmpty keeps an empty object (a list element).
func encodeValue(v reflect.Value, keepEmpty bool) (_ *structpb.Value, ok bool, _ error) {
	if !v.IsValid() {
		return nil, false, nil
	}
	if v.Type().Implements(jsonMarshaler) && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		if out, ok, known := encodeKnown(v); known {
			return out, ok, nil
		}
		return encodeMarshaler(v)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false, nil
		}
		return encodeValue(v.Elem(), keepEmpty)
	case reflect.Struct:
		return encodeStruct(v, keepEmpty)
	case reflect.Map:
		return encodeMap(v, keepEmpty)
	case reflect.Slice:
		if v.IsNil() {
			return nil, false, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return structpb.NewStringValue(base64.StdEncoding.EncodeToString(v.Bytes())), true, nil
		}
		return encodeList(v)
	case reflect.Array:
		return encodeList(v)
	case reflect.String:
		return structpb.NewStringValue(v.String()), true, nil
	case reflect.Bool:
		return structpb.NewBoolValue(v.Bool()), true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return structpb.NewNumberValue(float64(v.Int())), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return structpb.NewNumberValue(float64(v.Uint())), true, nil
	case reflect.Float32, reflect.Float64:
		return structpb.NewNumberValue(v.Float()), true, nil
	default:
		return nil, false, fmt.Errorf("cannot encode a %s", v.Type())
	}
}

// encodeKnown encodes, without a JSON round trip, the types with their own
// JSON form that the builders use on every call. known is false for others.
func encodeKnown(v reflect.Value) (_ *structpb.Value, ok, known bool) {
	switch x := v.Interface().(type) {
	case resource.Quantity:
		return structpb.NewStringValue(x.String()), true, true
	case intstr.IntOrString:
		if x.Type == intstr.Int {
			return structpb.NewNumberValue(float64(x.IntVal)), true, true
		}
		return structpb.NewStringValue(x.StrVal), true, true
	case metav1.Time:
		if x.IsZero() {
			return nil, false, true
		}
	}
	return nil, false, false
}

// encodeMarshaler encodes a type with its own JSON form (Quantity, Time,
// IntOrString): what it marshals to, null left out.
func encodeMarshaler(v reflect.Value) (*structpb.Value, bool, error) {
	b, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return nil, false, err
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, false, err
	}
	if x == nil {
		return nil, false, nil
	}
	out, err := structpb.NewValue(x)
	return out, err == nil, err
}

func encodeStruct(v reflect.Value, keepEmpty bool) (*structpb.Value, bool, error) {
	fields := map[string]*structpb.Value{}
	if err := encodeFields(v, fields); err != nil {
		return nil, false, err
	}
	if len(fields) == 0 && !keepEmpty {
		return nil, false, nil
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: fields}), true, nil
}

func encodeFields(v reflect.Value, into map[string]*structpb.Value) error {
	for _, f := range structFields(v.Type()) {
		fv := v.Field(f.index)
		if f.inline {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if err := encodeFields(fv, into); err != nil {
				return err
			}
			continue
		}
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		ev, ok, err := encodeValue(fv, false)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if ok {
			into[f.name] = ev
		}
	}
	return nil
}

func encodeMap(v reflect.Value, keepEmpty bool) (*structpb.Value, bool, error) {
	if v.IsNil() || (v.Len() == 0 && !keepEmpty) {
		return nil, false, nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return nil, false, fmt.Errorf("cannot encode a map keyed by %s", v.Type().Key())
	}
	fields := make(map[string]*structpb.Value, v.Len())
	for it := v.MapRange(); it.Next(); {
		ev, ok, err := encodeValue(it.Value(), false)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", it.Key().String(), err)
		}
		if ok {
			fields[it.Key().String()] = ev
		}
	}
	if len(fields) == 0 && !keepEmpty {
		return nil, false, nil
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: fields}), true, nil
}

// encodeList keeps every element, an empty object too: a list's length and
// order mean something.
func encodeList(v reflect.Value) (*structpb.Value, bool, error) {
	values := make([]*structpb.Value, 0, v.Len())
	for i := range v.Len() {
		ev, ok, err := encodeValue(v.Index(i), true)
		if err != nil {
			return nil, false, fmt.Errorf("[%d]: %w", i, err)
		}
		if !ok {
			ev = structpb.NewNullValue()
		}
		values = append(values, ev)
	}
	return structpb.NewListValue(&structpb.ListValue{Values: values}), true, nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	default:
		return false
	}
}

// structField is how encoding/json sees one field of a struct.
type structField struct {
	index     int
	name      string
	omitEmpty bool
	inline    bool
}

// fieldsByType caches structFields: the same few types are encoded on every
// call.
var fieldsByType sync.Map // reflect.Type -> []structField

func structFields(t reflect.Type) []structField {
	if cached, ok := fieldsByType.Load(t); ok {
		return cached.([]structField)
	}
	var fields []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := structField{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")}
		if sf.Anonymous && name == "" || strings.Contains(","+opts+",", ",inline,") {
			f.inline = true
		}
		if f.name == "" {
			f.name = sf.Name
		}
		fields = append(fields, f)
	}
	fieldsByType.Store(t, fields)
	return fields
}
