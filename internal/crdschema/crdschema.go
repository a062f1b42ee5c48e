// Package crdschema turns CRDs into the OpenAPI v3 documents the API server
// serves at /openapi/v3/apis/<group>/<version>: what `crossplane composition
// render --required-schemas` reads to answer a function's required schemas.
// The render tests and `make render` use it to tell the function which kinds
// the simulated cluster has installed, from the real CRDs.
package crdschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

type crd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
	Kind string `json:"kind"`
}

// Documents returns one OpenAPI v3 document per group/version holding the
// schemas of the CRDs in the multi-document YAML stream, keyed like the API
// server's (for example apis/pgv2.percona.com/v2). Only kinds listed in
// kinds are kept, or all when kinds is empty.
func Documents(stream []byte, kinds ...string) (map[string][]byte, error) {
	docs := map[string]map[string]any{}
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	for {
		var c crd
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot decode CRD: %w", err)
		}
		if c.Kind != "CustomResourceDefinition" || !wanted(c.Spec.Names.Kind, kinds) {
			continue
		}
		for _, v := range c.Spec.Versions {
			if !v.Served {
				continue
			}
			path := "apis/" + c.Spec.Group + "/" + v.Name
			if docs[path] == nil {
				docs[path] = map[string]any{}
			}
			schema := v.Schema.OpenAPIV3Schema
			schema["x-kubernetes-group-version-kind"] = []any{map[string]any{"group": c.Spec.Group, "version": v.Name, "kind": c.Spec.Names.Kind}}
			docs[path][schemaName(c.Spec.Group, v.Name, c.Spec.Names.Kind)] = schema
		}
	}
	out := make(map[string][]byte, len(docs))
	for path, schemas := range docs {
		b, err := json.Marshal(map[string]any{
			"openapi":    "3.0.0",
			"info":       map[string]any{"title": "Kubernetes", "version": "unversioned"},
			"paths":      map[string]any{},
			"components": map[string]any{"schemas": schemas},
		})
		if err != nil {
			return nil, err
		}
		out[path] = b
	}
	return out, nil
}

// schemaName is the API server's name for a CRD's schema: the reversed group.
func schemaName(group, version, kind string) string {
	parts := strings.Split(group, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".") + "." + version + "." + kind
}

func wanted(kind string, kinds []string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}
