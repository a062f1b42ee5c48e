package fn

import (
	"strconv"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

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
	was, now := spec.ImageMajor(running), spec.ImageMajor(offered)
	// Without a version on both sides (a digest, latest) there is no major
	// to keep: the Input applies as it always did. Another repository is
	// not this server's image (someone edited the StatefulSet): drift,
	// which the composed image corrects.
	if was == "" || now == "" || was == now || spec.ImageRepository(running) != spec.ImageRepository(offered) {
		return
	}
	c.ds.Spec.Image = running
	response.Warning(c.rsp, errors.Errorf(
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
		if ctr := v.GetStructValue(); ctr.GetFields()["name"].GetStringValue() == build.ContainerDittoFS {
			return ctr.GetFields()["image"].GetStringValue()
		}
	}
	return ""
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
	if spec.PostgresImage(c.in, major) != "" {
		return nil
	}
	return errors.Errorf("invalid function Input: images.postgres has no image for PostgreSQL %d, which PerconaPGCluster %s runs "+
		"(spec.percona.postgresVersion is not set, so the cluster keeps the major it was created with): pin images.postgres.%q in the Composition's Input",
		major, c.ds.PerconaClusterName(), strconv.Itoa(int(major)))
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}
