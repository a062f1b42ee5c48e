package build

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Keys of the connection details: the same for a claim's connection Secret
// (legacy XRs) and the composed <xr>-connection Secret (modern XRs).
const (
	connAPIURL      = "api-url"
	connNFSEndpoint = "nfs-endpoint"
	connSMBEndpoint = "smb-endpoint"
	// From outside the cluster, once a LoadBalancer Service has an address.
	connExternalAPIURL      = "external-api-url"
	connExternalNFSEndpoint = "external-nfs-endpoint"
	connExternalSMBEndpoint = "external-smb-endpoint"
	connAdminUsername       = "admin-username"
	connAdminPassword       = "admin-password"
)

// ConnectionDetails tells a client how to reach and log in to DittoFS. The
// admin password is there only when the function generated it; a user who
// gave their own already has it.
func ConnectionDetails(e v1alpha1.EndpointsStatus, adminPassword []byte) resource.ConnectionDetails {
	cd := resource.ConnectionDetails{connAPIURL: []byte(e.API), connAdminUsername: []byte(spec.AdminUsername)}
	if e.NFS != "" {
		cd[connNFSEndpoint] = []byte(e.NFS)
	}
	if e.SMB != "" {
		cd[connSMBEndpoint] = []byte(e.SMB)
	}
	if len(adminPassword) > 0 {
		cd[connAdminPassword] = adminPassword
	}
	if x := e.External; x != nil {
		for k, v := range map[string]string{connExternalAPIURL: x.API, connExternalNFSEndpoint: x.NFS, connExternalSMBEndpoint: x.SMB} {
			if v != "" {
				cd[k] = []byte(v)
			}
		}
	}
	return cd
}

// ConnectionSecret carries the connection details of a modern XR, which
// Crossplane v2 no longer writes itself.
func ConnectionSecret(ds spec.DittoServer, details resource.ConnectionDetails) *corev1.Secret {
	data := make(map[string][]byte, len(details))
	for k, v := range details {
		data[k] = v
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ds.ConnectionSecretName(), Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}
