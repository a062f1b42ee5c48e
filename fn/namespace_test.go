package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestNamespaceMessages: which XRD an XR is of is told by its kind, so a
// namespaced DittoServer without a namespace (every DittoFS operator doc
// manifest, rendered as it is) is told about metadata.namespace, not about
// a cluster-scoped XDittoServer's spec.namespace.
func TestNamespaceMessages(t *testing.T) {
	const spec = `"spec":{"storage":{"metadataSize":"10Gi"}}`
	cases := map[string]struct {
		reason string
		xr     string
		want   []string
	}{
		"DittoServerWithoutNamespace": {
			reason: "A modern XR is namespaced; a missing namespace is its own error.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","uid":"uid-1"},` + spec + `}`,
			want: []string{`SEVERITY_FATAL: invalid DittoServer "files": metadata.namespace: Required value: a DittoServer is namespaced and its objects go to its namespace: ` +
				`set metadata.namespace (kubectl apply -n fills it in; crossplane render takes it only from the XR file)`},
		},
		"DittoServerWithoutNamespaceIgnoresSpecNamespace": {
			reason: "spec.namespace is a field of the legacy XRD only; it does not make a DittoServer legacy.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","uid":"uid-1"},"spec":{"namespace":"ops","storage":{"metadataSize":"10Gi"}}}`,
			want: []string{`SEVERITY_FATAL: invalid DittoServer "files": metadata.namespace: Required value: a DittoServer is namespaced and its objects go to its namespace: ` +
				`set metadata.namespace (kubectl apply -n fills it in; crossplane render takes it only from the XR file)`},
		},
		"XDittoServerWithoutClaimOrNamespace": {
			reason: "A legacy XR names the field of its own XRD.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files","uid":"uid-1"},` + spec + `}`,
			want:   []string{`SEVERITY_FATAL: invalid XDittoServer "files": spec.namespace: Required value: a cluster-scoped XDittoServer without a claim must name the namespace its objects go to`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(`{}`)
			req.Observed.Composite = &fnv1.Resource{Resource: resource.MustStructJSON(tc.xr)}
			got := resultStrings(compose(t, req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nresults: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestParseDittoServerLegacyByKind: the composed objects' namespace and the
// connection-details path follow the kind.
func TestParseDittoServerLegacyByKind(t *testing.T) {
	cases := map[string]struct {
		reason string
		xr     string
		want   spec.DittoServer
	}{
		"DittoServerInItsNamespace": {
			reason: "A modern XR's objects go to its own namespace.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","namespace":"storage","uid":"u"}}`,
			want:   spec.DittoServer{Kind: "DittoServer", Name: "files", Namespace: "storage", UID: "u"},
		},
		"DittoServerWithoutNamespaceIsNotLegacy": {
			reason: "No namespace makes no legacy XR; claim labels on it are not read.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"files","uid":"u","labels":{"crossplane.io/claim-namespace":"team-a"}}}`,
			want:   spec.DittoServer{Kind: "DittoServer", Name: "files", UID: "u"},
		},
		"XDittoServerFromAClaim": {
			reason: "A legacy XR's objects go to its claim's namespace.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files-x7k2p","uid":"u","labels":{"crossplane.io/claim-name":"files","crossplane.io/claim-namespace":"team-a"}}}`,
			want:   spec.DittoServer{Kind: "XDittoServer", Name: "files-x7k2p", Namespace: "team-a", UID: "u", Legacy: true, ClaimName: "files"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := spec.Parse(resource.MustStructJSON(tc.xr), fixture.Input())
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Spec = spec.WithDefaults(v1alpha1.DittoServerSpec{}, fixture.Input())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nparseDittoServer(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
