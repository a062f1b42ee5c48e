package wire

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// structField is one field of a struct as encoding/json sees it, after its
// rules for embedded structs (fields promoted, the shallowest or the tagged
// one winning a name, ties dropping both).
type structField struct {
	name   string
	index  []int // through embedded structs
	tagged bool
	quoted bool // the ",string" option
	// marshalers of the field's type, looked up once.
	marshalers marshalers
	// omit reports whether the field is left out: encoding/json's omitempty
	// and omitzero, with omitempty on a struct-typed field read as omitzero.
	omit func(reflect.Value) bool
}

// fieldsByType caches structFields: the same few types are encoded on every
// call.
var fieldsByType typeCache[[]structField]

func structFields(t reflect.Type) []structField {
	return fieldsByType.get(t, func(t reflect.Type) []structField { return dominantFields(collectFields(t)) })
}

// typeCache holds what was worked out once about each type.
type typeCache[V any] struct{ m sync.Map }

func (c *typeCache[V]) get(t reflect.Type, compute func(reflect.Type) V) V {
	if cached, ok := c.m.Load(t); ok {
		if v, ok := cached.(V); ok {
			return v
		}
	}
	v := compute(t)
	c.m.Store(t, v)
	return v
}

// embeddedStruct is an embedded struct whose fields are promoted, at the
// index path it is reached by.
type embeddedStruct struct {
	typ   reflect.Type
	index []int
}

// collectFields walks t and its embedded structs breadth first, as
// encoding/json's typeFields does.
func collectFields(t reflect.Type) []structField {
	var fields []structField
	next := []embeddedStruct{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, e := range current {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := range e.typ.NumField() {
				f, embedded, ok := fieldOf(e, i)
				switch {
				case !ok:
				case embedded != nil:
					// Its fields are explored next round.
					nextCount[embedded.typ]++
					if nextCount[embedded.typ] == 1 {
						next = append(next, *embedded)
					}
				case count[e.typ] > 1:
					// The same struct embedded twice at this depth: a
					// duplicate makes the name conflict and go.
					fields = append(fields, f, f)
				default:
					fields = append(fields, f)
				}
			}
		}
	}
	return fields
}

// fieldOf is field i of the struct e: a field, or an embedded struct to
// explore; ok is false for a field encoding/json does not see.
func fieldOf(e embeddedStruct, i int) (_ structField, _ *embeddedStruct, ok bool) {
	sf := e.typ.Field(i)
	if !jsonVisible(sf) {
		return structField{}, nil, false
	}
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return structField{}, nil, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if !validTagName(name) {
		name = ""
	}
	index := append(slices.Clip(e.index), i)
	ft := sf.Type
	if ft.Name() == "" && ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
		return structField{}, &embeddedStruct{typ: ft, index: index}, true
	}
	f := structField{
		name: name, index: index, tagged: name != "",
		quoted:     hasOption(opts, "string") && quotable(ft.Kind()),
		omit:       omitFunc(sf.Type, opts),
		marshalers: marshalersOf(sf.Type),
	}
	if f.name == "" {
		f.name = sf.Name
	}
	return f, nil, true
}

// jsonVisible: exported fields, and embedded structs even if unexported
// (their exported fields are promoted).
func jsonVisible(sf reflect.StructField) bool {
	if sf.Anonymous {
		t := sf.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return sf.IsExported() || t.Kind() == reflect.Struct
	}
	return sf.IsExported()
}

// dominantFields keeps, for each name, the field Go's embedding rules (with
// tags promoting) pick, in field order.
func dominantFields(fields []structField) []structField {
	slices.SortStableFunc(fields, func(a, b structField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) != len(group[1].index) || group[0].tagged != group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b structField) int { return slices.Compare(a.index, b.index) })
	return slices.Clip(out)
}

// omitFunc is when a field of type t with tag options opts is left out.
func omitFunc(t reflect.Type, opts string) func(reflect.Value) bool {
	omitEmpty := hasOption(opts, "omitempty")
	omitZero := hasOption(opts, "omitzero") || (omitEmpty && t.Kind() == reflect.Struct)
	var isZero func(reflect.Value) bool
	if omitZero {
		isZero = zeroFunc(t)
	}
	switch {
	case omitEmpty && omitZero:
		return func(v reflect.Value) bool { return isEmptyValue(v) || isZero(v) }
	case omitZero:
		return isZero
	case omitEmpty:
		return isEmptyValue
	default:
		return nil
	}
}

// zeroFunc is omitzero's test: the type's IsZero method if it has one
// (through a pointer too), else the zero value.
func zeroFunc(t reflect.Type) func(reflect.Value) bool {
	zeroerType := reflect.TypeFor[zeroer]()
	switch {
	case t.Kind() == reflect.Interface && t.Implements(zeroerType):
		return func(v reflect.Value) bool {
			return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || callIsZero(v)
		}
	case t.Kind() == reflect.Pointer && t.Implements(zeroerType):
		return func(v reflect.Value) bool { return v.IsNil() || callIsZero(v) }
	case t.Implements(zeroerType):
		return callIsZero
	case reflect.PointerTo(t).Implements(zeroerType):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			return callIsZero(v.Addr())
		}
	default:
		return reflect.Value.IsZero
	}
}

// zeroer is a type that says when it is zero, for omitzero.
type zeroer interface{ IsZero() bool }

func callIsZero(v reflect.Value) bool {
	z, ok := v.Interface().(zeroer)
	return ok && z.IsZero()
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	default:
		return false
	}
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

func quotable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	default:
		return false
	}
}

// validTagName is encoding/json's isValidTag: a name it accepts from a tag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
