package fn

import (
	"fmt"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
)

// bindPGBouncer decides whether DittoFS connects through the cluster's
// PgBouncer. Asking for it in the spec is not enough: the pod would be
// rolled onto a PgBouncer that is not serving yet (the operator writes
// pgbouncer-host into the user Secret as soon as spec.proxy is set, before
// its Deployment is up), and a DittoFS that cannot log in exits at once.
// So DittoFS goes through PgBouncer once the cluster reports every
// PgBouncer ready and, for a running server, the user Secret has the keys;
// and stays on it once its StatefulSet does, whatever PgBouncer's status
// says meanwhile (a restart of PgBouncer must not roll DittoFS). Turned
// off, DittoFS goes back to the primary at once: the primary's keys are
// always there.
func (c *composer) bindPGBouncer(cluster *pgv2.PerconaPGCluster, sts *appsv1.StatefulSet) {
	if !c.ds.PGBouncerEnabled() {
		return
	}
	switch {
	case c.observedServerHostKey() == build.PGBouncerHostKey:
		c.ds.ViaPGBouncer = true
	case !pgBouncerReady(cluster):
		c.pgBouncerPending(fmt.Sprintf("the PgBouncer of PerconaPGCluster %s is not ready yet", c.ds.PerconaClusterName()))
	case sts != nil && !c.userSecretHasPGBouncer():
		c.pgBouncerPending(fmt.Sprintf("Secret %s has no %s and %s yet", c.ds.PerconaUserSecretName(), build.PGBouncerHostKey, build.PGBouncerPortKey))
	default:
		c.ds.ViaPGBouncer = true
	}
}

// pgBouncerPending says why DittoFS does not use PgBouncer yet.
func (c *composer) pgBouncerPending(why string) {
	response.Normal(c.rsp, "spec.percona.proxy.pgBouncer is on, but "+why+": DittoFS connects to the primary until it is").TargetCompositeAndClaim()
}

// pgBouncerReady: the Percona operator reports every PgBouncer of the
// cluster ready, for the generation asked for.
func pgBouncerReady(pc *pgv2.PerconaPGCluster) bool {
	if pc == nil || pc.Status.ObservedGeneration != 0 && pc.Status.ObservedGeneration != pc.Generation {
		return false
	}
	b := pc.Status.PGBouncer
	return b.Size > 0 && b.Ready == b.Size
}

// userSecretHasPGBouncer: the Percona user Secret, as Crossplane last
// fetched it, has the keys DittoFS would read through PgBouncer.
func (c *composer) userSecretHasPGBouncer() bool {
	probe := podSecret{Role: "database", Secret: c.ds.PerconaUserSecretName(), Keys: []string{build.PGBouncerHostKey, build.PGBouncerPortKey}}
	return readPodSecret(c.req, c.ds.Namespace, probe).usable()
}

// observedServerHostKey is the user Secret key the observed StatefulSet's
// DittoFS container reads its database host from, read straight from the
// request as observedServerImage reads the image.
func (c *composer) observedServerHostKey() string {
	s := c.req.GetObserved().GetResources()[string(keyStatefulSet)].GetResource()
	for _, key := range []string{"spec", "template", "spec"} {
		s = s.GetFields()[key].GetStructValue()
	}
	for _, v := range s.GetFields()["containers"].GetListValue().GetValues() {
		ctr := v.GetStructValue()
		if ctr.GetFields()["name"].GetStringValue() != build.ContainerDittoFS {
			continue
		}
		for _, e := range ctr.GetFields()["env"].GetListValue().GetValues() {
			env := e.GetStructValue().GetFields()
			if env["name"].GetStringValue() == "DITTOFS_DATABASE_POSTGRES_HOST" {
				ref := env["valueFrom"].GetStructValue().GetFields()["secretKeyRef"].GetStructValue().GetFields()
				return ref["key"].GetStringValue()
			}
		}
	}
	return ""
}
