package spec

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"

	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// TestAppendJSONIsProtojson: appendJSON writes the document protojson
// writes (the same values, numbers in the same digits, keys in the same
// order), so the spec decodes exactly as it did through protojson; and it
// fails where protojson fails.
func TestAppendJSONIsProtojson(t *testing.T) {
	for _, tc := range []struct {
		reason string
		value  any
	}{
		{"numbers stay whole below 1e21, so they decode into int fields", []any{0.0, 8080.0, 1e6, -3.0, 1e20, 1e21, 1.5e-7, 0.1, -0.000001, math.MaxInt64}},
		{"strings with what JSON escapes", []any{"", `"quoted" \back`, "tab\tnew\nline\x01\x1f", "ünïcødé ☃ \u2028", "<html>&"}},
		{"keys sorted, cases apart", map[string]any{"replicas": 1.0, "Replicas": 2.0, "b": nil, "a": true, "nested": map[string]any{"z": []any{}, "y": map[string]any{}}}},
		{"a spec as Crossplane sends it", map[string]any{
			"storage":    map[string]any{"metadataSize": "1Gi"},
			"percona":    map[string]any{"enabled": true, "replicas": 3.0, "backup": map[string]any{"bucket": "b", "retentionDays": 7.0}},
			"crossplane": map[string]any{"compositionRef": map[string]any{"name": "c"}},
		}},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			v, err := structpb.NewValue(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			want, err := protojson.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendJSON(nil, v)
			if err != nil {
				t.Fatalf("%s\nappendJSON(): %v", tc.reason, err)
			}
			// protojson adds spaces at random and escapes some
			// characters its own way: compare the documents read back,
			// numbers as written, and decoded into a typed value, where
			// the order of keys that match one field decides which wins.
			if diff := cmp.Diff(decode(t, want), decode(t, got)); diff != "" {
				t.Errorf("%s\nappendJSON(): -protojson, +got:\n%s", tc.reason, diff)
			}
			var wantTyped, gotTyped caseProbe
			_ = json.Unmarshal(want, &wantTyped)
			_ = json.Unmarshal(got, &gotTyped)
			if wantTyped != gotTyped {
				t.Errorf("%s\ndecoded typed: protojson's %+v, appendJSON's %+v", tc.reason, wantTyped, gotTyped)
			}
		})
	}
	bad := structpb.NewStringValue("\xff")
	if _, err := protojson.Marshal(bad); err == nil {
		t.Fatal("protojson.Marshal(invalid UTF-8): no error")
	}
	if _, err := appendJSON(nil, bad); err == nil {
		t.Error("appendJSON(invalid UTF-8): no error, protojson has one")
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		v := structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(f)}})
		if _, err := protojson.Marshal(v); err == nil {
			t.Fatalf("protojson.Marshal(%v): no error", f)
		}
		if _, err := appendJSON(nil, v); err == nil {
			t.Errorf("appendJSON(%v): no error, protojson has one", f)
		}
	}
}

// caseProbe has a field two keys of a document can match.
type caseProbe struct {
	Replicas float64 `json:"replicas"`
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return x
}

// TestReadInputIsTheSDKs: ReadInput decodes an Input as the SDK's
// request.GetInput does, and fails where it fails.
func TestReadInputIsTheSDKs(t *testing.T) {
	for _, tc := range []struct {
		reason string
		input  map[string]any
	}{
		{"no Input at all", nil},
		{"every kind of field", map[string]any{
			"apiVersion": "dittofs.fn.crossplane.io/v1beta1", "kind": "Input", "metadata": map[string]any{"name": "x"},
			"images":    map[string]any{"dittofs": "d:1", "postgres": map[string]any{"17": "p:17"}, "pgBackRest": "b:1"},
			"crVersion": "2.9.0", "postgresVersion": 16.0, "clusterDomain": "c.local",
		}},
		{"an unknown field, which the SDK refuses", map[string]any{"versions": map[string]any{"crVersion": "2.9.0"}}},
		{"a field whose case differs, which the SDK does not match", map[string]any{"CRVersion": "2.9.0"}},
		{"a field of the wrong type", map[string]any{"images": "not an object"}},
		{"a number where an int32 goes that is not whole", map[string]any{"postgresVersion": 16.5}},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			var s *structpb.Struct
			if tc.input != nil {
				var err error
				if s, err = structpb.NewStruct(tc.input); err != nil {
					t.Fatal(err)
				}
			}
			var want v1beta1.Input
			wantErr := request.GetInput(&fnv1.RunFunctionRequest{Input: s}, &want)
			got, err := ReadInput(s)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%s\nReadInput(): error %v, the SDK's %v", tc.reason, err, wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nReadInput(): -SDK, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
