package crdschema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const stream = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: perconapgclusters.pgv2.percona.com}
spec:
  group: pgv2.percona.com
  names: {kind: PerconaPGCluster}
  versions:
  - name: v2
    served: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
  - name: v1
    served: false
    schema: {openAPIV3Schema: {type: object}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: perconapgbackups.pgv2.percona.com}
spec:
  group: pgv2.percona.com
  names: {kind: PerconaPGBackup}
  versions:
  - name: v2
    served: true
    schema: {openAPIV3Schema: {type: object}}
`

func TestDocuments(t *testing.T) {
	cases := map[string]struct {
		kinds []string
		want  map[string]map[string]any
	}{
		"OnlyTheKindAsked": {
			kinds: []string{"PerconaPGCluster"},
			want: map[string]map[string]any{"apis/pgv2.percona.com/v2": {
				"com.percona.pgv2.v2.PerconaPGCluster": map[string]any{
					"type":                            "object",
					"properties":                      map[string]any{"spec": map[string]any{"type": "object"}},
					"x-kubernetes-group-version-kind": []any{map[string]any{"group": "pgv2.percona.com", "version": "v2", "kind": "PerconaPGCluster"}},
				},
			}},
		},
		"AllServedKinds": {
			want: map[string]map[string]any{"apis/pgv2.percona.com/v2": {
				"com.percona.pgv2.v2.PerconaPGCluster": map[string]any{
					"type":                            "object",
					"properties":                      map[string]any{"spec": map[string]any{"type": "object"}},
					"x-kubernetes-group-version-kind": []any{map[string]any{"group": "pgv2.percona.com", "version": "v2", "kind": "PerconaPGCluster"}},
				},
				"com.percona.pgv2.v2.PerconaPGBackup": map[string]any{
					"type":                            "object",
					"x-kubernetes-group-version-kind": []any{map[string]any{"group": "pgv2.percona.com", "version": "v2", "kind": "PerconaPGBackup"}},
				},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs, err := Documents([]byte(stream), tc.kinds...)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]any{}
			for path, b := range docs {
				var doc struct {
					OpenAPI    string `json:"openapi"`
					Components struct {
						Schemas map[string]any `json:"schemas"`
					} `json:"components"`
				}
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
				if doc.OpenAPI != "3.0.0" {
					t.Errorf("%s: openapi %q", path, doc.OpenAPI)
				}
				got[path] = doc.Components.Schemas
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Documents(): -want, +got:\n%s", diff)
			}
		})
	}
}
