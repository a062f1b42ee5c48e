// Command crdschema writes the OpenAPI v3 documents of CRDs into a directory,
// one JSON file per group/version, for `crossplane composition render
// --required-schemas`.
//
//	go run ./hack/crdschema -o DIR [-kind K ...] CRD.yaml...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dittofs/function-dittofs/internal/crdschema"
)

type kinds []string

func (k *kinds) String() string     { return strings.Join(*k, ",") }
func (k *kinds) Set(v string) error { *k = append(*k, v); return nil }

func main() {
	out := flag.String("o", "", "directory to write the documents to")
	var only kinds
	flag.Var(&only, "kind", "keep only this kind (repeatable)")
	flag.Parse()
	if err := run(*out, only, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "crdschema:", err)
		os.Exit(1)
	}
}

func run(out string, only []string, files []string) error {
	if out == "" || len(files) == 0 {
		return fmt.Errorf("usage: crdschema -o DIR [-kind K ...] CRD.yaml [CRD.yaml ...]")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		stream, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		docs, err := crdschema.Documents(stream, only...)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for path, doc := range docs {
			name := filepath.Join(out, strings.ReplaceAll(path, "/", "_")+".json")
			if err := os.WriteFile(name, doc, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
