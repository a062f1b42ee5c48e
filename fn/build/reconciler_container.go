package build

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// ContainerReconciler applies spec.fileService beside DittoFS
// (cmd/reconciler; docs/fileservice.md).
const ContainerReconciler = "fileservice-reconciler"

const portReconciler = "reconciler"

// ReconcilerApplies reports whether the pod gets the reconciler: whenever a
// file service is declared. Under mTLS (spec.controlPlane.clientCASecretName)
// it presents the client certificate in
// spec.controlPlane.reconcilerClientCertSecretName, which spec.Validate
// requires then. The image is always there: images.reconciler defaults to
// this release's own package image.
func ReconcilerApplies(ds spec.DittoServer) bool {
	return spec.FileServiceDeclared(ds.Spec)
}

// reconcilerSidecar is the reconciler container and the volumes it alone
// mounts: the ConfigMap <xr>-fileservice and every Secret the declaration
// references, plus the admin Secret, each whole, so the kubelet's updates of
// their content reach the reconciler without restarting the pod (a Secret
// newly referenced is a new volume, which rolls it). Nil when
// ReconcilerApplies is false.
func reconcilerSidecar(ds spec.DittoServer, in v1beta1.Input) (*corev1.Container, []corev1.Volume) {
	if !ReconcilerApplies(ds) {
		return nil, nil
	}
	admin := AdminPasswordRef(ds)
	vols := []podVolume{configMapVolume("fileservice", ds.FileServiceConfigMapName(), spec.DeclaredMountPath)}
	secrets := ds.FileServiceSecrets()
	if !contains(secrets, admin.Name) {
		secrets = append(secrets, admin.Name)
	}
	for _, name := range secrets {
		vols = append(vols, secretVolume(declaredSecretVolume(name), name, path.Join(spec.DeclaredSecretsPath, name)))
	}
	apiArgs, apiVols := reconcilerAPI(ds, in)
	vols = append(vols, apiVols...)
	args := []string{
		"--config=" + path.Join(spec.DeclaredMountPath, spec.DeclaredConfigKey),
		"--admin-password-file=" + path.Join(spec.DeclaredSecretsPath, admin.Name, admin.Key),
	}
	args = append(args, apiArgs...)
	args = append(args, "--listen=:"+strconv.Itoa(spec.ReconcilerPort))
	c := &corev1.Container{
		Name:    ContainerReconciler,
		Image:   in.Images.Reconciler,
		Command: []string{"/reconciler"},
		Args:    args,
		Ports:   []corev1.ContainerPort{{Name: portReconciler, ContainerPort: spec.ReconcilerPort, Protocol: corev1.ProtocolTCP}},
		// Ready once the declaration was applied the first time, and from
		// then on: later errors are reported, never by taking the pod out
		// of its Services.
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString(portReconciler)}},
			PeriodSeconds: 5, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(portReconciler)}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		},
		SecurityContext: containerSecurityContext(nil),
	}
	vols = append(vols, withStatusChannel(ds, c))
	// It writes nothing to disk.
	c.SecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
	volumes := make([]corev1.Volume, 0, len(vols))
	for _, v := range vols {
		c.VolumeMounts = append(c.VolumeMounts, v.Mount)
		volumes = append(volumes, v.Volume)
	}
	return c, volumes
}

// ContainerPrestart is the reconciler's pre-start step, an init container.
const ContainerPrestart = "fileservice-prestart"

// reconcilerPrestart is the init container that runs the reconciler's
// pre-start step (`/reconciler --prestart`) after the wait for the
// database and before DittoFS: it points DittoFS's records of the declared
// postgres metadata stores on the server's own cluster at the cluster the
// user Secret names now, in DittoFS's database, since DittoFS opens them
// from those records at start and does not start without them
// (internal/reconciler/prestart.go). A server restored into a new cluster
// needs it: its records name the source's. Of the sidecar's mounts it
// has the declaration's ConfigMap and those stores' Secret, no other
// Secret, never the service account token or the API's certificates. Nil
// without such a store.
func reconcilerPrestart(ds spec.DittoServer, sidecar *corev1.Container) *corev1.Container {
	dirs := storesOnClusterSecretDirs(ds)
	if sidecar == nil || len(dirs) == 0 {
		return nil
	}
	c := &corev1.Container{
		Name:            ContainerPrestart,
		Image:           sidecar.Image,
		Command:         sidecar.Command,
		Args:            []string{"--prestart", "--config=" + path.Join(spec.DeclaredMountPath, spec.DeclaredConfigKey)},
		Resources:       sidecar.Resources,
		SecurityContext: sidecar.SecurityContext,
	}
	for _, m := range sidecar.VolumeMounts {
		if m.MountPath == spec.DeclaredMountPath || slices.Contains(dirs, m.MountPath) {
			c.VolumeMounts = append(c.VolumeMounts, m)
		}
	}
	// The stores are on the server's own cluster, whose CA DittoFS verifies
	// its database with: the step sends the store's password, so it
	// verifies the server as DittoFS does (the pod's postgres-ca volume).
	if ca := postgresCAVolume(ds); ca != nil {
		c.Args = append(c.Args, "--database-ca-file="+postgresCAFile)
		c.VolumeMounts = append(c.VolumeMounts, ca.Mount)
	}
	return c
}

// storesOnClusterSecretDirs are where the Secrets of the declared postgres
// metadata stores on the server's own Percona cluster are mounted.
func storesOnClusterSecretDirs(ds spec.DittoServer) []string {
	c := ds.Declared()
	if c == nil {
		return nil
	}
	var dirs []string
	for _, m := range c.MetadataStores {
		if pg := m.Postgres; pg != nil && pg.OnCluster && !slices.Contains(dirs, pg.SecretDir) {
			dirs = append(dirs, pg.SecretDir)
		}
	}
	return dirs
}

// reconcilerAPITLSDir is where the reconciler finds the certificate DittoFS
// serves its API with.
const reconcilerAPITLSDir = "/etc/dittofs-api-tls"

// reconcilerAPI are the flags that say how the reconciler reaches DittoFS's
// API in its pod, and the volume that needs. Over plain HTTP: 127.0.0.1.
// Over TLS (spec.controlPlane.certSecretName): the URL names the API
// Service's in-cluster DNS name, the one status.endpoints.api publishes and
// the certificate must carry for clients to verify it, so the reconciler
// verifies that name; --api-address makes it dial the pod's loopback
// whatever the name resolves to (the pod is not Ready, so not behind its
// Service, before the reconciler's first pass). It trusts only what
// tls.crt of that Secret holds, mounted alone (never tls.key): the
// certificate DittoFS is told to serve, and any chain with it. The image has
// no public CA bundle.
func reconcilerAPI(ds spec.DittoServer, in v1beta1.Input) ([]string, []podVolume) {
	port := strconv.Itoa(int(ds.Spec.ControlPlane.Port))
	cert := ds.Spec.ControlPlane.CertSecretName
	if cert == "" {
		return []string{"--api-url=http://127.0.0.1:" + port}, nil
	}
	host := ds.APIServiceName() + "." + ds.Namespace + ".svc." + in.ClusterDomain
	vol := secretKeyVolume("reconciler-api-tls", v1alpha1.SecretKeySelector{Name: cert, Key: "tls.crt"}, "tls.crt", reconcilerAPITLSDir, nil)
	args := []string{
		"--api-url=https://" + host + ":" + port,
		"--api-address=127.0.0.1:" + port,
		"--api-ca-file=" + path.Join(reconcilerAPITLSDir, "tls.crt"),
	}
	vols := []podVolume{vol}
	if clientArgs, clientVol := reconcilerClientCert(ds.Spec.ControlPlane); clientVol != nil {
		args = append(args, clientArgs...)
		vols = append(vols, *clientVol)
	}
	return args, vols
}

// reconcilerClientCertDir is where the reconciler finds the client
// certificate it presents under mTLS.
const reconcilerClientCertDir = "/etc/dittofs-api-client-tls"

// reconcilerClientCert is the client certificate the reconciler presents
// when DittoFS's API requires one (clientCASecretName): the whole
// reconcilerClientCertSecretName Secret (tls.crt, tls.key), mounted into
// the reconciler alone, like the declaration's Secrets: DittoFS never reads
// it, so it is no input of the pod's config hash (fn/rotation.go) and a
// renewal rolls nothing. The kubelet updates the files when the Secret is
// renewed, and the reconciler loads the key pair again on each pass
// (apiclient.New), so the renewed certificate is used from its next pass.
// Whole rather than by key: a key missing from it is then the
// reconciler's reported error, not a volume that keeps DittoFS from
// starting. Nil without mTLS (spec.Validate
// refuses the field then) or without the Secret (refused when a file
// service is declared, and there is no reconciler otherwise).
func reconcilerClientCert(c *v1alpha1.ControlPlaneSpec) ([]string, *podVolume) {
	if c.ClientCASecretName == "" || c.ReconcilerClientCertSecretName == "" {
		return nil, nil
	}
	vol := secretVolume("reconciler-api-client-tls", c.ReconcilerClientCertSecretName, reconcilerClientCertDir)
	return []string{
		"--api-client-cert=" + path.Join(reconcilerClientCertDir, "tls.crt"),
		"--api-client-key=" + path.Join(reconcilerClientCertDir, "tls.key"),
	}, &vol
}

// declaredSecretVolume names the volume of a referenced Secret: a Secret
// name may be longer than a volume name can be.
func declaredSecretVolume(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return "declared-secret-" + hex.EncodeToString(h[:])[:10]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
