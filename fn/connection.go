package fn

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// Keys of the connection details: the same for a claim's connection Secret
// (legacy XRs) and the composed <xr>-connection Secret (modern XRs).
const (
	connAPIURL        = "api-url"
	connNFSEndpoint   = "nfs-endpoint"
	connSMBEndpoint   = "smb-endpoint"
	connAdminUsername = "admin-username"
	connAdminPassword = "admin-password"
)

func connectionSecretName(ds dittoServer) string { return ds.Name + "-connection" }

// connectionDetails tells a client how to reach and log in to DittoFS. The
// admin password is there only when the function generated it; a user who
// gave their own already has it.
func connectionDetails(e v1alpha1.EndpointsStatus, adminPassword []byte) resource.ConnectionDetails {
	cd := resource.ConnectionDetails{connAPIURL: []byte(e.API), connAdminUsername: []byte(adminUsername)}
	if e.NFS != "" {
		cd[connNFSEndpoint] = []byte(e.NFS)
	}
	if e.SMB != "" {
		cd[connSMBEndpoint] = []byte(e.SMB)
	}
	if len(adminPassword) > 0 {
		cd[connAdminPassword] = adminPassword
	}
	return cd
}

// connectionSecret carries the connection details of a modern XR, which
// Crossplane v2 no longer writes itself.
func connectionSecret(ds dittoServer, details resource.ConnectionDetails) *corev1.Secret {
	data := make(map[string][]byte, len(details))
	for k, v := range details {
		data[k] = v
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: connectionSecretName(ds), Namespace: ds.Namespace, Labels: labels(ds, componentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}
