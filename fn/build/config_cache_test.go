package build

import (
	"encoding"
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// TestRenderedConfigKeyIsComplete: the cache key (the config's JSON) sees
// every field RenderConfig's YAML sees, because every field of the config
// types is exported, not hidden from JSON, and of a plain type with no
// marshaler of its own. A field that breaks this would let two configs
// that render differently share a key.
func TestRenderedConfigKeyIsComplete(t *testing.T) {
	marshalers := []reflect.Type{
		reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler](),
		reflect.TypeFor[yaml.Marshaler](),
	}
	var check func(path string, typ reflect.Type)
	check = func(path string, typ reflect.Type) {
		for _, m := range marshalers {
			if typ.Implements(m) || reflect.PointerTo(typ).Implements(m) {
				t.Errorf("%s (%s) has a marshaler of its own", path, typ)
			}
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			check(path+"[]", typ.Elem())
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				if !f.IsExported() || f.Tag.Get("json") == "-" {
					t.Errorf("%s.%s is not in the config's JSON", path, f.Name)
				}
				check(path+"."+f.Name, f.Type)
			}
		case reflect.String, reflect.Bool, reflect.Int32:
		default:
			t.Errorf("%s is a %s: say why its JSON is complete, then allow it here", path, typ.Kind())
		}
	}
	check("DittoFSConfig", reflect.TypeFor[DittoFSConfig]())
}

// TestRenderConfigCached: RenderConfig (through the cache, twice: a miss,
// then a hit) gives the uncached YAML, byte for byte, for every example's
// server and for every change of one field of each, in turn: each change
// must render what it renders uncached, not a cached neighbour's bytes.
func TestRenderConfigCached(t *testing.T) {
	cases, err := corpus.Examples("../..")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, c DittoFSConfig) {
		t.Helper()
		want, err := renderConfigYAML(c)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			got, err := RenderConfig(c)
			if err != nil || got != want {
				t.Errorf("%s: RenderConfig = %q, %v; uncached %q", what, got, err, want)
			}
		}
	}
	for _, cs := range cases {
		req := cs.Request()
		in, err := spec.ReadInput(req.GetInput())
		if err != nil {
			t.Fatal(err)
		}
		ds, err := spec.Parse(req.GetObserved().GetComposite().GetResource(), spec.InputWithDefaults(in))
		if err != nil {
			t.Fatalf("%s: %v", cs.Name, err)
		}
		c := Config(ds)
		check(cs.Name, c)
		for i, changed := range oneFieldChanges(c) {
			check(cs.Name+" change "+string(rune('a'+i%26)), changed)
		}
	}
}

// oneFieldChanges are copies of c with one leaf field changed each (a
// string, bool or number; a nil pointer set to a zero struct).
func oneFieldChanges(c DittoFSConfig) []DittoFSConfig {
	var out []DittoFSConfig
	var walk func(get func(*DittoFSConfig) reflect.Value)
	walk = func(get func(*DittoFSConfig) reflect.Value) {
		v := get(&c)
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(func(x *DittoFSConfig) reflect.Value { return get(x).Field(i) })
			}
			return
		case reflect.Pointer:
			if !v.IsNil() {
				walk(func(x *DittoFSConfig) reflect.Value { return get(x).Elem() })
				return
			}
		case reflect.Slice:
			return
		default:
		}
		changed := deepCopyConfig(c)
		f := get(&changed)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "-changed")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int32:
			f.SetInt(f.Int() + 1)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		default:
			panic("oneFieldChanges: a config field of kind " + f.Kind().String() + "; TestRenderedConfigKeyIsComplete lists the kinds")
		}
		out = append(out, changed)
	}
	walk(func(x *DittoFSConfig) reflect.Value { return reflect.ValueOf(x).Elem() })
	return out
}

// deepCopyConfig copies c through its JSON, so a change to the copy never
// reaches c through a shared pointer.
func deepCopyConfig(c DittoFSConfig) DittoFSConfig {
	b, err := json.Marshal(c) //nolint:musttag // a copy by the Go names, as renderedConfigKey writes them
	if err != nil {
		panic(err)
	}
	var out DittoFSConfig
	if err := json.Unmarshal(b, &out); err != nil { //nolint:musttag // as above
		panic(err)
	}
	return out
}
