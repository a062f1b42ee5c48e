package fn

import (
	"fmt"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

func TestZZScratch(t *testing.T) {
	for _, xr := range []string{
		`{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"}}`,
		`{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"},"spec":null}`,
		`{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"},"spec":"x"}`,
		`{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"},"spec":{"namespace":5,"storage":{"metadataSize":"10Gi"}}}`,
		`{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","namespace":"x"}}`,
	} {
		req := xrRequest(`{}`)
		req.Observed.Composite = &fnv1.Resource{Resource: resource.MustStructJSON(xr)}
		fmt.Println(resultStrings(run(t, req)))
	}
}
