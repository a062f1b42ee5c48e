package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// The function applies every default itself (crossplane render, and any XR
// that reaches it without the API server, skip the XRD's), so an XRD default
// the function disagrees with would make the same XR compose differently
// on a cluster and in render. TestXRDDefaultsAgreeWithFunction asks the API
// server's defaulting for the XRD's defaults and requires the function's
// defaulting to give the same spec whether or not they were applied first.
func TestXRDDefaultsAgreeWithFunction(t *testing.T) {
	for _, x := range loadXRDs(t) {
		own := x.schema.Properties["spec"]
		for _, served := range x.served {
			specSchema := served.structural.Properties["spec"]
			inputs := []struct {
				name string
				spec map[string]any
			}{
				{"empty spec", map[string]any{}},
				{"every object as {}", everyObject(&specSchema)},
			}
			for _, input := range inputs {
				name, in := input.name, input.spec
				t.Run(x.file+"/"+served.name+"/"+name, func(t *testing.T) {
					d, err := defaultsDisagreement(served, &own, in)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range d.disagree {
						t.Errorf("%s\nfix the kubebuilder default marker in apis/v1alpha1 or the default in fn/spec/defaults.go, whichever is wrong", p)
					}
					if name == "empty spec" {
						return
					}
					// Every default in the XRD must have been applied, or
					// this input did not reach it.
					for _, p := range defaultPaths(&own, "spec") {
						if _, ok := lookup(d.xrdDefaulted, p); !ok {
							t.Errorf("%s: the XRD defaults it but the API server did not set it on %v: a parent object is missing from the input", p, in)
						}
					}
				})
			}
		}
	}
}

// TestDefaultsDisagreementFindsOne shows the comparison fails when an XRD
// default differs from the function's: the modern XRD with one default
// changed, as a wrong kubebuilder marker would.
func TestDefaultsDisagreementFindsOne(t *testing.T) {
	x, err := loadXRD(xrdFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	served := x.served[0]
	specSchema := served.structural.Properties["spec"]
	logging := specSchema.Properties["logging"]
	level := logging.Properties["level"]
	level.Default.Object = "DEBUG"
	logging.Properties["level"] = level
	specSchema.Properties["logging"] = logging
	served.structural.Properties["spec"] = specSchema

	own := x.schema.Properties["spec"]
	d, err := defaultsDisagreement(served, &own, everyObject(&specSchema))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`spec.logging.level: the function makes it "INFO" without the XRD's defaults and "DEBUG" with them`}
	if !reflect.DeepEqual(d.disagree, want) {
		t.Errorf("defaultsDisagreement with logging.level defaulted to DEBUG:\n got %q\nwant %q", d.disagree, want)
	}
}

// defaults is what defaultsDisagreement found.
type defaults struct {
	// xrdDefaulted is the object after the API server's defaulting.
	xrdDefaulted map[string]any
	// disagree names each field, with its path, that the function's
	// defaulting sets differently with the XRD's defaults applied first.
	disagree []string
}

// defaultsDisagreement creates an object of served with spec in (the API
// server's decoding: pruning and the schema's defaults), keeps the fields
// of the XRD's own spec schema own (not those xcrd adds), and compares the
// function's defaulting of that spec with its defaulting of in.
func defaultsDisagreement(served *servedCRD, own *structuralschema.Structural, in map[string]any) (defaults, error) {
	obj := served.object(in)
	if err := served.decode(obj); err != nil {
		return defaults{}, err
	}
	defaulted, _ := obj["spec"].(map[string]any)
	withXRD, err := functionDefaults(ownFields(defaulted, own))
	if err != nil {
		return defaults{}, fmt.Errorf("the spec with the XRD's defaults: %w", err)
	}
	without, err := functionDefaults(ownFields(in, own))
	if err != nil {
		return defaults{}, fmt.Errorf("the spec without them: %w", err)
	}
	return defaults{xrdDefaulted: obj, disagree: diffPaths("spec", without, withXRD)}, nil
}

// functionDefaults decodes spec strictly into the XR's Go type, applies the
// function's defaulting (with an empty Input's defaults) and returns the
// result as JSON values.
func functionDefaults(s map[string]any) (map[string]any, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var typed v1alpha1.DittoServerSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&typed); err != nil {
		return nil, err
	}
	withDefaults := spec.WithDefaults(typed, spec.InputWithDefaults(v1beta1.Input{}))
	b, err = json.Marshal(withDefaults)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// ownFields is a copy of s with only the fields own has: the XRD's, not the
// ones Crossplane's xcrd adds to the CRD (compositionRef, crossplane, ...).
func ownFields(s map[string]any, own *structuralschema.Structural) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		if _, ok := own.Properties[k]; ok {
			out[k] = runtime.DeepCopyJSONValue(v)
		}
	}
	return out
}

// everyObject is a value of s with every object-typed property present as
// an object, recursively, so that the API server applies nested defaults.
// Lists stay absent: defaults inside list items apply only to items the
// user writes, and the function defaults none.
func everyObject(s *structuralschema.Structural) map[string]any {
	out := map[string]any{}
	for name, p := range s.Properties {
		if p.Type == "object" {
			out[name] = everyObject(&p)
		}
	}
	return out
}

// defaultPaths lists the path of every property of s, outside lists and
// maps, that has a default.
func defaultPaths(s *structuralschema.Structural, path string) []string {
	var out []string
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if p.Default.Object != nil {
			out = append(out, path+"."+name)
		}
		out = append(out, defaultPaths(&p, path+"."+name)...)
	}
	return out
}

// diffPaths names every leaf where without and with differ, with its path.
func diffPaths(path string, without, with any) []string {
	wo, ok1 := without.(map[string]any)
	w, ok2 := with.(map[string]any)
	if ok1 && ok2 {
		var out []string
		keys := map[string]any{}
		for k := range wo {
			keys[k] = nil
		}
		for k := range w {
			keys[k] = nil
		}
		for _, k := range sortedKeys(keys) {
			out = append(out, diffPaths(path+"."+k, wo[k], w[k])...)
		}
		return out
	}
	if reflect.DeepEqual(without, with) {
		return nil
	}
	return []string{fmt.Sprintf("%s: the function makes it %s without the XRD's defaults and %s with them", path, show(without), show(with))}
}

// show writes a JSON value for a message; nil is "unset".
func show(v any) string {
	if v == nil {
		return "unset"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
