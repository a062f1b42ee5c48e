package xrdgen

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const crdHeader = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: dittoservers.dittofs.dittofs.com
spec:
  group: dittofs.dittofs.com
  versions:
`

func TestSchemasFromCRD(t *testing.T) {
	cases := map[string]struct {
		crd     string
		want    Schemas
		wantErr string
	}{
		"TakesDescriptionSpecAndStatus": {
			crd: crdHeader + `  - name: v1alpha1
    schema:
      openAPIV3Schema:
        description: A DittoServer.
        properties:
          apiVersion: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [storage]
            properties:
              replicas: {type: integer, default: 1}
          status:
            type: object
            properties:
              phase: {type: string}
`,
			want: Schemas{
				Description: "A DittoServer.",
				Spec: map[string]any{
					"type":       "object",
					"required":   []any{"storage"},
					"properties": map[string]any{"replicas": map[string]any{"type": "integer", "default": 1.0}},
				},
				Status: map[string]any{
					"type":       "object",
					"properties": map[string]any{"phase": map[string]any{"type": "string"}},
				},
			},
		},
		"NoStatus": {
			crd: crdHeader + `  - name: v1alpha1
    schema:
      openAPIV3Schema:
        properties:
          spec: {type: object}
`,
			wantErr: "no spec or no status",
		},
		"WrongVersion": {
			crd: crdHeader + `  - name: v1beta1
    schema:
      openAPIV3Schema:
        properties:
          spec: {type: object}
          status: {type: object}
`,
			wantErr: `version is "v1beta1"`,
		},
		"TwoVersions": {
			crd:     crdHeader + "  - name: v1alpha1\n  - name: v1alpha2\n",
			wantErr: "2 versions",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := SchemasFromCRD([]byte(tc.crd))
			checkResult(t, "SchemasFromCRD(crd)", tc.want, got, tc.wantErr, err)
		})
	}
}

// checkResult fails t unless call returned an error containing wantErr
// (when one is wanted) or, with none wanted, returned want.
func checkResult[T any](t *testing.T, call string, want, got T, wantErr string, err error) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s: err = %v, want one containing %q", call, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: -want, +got:\n%s", call, diff)
	}
}

func TestLegacySpec(t *testing.T) {
	namespace := map[string]any{
		"type":        "string",
		"description": "Namespace for the composed objects when the XR has no claim; ignored for claims, whose objects go to the claim's namespace.",
		"maxLength":   63,
		"pattern":     `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`,
	}
	cases := map[string]struct {
		spec    map[string]any
		want    map[string]any
		wantErr string
	}{
		"AddsNamespaceAndKeepsTheRest": {
			spec: map[string]any{
				"type":                     "object",
				"required":                 []any{"storage"},
				"properties":               map[string]any{"storage": map[string]any{"type": "object"}},
				"x-kubernetes-validations": []any{map[string]any{"rule": "true"}},
			},
			want: map[string]any{
				"type":                     "object",
				"required":                 []any{"storage"},
				"properties":               map[string]any{"storage": map[string]any{"type": "object"}, "namespace": namespace},
				"x-kubernetes-validations": []any{map[string]any{"rule": "true"}},
			},
		},
		"SpecWithoutProperties": {
			spec: map[string]any{"type": "object"},
			want: map[string]any{"type": "object", "properties": map[string]any{"namespace": namespace}},
		},
		"RefusesAGoFieldOfTheSameName": {
			spec:    map[string]any{"properties": map[string]any{"namespace": map[string]any{"type": "string"}}},
			wantErr: `already has a "namespace" field`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := deepCopy(tc.spec)
			got, err := LegacySpec(tc.spec)
			if diff := cmp.Diff(before, any(tc.spec)); diff != "" {
				t.Errorf("LegacySpec changed its argument (-before +after):\n%s", diff)
			}
			checkResult(t, "LegacySpec(spec)", tc.want, got, tc.wantErr, err)
		})
	}
}

func TestXRDs(t *testing.T) {
	s := Schemas{
		Description: "A DittoServer.",
		Spec:        map[string]any{"type": "object", "properties": map[string]any{}},
		Status:      map[string]any{"type": "object"},
	}
	legacy, err := Legacy(s)
	if err != nil {
		t.Fatal(err)
	}
	modern := Modern(s)

	// The fields Crossplane's XRD CEL rules and the function depend on.
	cases := map[string]struct {
		got  any
		want any
	}{
		"ModernAPIVersion":   {modern["apiVersion"], "apiextensions.crossplane.io/v2"},
		"ModernScope":        {xrdSpec(modern)["scope"], "Namespaced"},
		"ModernKind":         {namesOf(modern, "names")["kind"], "DittoServer"},
		"ModernHasNoClaim":   {xrdSpec(modern)["claimNames"], nil},
		"ModernHasNoSecrets": {xrdSpec(modern)["connectionSecretKeys"], nil},
		"LegacyAPIVersion":   {legacy["apiVersion"], "apiextensions.crossplane.io/v1"},
		"LegacyScope":        {xrdSpec(legacy)["scope"], "LegacyCluster"},
		"LegacyXRKind":       {namesOf(legacy, "names")["kind"], "XDittoServer"},
		"LegacyXRPlural":     {namesOf(legacy, "names")["plural"], "xdittoservers"},
		"LegacyClaimKind":    {namesOf(legacy, "claimNames")["kind"], "DittoServer"},
		"LegacyClaimPlural":  {namesOf(legacy, "claimNames")["plural"], "dittoservers"},
		"LegacySecretKeys": {
			xrdSpec(legacy)["connectionSecretKeys"],
			[]any{"api-url", "nfs-endpoint", "smb-endpoint", "admin-username", "admin-password"},
		},
		"LegacyHasNamespace": {
			openAPI(legacy)["properties"].(map[string]any)["spec"].(map[string]any)["properties"].(map[string]any)["namespace"] != nil,
			true,
		},
		"ModernSchema": {
			openAPI(modern),
			map[string]any{
				"type":        "object",
				"description": "A DittoServer.",
				"required":    []any{"spec"},
				"properties":  map[string]any{"spec": s.Spec, "status": s.Status},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarshalIsSortedAndHeaded(t *testing.T) {
	got, err := Marshal(map[string]any{"b": 1, "a": map[string]any{"d": true, "c": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Header + "---\na:\n  c: x\n  d: true\nb: 1\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func xrdSpec(xrd map[string]any) map[string]any { return xrd["spec"].(map[string]any) }

func namesOf(xrd map[string]any, field string) map[string]any {
	return xrdSpec(xrd)[field].(map[string]any)
}

func openAPI(xrd map[string]any) map[string]any {
	v := xrdSpec(xrd)["versions"].([]any)[0].(map[string]any)
	return v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)
}
