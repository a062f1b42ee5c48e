package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestValidateReconcilerClientCert: under mTLS a declared file service
// needs the client certificate its reconciler presents, and that
// certificate is refused where no client certificate is asked for; each
// message names the field and the fix.
func TestValidateReconcilerClientCert(t *testing.T) {
	mtls := func(clientCert string) *v1alpha1.ControlPlaneSpec {
		return &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls", ClientCASecretName: "api-clients", ReconcilerClientCertSecretName: clientCert}
	}
	missing := "spec.controlPlane.reconcilerClientCertSecretName: Required value: spec.controlPlane.clientCASecretName makes DittoFS's API require client certificates, so the in-pod reconciler that applies spec.fileService needs one: name a kubernetes.io/tls Secret (tls.crt, tls.key) in the XR's namespace whose certificate the CA in api-clients signs (extended key usage clientAuth), or remove spec.fileService, or unset clientCASecretName"
	cases := map[string]struct {
		reason      string
		cp          *v1alpha1.ControlPlaneSpec
		fileService *v1alpha1.FileServiceSpec
		want        []string
	}{
		"MTLSWithClientCert": {
			reason:      "under mTLS with a declared file service, the reconciler's certificate is all it needs",
			cp:          mtls("reconciler-client-tls"),
			fileService: fileService(),
		},
		"MTLSWithoutClientCert": {
			reason:      "the reconciler would be refused by DittoFS: the declaration would never be applied",
			cp:          mtls(""),
			fileService: fileService(),
			want:        []string{missing},
		},
		"MTLSNothingDeclared": {
			reason: "no file service, no reconciler, no certificate needed",
			cp:     mtls(""),
		},
		"MTLSEmptyFileService": {
			reason:      "an empty fileService declares nothing (spec.FileServiceDeclared): no reconciler runs",
			cp:          mtls(""),
			fileService: &v1alpha1.FileServiceSpec{},
		},
		"TLSWithoutClientCert": {
			reason:      "over TLS without client verification the reconciler needs no certificate",
			cp:          &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls"},
			fileService: fileService(),
		},
		"ClientCertWithoutMTLS": {
			reason:      "a client certificate for a server that asks for none would be mounted for nothing",
			cp:          &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls", ReconcilerClientCertSecretName: "reconciler-client-tls"},
			fileService: fileService(),
			want:        []string{"spec.controlPlane.reconcilerClientCertSecretName: Forbidden: it is the client certificate the file-service reconciler presents under mTLS, which spec.controlPlane.clientCASecretName turns on; remove it, or set clientCASecretName"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.PerconaSpec(nil)
			s.ControlPlane = tc.cp
			var got []string
			for _, e := range spec.Validate(withFileService(s, tc.fileService), fixture.Input()) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nValidate(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
