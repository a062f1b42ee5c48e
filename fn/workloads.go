package fn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
)

const conditionWorkloadReady = "WorkloadReady"

// XR phases.
const (
	phasePending = "Pending"
	phaseRunning = "Running"
	phaseStopped = "Stopped"
)

// workloadKeys are the DittoFS side's objects: once any exists, all stay
// desired whatever the database does.
var workloadKeys = []resource.Name{
	keyConfig, keyJWTSecret, keyAdminSecret, keyStatefulSet, keyServiceHeadless, keyServiceAPI,
	keyServiceNFS, keyServiceSMB, keyServiceMetrics, keyNetworkPolicy, keyServiceMonitor, keyConnection, keyUsageServer,
}

// workloadsAllowed: with Percona, DittoFS is composed only once its database
// reports ready (DittoFS exits at once, without retry, on a database it
// cannot use), and never removed again once it exists.
func (c *composer) workloadsAllowed(cluster bool) bool {
	if !c.ds.Spec.Percona.Enabled || cluster {
		return true
	}
	for _, k := range workloadKeys {
		if c.isObserved(k) {
			return true
		}
	}
	return false
}

// composeWorkloads composes DittoFS: its config, Secrets, StatefulSet,
// Services, NetworkPolicy, ServiceMonitor, Usages and connection details.
func (c *composer) composeWorkloads(databaseReady bool, observedSTS *appsv1.StatefulSet) error {
	c.status.Phase = phasePending
	// Asked for whatever the database does: requirements follow the spec.
	c.requirePodSecrets(podSecrets(c.ds))
	if !c.workloadsAllowed(databaseReady) {
		msg := fmt.Sprintf("waiting for PerconaPGCluster %s to report ready before starting DittoFS", c.ds.PerconaClusterName())
		response.Normal(c.rsp, msg).TargetCompositeAndClaim()
		response.ConditionFalse(c.rsp, conditionWorkloadReady, "WaitingForDatabase").WithMessage(msg).TargetCompositeAndClaim()
		return nil
	}
	if c.ds.Spec.Percona.Enabled && databaseReady && observedSTS == nil {
		response.Normal(c.rsp, fmt.Sprintf("PerconaPGCluster %s is ready: starting DittoFS", c.ds.PerconaClusterName())).TargetCompositeAndClaim()
	}
	secrets, err := c.generateSecrets(c.random)
	if err != nil {
		return err
	}
	config, err := build.RenderConfig(build.Config(c.ds))
	if err != nil {
		return err
	}
	rot := c.podRotation(configHash(config, secrets), secrets)
	hash := rot.Hash.Template
	if err := c.composeConfigAndSecrets(config, secrets); err != nil {
		return err
	}
	if err := c.composeStatefulSet(rot, observedSTS); err != nil {
		return err
	}
	if err := c.composeNetwork(); err != nil {
		return err
	}
	if err := c.composeUsages(); err != nil {
		return err
	}
	e := build.Endpoints(c.ds, c.in)
	e.External = build.ExternalEndpoints(c.ds, c.loadBalancerHosts())
	c.status.Endpoints = &e
	c.status.ConfigHash = hash
	if err := c.composeConnection(build.ConnectionDetails(e, secrets.AdminPassword)); err != nil {
		return err
	}
	c.workloadStatus(observedSTS)
	return nil
}

// configHash is the part of the pod's hash that the function composes
// itself: config.yaml and the generated secret values. secretsHash adds the
// Secrets the pod reads (rotation.go).
func configHash(config string, g generatedSecrets) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(config), g.JWT, g.AdminPassword} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (c *composer) composeConfigAndSecrets(config string, g generatedSecrets) error {
	if err := c.add(keyConfig, build.ConfigMap(c.ds, config), c.readyOnceObserved(keyConfig)); err != nil {
		return err
	}
	if g.JWT != nil {
		if err := c.add(keyJWTSecret, build.JWTSecret(c.ds, g.JWT), c.readyOnceObserved(keyJWTSecret)); err != nil {
			return err
		}
	}
	if g.AdminPassword != nil {
		return c.add(keyAdminSecret, build.AdminSecret(c.ds, g.AdminPassword), c.readyOnceObserved(keyAdminSecret))
	}
	return nil
}

// composeStatefulSet keeps the volume claim templates of a running
// StatefulSet: they are immutable, and the guards already refused any
// change but growth, which the user applies to the PVCs.
func (c *composer) composeStatefulSet(rot rotation, observed *appsv1.StatefulSet) error {
	sts := build.StatefulSet(c.ds, c.in, rot.Hash.Template)
	sts.Annotations[annotationSecretsHash] = rot.Hash.Secrets
	if rot.AdminDigest != "" {
		sts.Annotations[annotationAdminPassword] = rot.AdminDigest
	}
	if observed != nil && len(observed.Spec.VolumeClaimTemplates) > 0 {
		sts.Spec.VolumeClaimTemplates = keptClaimTemplates(observed.Spec.VolumeClaimTemplates)
		if grown := c.grownVolumes(observed); len(grown) > 0 {
			response.Warning(c.rsp, errors.Errorf("spec.storage: volume claim templates are immutable; grow the PVCs yourself (kubectl patch pvc ... with spec.resources.requests.storage, if the storage class allows expansion): %s", strings.Join(grown, ", "))).TargetCompositeAndClaim()
		}
	}
	return c.add(keyStatefulSet, sts, readiness(statefulSetRolledOut(observed)))
}

// keptClaimTemplates are the observed templates without what the API server
// added (status).
func keptClaimTemplates(vcts []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim {
	out := make([]corev1.PersistentVolumeClaim, 0, len(vcts))
	for _, v := range vcts {
		v = *v.DeepCopy()
		v.Status = corev1.PersistentVolumeClaimStatus{}
		out = append(out, v)
	}
	return out
}

func (c *composer) composeNetwork() error {
	s := c.ds.Spec
	if err := c.add(keyServiceHeadless, build.HeadlessService(c.ds), c.readyOnceObserved(keyServiceHeadless)); err != nil {
		return err
	}
	if err := c.add(keyServiceAPI, build.APIService(c.ds), c.readyOnceObserved(keyServiceAPI)); err != nil {
		return err
	}
	if *s.Adapters.NFS.Enabled {
		if err := c.add(keyServiceNFS, build.AdapterService(c.ds, c.ds.NFSServiceName(), build.PortNFS, s.Adapters.NFS), c.readyOnceObserved(keyServiceNFS)); err != nil {
			return err
		}
	}
	if *s.Adapters.SMB.Enabled {
		if err := c.add(keyServiceSMB, build.AdapterService(c.ds, c.ds.SMBServiceName(), build.PortSMB, s.Adapters.SMB), c.readyOnceObserved(keyServiceSMB)); err != nil {
			return err
		}
	}
	if err := c.add(keyNetworkPolicy, build.NetworkPolicy(c.ds), c.readyOnceObserved(keyNetworkPolicy)); err != nil {
		return err
	}
	if !s.Metrics.Enabled {
		return nil
	}
	if err := c.add(keyServiceMetrics, build.MetricsService(c.ds), c.readyOnceObserved(keyServiceMetrics)); err != nil {
		return err
	}
	return c.composeServiceMonitor()
}

// composeServiceMonitor composes the ServiceMonitor when asked for and its
// kind is installed; without the Prometheus operator it says so instead of
// failing every apply.
func (c *composer) composeServiceMonitor() error {
	if !c.ds.Spec.Metrics.ServiceMonitor.Enabled {
		return nil
	}
	if c.kindMissing(keyServiceMonitor, schemaServiceMonitor, "monitoring.coreos.com/v1", "ServiceMonitor") {
		response.Warning(c.rsp, errors.Errorf("spec.metrics.serviceMonitor.enabled: the ServiceMonitor kind (monitoring.coreos.com/v1) is not installed; install the Prometheus operator or turn it off. The metrics Service %s is there to scrape", c.ds.MetricsServiceName())).TargetCompositeAndClaim()
		return nil
	}
	return c.add(keyServiceMonitor, build.ServiceMonitor(c.ds), c.readyOnceObserved(keyServiceMonitor))
}

// composeUsages orders deletion: DittoFS before its database, the database
// before its S3 credentials.
func (c *composer) composeUsages() error {
	if !c.ds.Spec.Percona.Enabled {
		return nil
	}
	if err := c.add(keyUsageServer, build.ServerUsesDatabase(c.ds), c.readyByCondition(keyUsageServer)); err != nil {
		return err
	}
	return nil
}

func (c *composer) composeConnection(details resource.ConnectionDetails) error {
	if c.ds.Legacy {
		// Crossplane writes a legacy XR's connection details to its claim's
		// connection Secret.
		c.connection = details
		return nil
	}
	return c.add(keyConnection, build.ConnectionSecret(c.ds, details), c.readyOnceObserved(keyConnection))
}

// workloadStatus sets the phase, ready replicas and WorkloadReady.
func (c *composer) workloadStatus(sts *appsv1.StatefulSet) {
	want := *c.ds.Spec.Replicas
	if sts != nil {
		c.status.ReadyReplicas = sts.Status.ReadyReplicas
	}
	switch {
	case want == 0 && (sts == nil || statefulSetRolledOut(sts)):
		c.status.Phase = phaseStopped
		response.ConditionTrue(c.rsp, conditionWorkloadReady, "Stopped").WithMessage("DittoFS is stopped (spec.replicas is 0)").TargetCompositeAndClaim()
	case statefulSetRolledOut(sts):
		c.status.Phase = phaseRunning
		response.ConditionTrue(c.rsp, conditionWorkloadReady, "Available").WithMessage(fmt.Sprintf("DittoFS is serving at %s", c.status.Endpoints.API)).TargetCompositeAndClaim()
	case sts == nil:
		response.ConditionFalse(c.rsp, conditionWorkloadReady, "Creating").WithMessage(fmt.Sprintf("creating StatefulSet %s", c.ds.Name)).TargetCompositeAndClaim()
	default:
		response.ConditionFalse(c.rsp, conditionWorkloadReady, "RollingOut").WithMessage(fmt.Sprintf(
			"StatefulSet %s: %d of %d replicas ready, %d updated", c.ds.Name, sts.Status.ReadyReplicas, want, sts.Status.UpdatedReplicas)).TargetCompositeAndClaim()
	}
}

// loadBalancerHosts are the addresses the observed API, NFS and SMB Services'
// load balancers report (status.loadBalancer.ingress: the first IP or
// hostname), for status.endpoints.external and the connection details.
func (c *composer) loadBalancerHosts() build.LoadBalancerHosts {
	return build.LoadBalancerHosts{
		API: c.loadBalancerHost(keyServiceAPI),
		NFS: c.loadBalancerHost(keyServiceNFS),
		SMB: c.loadBalancerHost(keyServiceSMB),
	}
}

func (c *composer) loadBalancerHost(key resource.Name) string {
	r := c.req.GetObserved().GetResources()[string(key)].GetResource()
	ingress := r.GetFields()["status"].GetStructValue().GetFields()["loadBalancer"].GetStructValue().GetFields()["ingress"].GetListValue().GetValues()
	for _, in := range ingress {
		f := in.GetStructValue().GetFields()
		if ip := f["ip"].GetStringValue(); ip != "" {
			return ip
		}
		if host := f["hostname"].GetStringValue(); host != "" {
			return host
		}
	}
	return ""
}
