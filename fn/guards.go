package fn

import (
	"fmt"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// unsafeChangeError is a spec change that would lose or strand data. The whole
// call fails with it, so Crossplane applies nothing.
type unsafeChangeError struct{ errs field.ErrorList }

func (u unsafeChangeError) Error() string {
	return "refusing a change that would lose data, nothing was applied: " + spec.JoinFieldErrors(u.errs)
}

// checkGuards compares the spec with what runs and refuses what a server
// with data cannot take.
func (c *composer) checkGuards(cluster *pgv2.PerconaPGCluster, sts *appsv1.StatefulSet) error {
	var errs field.ErrorList
	errs = append(errs, c.perconaGuards(cluster)...)
	errs = append(errs, c.serverGuards(sts)...)
	errs = append(errs, c.day2Guards(cluster)...)
	fileService, err := c.fileServiceGuards()
	if err != nil {
		return err
	}
	errs = append(errs, fileService...)
	if len(errs) > 0 {
		return unsafeChangeError{errs: errs}
	}
	return nil
}

func (c *composer) perconaGuards(cluster *pgv2.PerconaPGCluster) field.ErrorList {
	if cluster == nil {
		return nil
	}
	p := field.NewPath("spec", "percona")
	pc := c.ds.Spec.Percona
	name := c.ds.PerconaClusterName()
	if !pc.Enabled {
		return field.ErrorList{field.Forbidden(p.Child("enabled"), fmt.Sprintf(
			"PerconaPGCluster %s holds DittoFS's control plane (users, shares, adapters); turning Percona off would delete it. Keep it on; to retire it, move the control plane to another database and create a new DittoServer there", name))}
	}
	var errs field.ErrorList
	if cluster.Spec.PostgresVersion != 0 && cluster.Spec.PostgresVersion != int(pc.PostgresVersion) {
		errs = append(errs, field.Forbidden(p.Child("postgresVersion"), fmt.Sprintf(
			"PerconaPGCluster %s runs PostgreSQL %d; a major upgrade is a PerconaPGUpgrade, not a spec change. Keep %d here until it is done",
			name, cluster.Spec.PostgresVersion, cluster.Spec.PostgresVersion)))
	}
	if was := observedDatabaseName(cluster); was != "" && was != pc.DatabaseName {
		errs = append(errs, field.Forbidden(p.Child("databaseName"), fmt.Sprintf(
			"DittoFS's control plane is in database %q; a new name would start it on an empty database. Keep %q", was, was)))
	}
	if len(cluster.Spec.InstanceSets) > 0 {
		was := cluster.Spec.InstanceSets[0].DataVolumeClaimSpec.Resources.Requests[corev1.ResourceStorage]
		if smaller(pc.StorageSize, was) {
			errs = append(errs, field.Forbidden(p.Child("storageSize"), fmt.Sprintf(
				"the database volumes are %s; volumes cannot shrink", was.String())))
		}
	}
	return errs
}

func observedDatabaseName(cluster *pgv2.PerconaPGCluster) string {
	for _, u := range cluster.Spec.Users {
		if string(u.Name) == spec.PerconaUser && len(u.Databases) > 0 {
			return string(u.Databases[0])
		}
	}
	return ""
}

// serverGuards protect a live DittoFS server: its database and its volumes.
func (c *composer) serverGuards(sts *appsv1.StatefulSet) field.ErrorList {
	if sts == nil {
		return nil
	}
	var errs field.ErrorList
	was, now := sts.Annotations[build.AnnotationDatabase], build.DatabaseKind(c.ds.Spec)
	if was != "" && was != now {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "database"), fmt.Sprintf(
			"DittoFS %s keeps its control plane (users, shares, adapters) on %s; switching to %s would start it empty there. Keep the database as it is, or create a new DittoServer on %s and move the control plane to it",
			c.ds.Name, was, now, now)))
	}
	return append(errs, c.storageGuards(sts)...)
}

// storageGuards: volume claim templates are immutable, and a claim that is
// smaller, of another class, added or removed would strand or lose data.
func (c *composer) storageGuards(sts *appsv1.StatefulSet) field.ErrorList {
	p := field.NewPath("spec", "storage")
	st := c.ds.Spec.Storage
	want := map[string]string{build.VolumeMetadata: st.MetadataSize, build.VolumeContent: st.ContentSize, build.VolumeControlPlane: st.ControlPlaneSize}
	fields := map[string]string{build.VolumeMetadata: "metadataSize", build.VolumeContent: "contentSize", build.VolumeControlPlane: "controlPlaneSize"}
	migrate := "volume claim templates are immutable: to move, create a new DittoServer and copy the data, or resize the PVC itself"
	var errs field.ErrorList
	seen := map[string]bool{}
	for _, vct := range sts.Spec.VolumeClaimTemplates {
		name := vct.Name
		seen[name] = true
		f := p.Child(fields[name])
		was := vct.Spec.Resources.Requests[corev1.ResourceStorage]
		switch {
		case fields[name] == "":
			continue
		case want[name] == "":
			errs = append(errs, field.Forbidden(f, fmt.Sprintf("the %s volume (%s) exists and holds data; it cannot be removed", name, was.String())))
			continue
		case smaller(want[name], was):
			errs = append(errs, field.Forbidden(f, fmt.Sprintf("the %s volume is %s; it cannot shrink to %s (%s)", name, was.String(), want[name], migrate)))
		}
		if wasClass, nowClass := deref(vct.Spec.StorageClassName), deref(st.StorageClassName); wasClass != nowClass {
			errs = append(errs, field.Forbidden(p.Child("storageClassName"), fmt.Sprintf("the %s volume is of class %s, not %s (%s)", name, className(wasClass), className(nowClass), migrate)))
		}
	}
	if st.ContentSize != "" && !seen[build.VolumeContent] {
		errs = append(errs, field.Forbidden(p.Child("contentSize"), "the server runs without a content volume; "+migrate))
	}
	return errs
}

// grownVolumes names the claims the spec asks to grow: the StatefulSet cannot
// (its templates are immutable), so the user resizes the PVCs.
func (c *composer) grownVolumes(sts *appsv1.StatefulSet) []string {
	if sts == nil {
		return nil
	}
	st := c.ds.Spec.Storage
	want := map[string]string{build.VolumeMetadata: st.MetadataSize, build.VolumeContent: st.ContentSize, build.VolumeControlPlane: st.ControlPlaneSize}
	var grown []string
	for _, vct := range sts.Spec.VolumeClaimTemplates {
		was := vct.Spec.Resources.Requests[corev1.ResourceStorage]
		if w, ok := want[vct.Name]; ok && w != "" && larger(w, was) {
			grown = append(grown, fmt.Sprintf("%s-%s-0 to %s", vct.Name, c.ds.Name, w))
		}
	}
	return grown
}

func smaller(size string, than resource.Quantity) bool {
	q, err := resource.ParseQuantity(size)
	return err == nil && q.Cmp(than) < 0
}

func larger(size string, than resource.Quantity) bool {
	q, err := resource.ParseQuantity(size)
	return err == nil && q.Cmp(than) > 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func className(c string) string {
	if c == "" {
		return "(the cluster default)"
	}
	return fmt.Sprintf("%q", c)
}
