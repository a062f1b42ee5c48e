package fn

import (
	"fmt"
	"strconv"
	"strings"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// writtenSpec records which of the fields that bind at creation the user
// wrote in the spec, before any default was applied. A field the user left
// out takes the value of the object that already exists, so a Composition
// Input whose default moves on (a new PostgreSQL major, a new storage class)
// shapes only new objects, and unsetting an explicit field changes nothing.
// A guard fires only on a value the user wrote.
//
// The XRD's own schema defaults (databaseName: dittofs) are written by the
// API server before the function sees the XR, so for those a value equal to
// the default reads as written.
type writtenSpec struct {
	PostgresVersion     bool
	PerconaStorageClass bool
	DatabaseName        bool
	StorageClass        bool
	Image               bool
}

// writtenFields reads s as the user wrote it, before withSpecDefaults.
func writtenFields(s v1alpha1.DittoServerSpec) writtenSpec {
	w := writtenSpec{StorageClass: s.Storage.StorageClassName != nil, Image: s.Image != ""}
	if p := s.Percona; p != nil {
		w.PostgresVersion = p.PostgresVersion != 0
		w.PerconaStorageClass = p.StorageClassName != nil
		w.DatabaseName = p.DatabaseName != ""
	}
	return w
}

// bindToObserved takes every value the function chose for an object that
// now exists from that object, where the user did not write it: the
// PostgreSQL major, the database name, the instance set and the storage
// class of the Percona cluster; the storage class of DittoFS's volumes.
func (c *composer) bindToObserved(cluster *pgv2.PerconaPGCluster, sts *appsv1.StatefulSet) error {
	if cluster != nil && c.ds.Spec.Percona.Enabled {
		c.bindPercona(cluster)
		c.keepBackupRemovalAuthorized(cluster)
		if err := c.boundMajorHasImage(cluster); err != nil {
			return err
		}
	}
	if sts != nil && !c.ds.Written.StorageClass && len(sts.Spec.VolumeClaimTemplates) > 0 {
		c.ds.Spec.Storage.StorageClassName = copyString(sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName)
	}
	if sts != nil && !c.ds.Written.Image {
		c.bindServerMajor()
	}
	return nil
}

// bindServerMajor keeps a live server on its DittoFS major when the Input's
// default image moves to another one: a new major may migrate the control
// plane's database one way, so it is a decision per server, taken by
// writing spec.image, not a platform-wide default that rolls every server
// at once. Within the major the Input's image applies and rolls.
func (c *composer) bindServerMajor() {
	running, offered := c.observedServerImage(), c.ds.Spec.Image
	was, now := imageMajor(running), imageMajor(offered)
	// Without a version on both sides (a digest, latest) there is no major
	// to keep: the Input applies as it always did. Another repository is
	// not this server's image (someone edited the StatefulSet): drift,
	// which the composed image corrects.
	if was == "" || now == "" || was == now || imageRepository(running) != imageRepository(offered) {
		return
	}
	c.ds.Spec.Image = running
	response.Warning(c.rsp, fmt.Errorf(
		"spec.image: the Composition's Input offers DittoFS %s, another major than the %s this server runs, so the server keeps %s; to upgrade it, back up and write spec.image: %s",
		offered, running, running, offered)).TargetCompositeAndClaim()
}

// observedServerImage is the image of the observed StatefulSet's DittoFS
// container, read straight from the request: decoding the pod template
// would cost more than the rest of a reconcile.
func (c *composer) observedServerImage() string {
	s := c.req.GetObserved().GetResources()[string(keyStatefulSet)].GetResource()
	for _, key := range []string{"spec", "template", "spec"} {
		s = s.GetFields()[key].GetStructValue()
	}
	for _, v := range s.GetFields()["containers"].GetListValue().GetValues() {
		if ctr := v.GetStructValue(); ctr.GetFields()["name"].GetStringValue() == containerDittoFS {
			return ctr.GetFields()["image"].GetStringValue()
		}
	}
	return ""
}

// imageRepository is an image reference without its tag and digest.
func imageRepository(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref = ref[:i]
	}
	return ref
}

// imageMajor is the major of an image's tag: 0 of dittofs:v0.29.0, 17 of
// 17.9-1; "" for an image without a tag (nothing to compare).
func imageMajor(image string) string {
	tag, ok := imageTag(image)
	if !ok {
		return ""
	}
	return tagMajor(strings.TrimPrefix(tag, "v"))
}

func (c *composer) bindPercona(cluster *pgv2.PerconaPGCluster) {
	p, w := c.ds.Spec.Percona, c.ds.Written
	if !w.PostgresVersion && cluster.Spec.PostgresVersion != 0 {
		p.PostgresVersion = int32(cluster.Spec.PostgresVersion) //nolint:gosec // G115: a PostgreSQL major version, two digits
	}
	if was := observedDatabaseName(cluster); !w.DatabaseName && was != "" {
		p.DatabaseName = was
	}
	if len(cluster.Spec.InstanceSets) == 0 {
		return
	}
	set := cluster.Spec.InstanceSets[0]
	if set.Name != "" {
		c.ds.InstanceSet = set.Name
	}
	if !w.PerconaStorageClass {
		p.StorageClassName = copyString(set.DataVolumeClaimSpec.StorageClassName)
	}
}

// boundMajorHasImage: a cluster that keeps the major it was created with
// needs the Input to still pin an image for it.
func (c *composer) boundMajorHasImage(_ *pgv2.PerconaPGCluster) error {
	major := c.ds.Spec.Percona.PostgresVersion
	if postgresImage(c.in, major) != "" {
		return nil
	}
	return fmt.Errorf("invalid function Input: images.postgres has no image for PostgreSQL %d, which PerconaPGCluster %s runs "+
		"(spec.percona.postgresVersion is not set, so the cluster keeps the major it was created with): pin images.postgres.%q in the Composition's Input",
		major, perconaClusterName(c.ds), strconv.Itoa(int(major)))
}

// instanceSetName is the Percona instance set: the observed cluster's, or
// the one new clusters get.
func instanceSetName(ds dittoServer) string {
	return orDefault(ds.InstanceSet, perconaInstanceSet)
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}
