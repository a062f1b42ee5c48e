package spec

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// validateReconcilerClientCert: under mTLS DittoFS refuses every client
// without a certificate its client CA signs, the in-pod reconciler too, so a
// declared file service needs the certificate it presents; without it the
// declaration would be rendered and never applied. A certificate for a
// server that verifies none would be mounted for nothing: refused as well,
// so the spec says what the pod does.
func validateReconcilerClientCert(p *field.Path, s v1alpha1.DittoServerSpec) field.ErrorList {
	c := s.ControlPlane
	switch {
	case c.ReconcilerClientCertSecretName != "" && c.ClientCASecretName == "":
		return field.ErrorList{field.Forbidden(p.Child("reconcilerClientCertSecretName"),
			"it is the client certificate the file-service reconciler presents under mTLS, which spec.controlPlane.clientCASecretName turns on; remove it, or set clientCASecretName")}
	case c.ClientCASecretName != "" && c.ReconcilerClientCertSecretName == "" && FileServiceDeclared(s):
		return field.ErrorList{field.Required(p.Child("reconcilerClientCertSecretName"),
			"spec.controlPlane.clientCASecretName makes DittoFS's API require client certificates, so the in-pod reconciler that applies spec.fileService needs one: name a kubernetes.io/tls Secret (tls.crt, tls.key) in the XR's namespace whose certificate the CA in "+c.ClientCASecretName+" signs (extended key usage clientAuth), or remove spec.fileService, or unset clientCASecretName")}
	}
	return nil
}
