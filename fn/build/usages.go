package build

import (
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// Crossplane deletes all composed objects of a deleted XR at once, and
// functions do not run during deletion. Usages make its deletion wait: the
// "of" object is deleted only after the "by" object is gone.
const (
	usageAPIVersion = "protection.crossplane.io/v1beta1"
	usageKind       = "Usage"
)

// usageRef names one end of a Usage in the XR's namespace.
type usageRef struct {
	APIVersion, Kind, Name string
}

// usage builds the Usage name: by uses of. replayDeletion retries a
// deletion the Usage blocked once by is gone, so the XR's deletion completes
// without waiting for the garbage collector's next pass.
func usage(ds spec.DittoServer, name, reason string, of, by usageRef) *composed.Unstructured {
	u := composed.New()
	u.SetAPIVersion(usageAPIVersion)
	u.SetKind(usageKind)
	u.SetName(name)
	u.SetNamespace(ds.Namespace)
	u.SetLabels(ds.Labels(spec.ComponentServer))
	u.Object["spec"] = map[string]any{
		"of":             usageEnd(of),
		"by":             usageEnd(by),
		"reason":         reason,
		"replayDeletion": true,
	}
	return u
}

func usageEnd(r usageRef) map[string]any {
	return map[string]any{"apiVersion": r.APIVersion, "kind": r.Kind, "resourceRef": map[string]any{"name": r.Name}}
}

// ServerUsesDatabase keeps the database until the DittoFS StatefulSet is
// gone, so DittoFS never runs against a database being torn down.
func ServerUsesDatabase(ds spec.DittoServer) *composed.Unstructured {
	return usage(ds, ds.Name+"-server-uses-database",
		"DittoFS stores its control plane in this database",
		usageRef{"pgv2.percona.com/v2", "PerconaPGCluster", ds.PerconaClusterName()},
		usageRef{"apps/v1", "StatefulSet", ds.Name})
}

// DatabaseUsesCredentials keeps the S3 credentials until the cluster is
// gone: the Percona operator still talks to the repository while it deletes.
func DatabaseUsesCredentials(ds spec.DittoServer, secret string) *composed.Unstructured {
	return usage(ds, ds.Name+"-database-uses-s3-credentials",
		"pgBackRest reads its S3 credentials from this Secret",
		usageRef{"v1", "Secret", secret},
		usageRef{"pgv2.percona.com/v2", "PerconaPGCluster", ds.PerconaClusterName()})
}
