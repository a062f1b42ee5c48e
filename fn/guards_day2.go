package fn

import (
	"fmt"
	"sort"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// conditionFunctionSuccess is False on the XR while the function refuses
// its spec.
const conditionFunctionSuccess = "FunctionSuccess"

// day2Guards are the guards of changes over a cluster's life that are not
// about one volume or the database kind: backups off, the Percona volumes'
// class, a legacy XR's namespace.
func (c *composer) day2Guards(cluster *pgv2.PerconaPGCluster) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, c.namespaceGuard()...)
	if cluster == nil || !c.ds.Spec.Percona.Enabled {
		return errs
	}
	errs = append(errs, c.perconaStorageClassGuard(cluster)...)
	return append(errs, c.backupRemovalGuard(cluster)...)
}

// backupRemovalGuard: turning backups off on a cluster with a repository
// stops WAL archiving and removes the repository host; it needs the user's
// explicit authorizeRemoval.
func (c *composer) backupRemovalGuard(cluster *pgv2.PerconaPGCluster) field.ErrorList {
	b := c.ds.Spec.Percona.Backup
	if b.Enabled || b.AuthorizeRemoval || !hasBackupRepository(cluster) {
		return nil
	}
	p := field.NewPath("spec", "percona", "backup")
	return field.ErrorList{field.Forbidden(p.Child("enabled"), fmt.Sprintf(
		"PerconaPGCluster %s backs up to a pgBackRest repository; turning backups off stops WAL archiving and point-in-time recovery, and removes the repository host (the backups already in the bucket stay there). "+
			"To turn them off, also set %s: true; to keep them, set enabled back to true",
		c.ds.PerconaClusterName(), p.Child("authorizeRemoval")))}
}

// hasBackupRepository: the observed cluster has backups on (Percona reads an
// absent enabled as true) with a repository.
func hasBackupRepository(cluster *pgv2.PerconaPGCluster) bool {
	return ptr.Deref(cluster.Spec.Backups.Enabled, true) && len(cluster.Spec.Backups.PGBackRest.Repos) > 0
}

// keepBackupRemovalAuthorized: an authorisation given stays while backups
// are off, even once authorizeRemoval is gone from the spec. The operator
// removes the repository host on a later reconcile; dropping the annotation
// before that would pause the cluster after all.
func (c *composer) keepBackupRemovalAuthorized(cluster *pgv2.PerconaPGCluster) {
	b := c.ds.Spec.Percona.Backup
	if !b.Enabled && cluster.Annotations[build.AnnotationAuthorizeBackupRemoval] == "true" {
		b.AuthorizeRemoval = true
	}
}

// perconaStorageClassGuard: the database volumes' class is fixed by their
// PVCs. Only a class the user wrote can differ (an unset one is bound to the
// observed class).
func (c *composer) perconaStorageClassGuard(cluster *pgv2.PerconaPGCluster) field.ErrorList {
	if len(cluster.Spec.InstanceSets) == 0 {
		return nil
	}
	was := deref(cluster.Spec.InstanceSets[0].DataVolumeClaimSpec.StorageClassName)
	now := deref(c.ds.Spec.Percona.StorageClassName)
	if was == now {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath("spec", "percona", "storageClassName"), fmt.Sprintf(
		"the volumes of PerconaPGCluster %s are of class %s, not %s: a PVC's class cannot change. Keep %s here (or remove the field), or create a new DittoServer and move the data",
		c.ds.PerconaClusterName(), className(was), className(now), className(was)))}
}

// namespaceGuard: a claimless legacy XR names its namespace in spec.namespace;
// a new one would re-create every object empty there and delete these with
// their data.
func (c *composer) namespaceGuard() field.ErrorList {
	if !c.ds.Legacy || c.ds.ClaimName != "" {
		return nil
	}
	kind, name, was := c.observedNamespace()
	if was == "" || was == c.ds.Namespace {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath(spec.LegacyNamespaceField), fmt.Sprintf(
		"the composed objects live in namespace %q (%s %s among them); a new namespace would create them empty in %q and delete these, with their data. Keep %q",
		was, kind, name, c.ds.Namespace, was))}
}

// observedNamespace is the namespace of the first observed namespaced
// composed object, in key order.
func (c *composer) observedNamespace() (kind, name, namespace string) {
	keys := make([]string, 0, len(c.req.GetObserved().GetResources()))
	for k := range c.req.GetObserved().GetResources() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := c.req.GetObserved().GetResources()[k].GetResource()
		meta := r.GetFields()["metadata"].GetStructValue().GetFields()
		if ns := meta["namespace"].GetStringValue(); ns != "" {
			return r.GetFields()["kind"].GetStringValue(), meta["name"].GetStringValue(), ns
		}
	}
	return "", "", ""
}

// succeeded sets FunctionSuccess=True on every call that composed, as
// Crossplane's function-template-go does: the XR and its claim always say
// whether the last call was refused, and a refusal (a False from a refused
// change or bad input, which Crossplane keeps until a function returns the
// condition again) clears as soon as the user undoes it.
func succeeded(rsp *fnv1.RunFunctionResponse) {
	response.ConditionTrue(rsp, conditionFunctionSuccess, "Composed").
		WithMessage("the spec was composed; nothing is refused").TargetCompositeAndClaim()
}
