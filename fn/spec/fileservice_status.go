package spec

// The status channel of the declared file service: the reconciler in the
// DittoFS pod reports through the ConfigMap <name>-fileservice-status,
// whose one data key it alone writes, as the ServiceAccount
// <name>-fileservice-reconciler; the Role of the same name allows get and
// patch on that ConfigMap and nothing else (docs/fileservice.md).

// FileServiceStatusConfigMapName is the ConfigMap the reconciler reports in.
func (ds DittoServer) FileServiceStatusConfigMapName() string {
	return ds.Name + "-fileservice-status"
}

// ReconcilerServiceAccountName is the DittoFS pod's ServiceAccount when the
// reconciler runs; only the reconciler container mounts a token of it.
// The Role and RoleBinding share its name.
func (ds DittoServer) ReconcilerServiceAccountName() string {
	return ds.Name + "-fileservice-reconciler"
}

// ReconcilerTokenPath is the directory of the reconciler's projected
// service account token, CA and namespace: client-go's in-cluster config
// reads them there.
const ReconcilerTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// ReconcilerTokenSeconds is the token's lifetime: the shortest the API
// server allows; the kubelet renews it at 80% of that, and client-go
// rereads the file.
const ReconcilerTokenSeconds = 600
