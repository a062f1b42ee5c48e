// Command genxrd writes the XRDs under apis/ (apis/configuration and
// apis/legacy) from the Go types in apis/v1alpha1, running controller-gen's
// CRD generator in-process. Run it through `go generate ./...`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dittofs/function-dittofs/hack/genxrd/xrdgen"
)

func main() {
	root := flag.String("root", ".", "the module root")
	flag.Parse()
	if err := xrdgen.Write(*root); err != nil {
		fmt.Fprintln(os.Stderr, "genxrd:", err)
		os.Exit(1)
	}
}
