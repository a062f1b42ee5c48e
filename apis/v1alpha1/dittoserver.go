package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DittoServer is one DittoFS deployment: its control-plane database (SQLite,
// an existing PostgreSQL, or a composed Percona PostgreSQL cluster with
// pgBackRest backups to S3) and its workloads.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories=crossplane
type DittoServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DittoServerSpec   `json:"spec"`
	Status DittoServerStatus `json:"status,omitempty"`
}

// DittoServerSpec is what the user asks for.
//
// +kubebuilder:validation:XValidation:rule="!has(self.percona) || !has(self.percona.enabled) || !self.percona.enabled || !has(self.database) || !has(self.database.postgresSecretRef)",message="spec.database.postgresSecretRef and spec.percona.enabled are alternatives: the database is either an existing PostgreSQL or the composed Percona cluster"
// +kubebuilder:validation:XValidation:rule="!has(self.controlPlane) || !has(self.controlPlane.clientCASecretName) || has(self.controlPlane.certSecretName)",message="spec.controlPlane.clientCASecretName requires spec.controlPlane.certSecretName: mTLS needs a server certificate"
// +kubebuilder:validation:XValidation:rule="!has(self.controlPlane) || !has(self.controlPlane.reconcilerClientCertSecretName) || has(self.controlPlane.clientCASecretName)",message="spec.controlPlane.reconcilerClientCertSecretName is the file-service reconciler's client certificate under mTLS: it requires spec.controlPlane.clientCASecretName; remove it, or set clientCASecretName"
type DittoServerSpec struct {
	// Image is the DittoFS container image. Defaults to the image pinned in
	// the function's Input.
	// +optional
	Image string `json:"image,omitempty"`

	// Replicas of the DittoFS server. DittoFS is a single-writer server, so
	// this is 0 (stopped) or 1.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources of the DittoFS container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// SecurityContext of the DittoFS container. Unset fields are hardened:
	// non-root, no privilege escalation, all capabilities dropped,
	// RuntimeDefault seccomp.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`

	// PodSecurityContext of the DittoFS pod. Defaults to fsGroup 65532 and
	// the hardened settings above.
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// TerminationGracePeriodSeconds for the DittoFS pod; DittoFS needs up to
	// 3 x shutdown_timeout + 5s to drain. Defaults to 105.
	// +kubebuilder:validation:Minimum=36
	// +optional
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// Affinity of the DittoFS pod.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// Tolerations of the DittoFS pod.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// NodeSelector of the DittoFS pod.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// PriorityClassName of the DittoFS pod.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// ImagePullSecrets of the DittoFS pod, for a private registry.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// ImagePullPolicy of every container in the DittoFS pod. Unset, Kubernetes
	// chooses (Always for :latest, else IfNotPresent).
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// PodLabels are added to the DittoFS pod. They cannot set the labels the
	// function puts there itself (app.kubernetes.io/name, instance,
	// component, managed-by): the StatefulSet, Services and NetworkPolicy
	// select the pod by them.
	// +optional
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// PodAnnotations are added to the DittoFS pod. Keys under dittofs.io/
	// are the function's own (the config hash that rolls the pod) and are
	// refused.
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// PropagateLabels lists keys of this XR's metadata.labels that are copied
	// to every composed object (and the pods: DittoFS's pod template and
	// Percona's spec.metadata.labels), e.g. cost-allocation or team labels. A
	// listed key the XR does not carry is skipped. The function's own label
	// keys (app.kubernetes.io/name, instance, component, managed-by) and
	// Crossplane's (crossplane.io/*) are refused.
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +optional
	PropagateLabels []string `json:"propagateLabels,omitempty"`

	// Storage of the DittoFS server.
	Storage StorageSpec `json:"storage"`

	// Database is DittoFS's control-plane database.
	// +optional
	Database *DatabaseSpec `json:"database,omitempty"`

	// ControlPlane is DittoFS's REST API.
	// +optional
	ControlPlane *ControlPlaneSpec `json:"controlPlane,omitempty"`

	// Identity configures authentication: JWT, the admin user, LDAP, Kerberos.
	// +optional
	Identity *IdentitySpec `json:"identity,omitempty"`

	// Adapters are the NFS and SMB protocol adapters.
	// +optional
	Adapters *AdaptersSpec `json:"adapters,omitempty"`

	// AdapterServices shapes the Services that expose the adapters.
	// +optional
	AdapterServices *ServiceSpec `json:"adapterServices,omitempty"`

	// Service shapes the Service that exposes the REST API.
	// +optional
	Service *ServiceSpec `json:"service,omitempty"`

	// Metrics is DittoFS's Prometheus endpoint.
	// +optional
	Metrics *MetricsSpec `json:"metrics,omitempty"`

	// Logging of the DittoFS server.
	// +optional
	Logging *LoggingSpec `json:"logging,omitempty"`

	// NetworkPolicy shapes the NetworkPolicy in front of the DittoFS pod.
	// +optional
	NetworkPolicy *NetworkPolicySpec `json:"networkPolicy,omitempty"`

	// Percona composes a Percona PostgreSQL cluster as DittoFS's control-plane
	// database.
	// +optional
	Percona *PerconaConfig `json:"percona,omitempty"`

	// FileService declares DittoFS's stores, shares, users, groups and
	// snapshot policies, applied in the pod without restarting DittoFS.
	// +optional
	FileService *FileServiceSpec `json:"fileService,omitempty"`
}

// StorageSpec sizes DittoFS's volumes. Volume claim templates are immutable:
// sizes may grow (when the storage class allows expansion) but never shrink,
// and the storage class cannot change on a live server.
type StorageSpec struct {
	// MetadataSize of the volume mounted at /data/store/metadata.
	// +kubebuilder:validation:Pattern=`^[0-9]+(Mi|Gi|Ti)$`
	MetadataSize string `json:"metadataSize"`

	// ContentSize of the volume mounted at /data/store/block. No volume when
	// unset.
	// +kubebuilder:validation:Pattern=`^[0-9]+(Mi|Gi|Ti)$`
	// +optional
	ContentSize string `json:"contentSize,omitempty"`

	// ControlPlaneSize of the volume mounted at /data/controlplane (the SQLite
	// database when no PostgreSQL is used).
	// +kubebuilder:default="1Gi"
	// +kubebuilder:validation:Pattern=`^[0-9]+(Mi|Gi|Ti)$`
	// +optional
	ControlPlaneSize string `json:"controlPlaneSize,omitempty"`

	// StorageClassName of DittoFS's volumes. Defaults to the Input's default
	// storage class, or the cluster's default when that is empty too.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// DatabaseSpec chooses DittoFS's control-plane database.
type DatabaseSpec struct {
	// Type of the database. With percona.enabled or postgresSecretRef it is
	// postgres whatever this says.
	// +kubebuilder:validation:Enum=sqlite;postgres
	// +kubebuilder:default=sqlite
	// +optional
	Type string `json:"type,omitempty"`

	// SQLite settings.
	// +optional
	SQLite *SQLiteSpec `json:"sqlite,omitempty"`

	// PostgresSecretRef names a Secret in the XR's namespace that holds an
	// existing PostgreSQL's connection: keys host, port (optional), database,
	// user and password. The key field is accepted for compatibility with the
	// DittoFS operator and ignored.
	// +optional
	PostgresSecretRef *SecretKeySelector `json:"postgresSecretRef,omitempty"`

	// SSLMode for an existing PostgreSQL. The composed Percona cluster always
	// uses verify-full with its own CA.
	// +kubebuilder:validation:Enum=disable;allow;prefer;require;verify-ca;verify-full
	// +kubebuilder:default=require
	// +optional
	SSLMode string `json:"sslMode,omitempty"`

	// CASecretRef names a Secret key holding the CA certificate of an existing
	// PostgreSQL, for sslMode verify-ca or verify-full.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`
}

// SQLiteSpec configures the SQLite control-plane database.
type SQLiteSpec struct {
	// Path of the SQLite file; it must be under /data/controlplane, the
	// persistent volume.
	// +kubebuilder:default="/data/controlplane/controlplane.db"
	// +kubebuilder:validation:Pattern=`^/data/controlplane/.+`
	// +optional
	Path string `json:"path,omitempty"`
}

// SecretKeySelector selects a key of a Secret in the XR's namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Key in the Secret.
	// +optional
	Key string `json:"key,omitempty"`
}

// LocalObjectReference names an object in the XR's namespace.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ControlPlaneSpec configures DittoFS's REST API.
//
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !self.tls || has(self.certSecretName)",message="spec.controlPlane.tls requires spec.controlPlane.certSecretName: the certificate DittoFS serves"
type ControlPlaneSpec struct {
	// Port the API listens on.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// TLS serves the API over HTTPS, with the certificate in certSecretName
	// (kept from the DittoFS operator's API; certSecretName alone does the
	// same). Probes and endpoints then use https.
	// +optional
	TLS bool `json:"tls,omitempty"`

	// CertSecretName names a kubernetes.io/tls Secret (tls.crt, tls.key):
	// DittoFS serves the API over TLS itself.
	// +optional
	CertSecretName string `json:"certSecretName,omitempty"`

	// ClientCASecretName names a Secret whose ca.crt verifies API clients
	// (mTLS). Requires certSecretName.
	// +optional
	ClientCASecretName string `json:"clientCASecretName,omitempty"`

	// ReconcilerClientCertSecretName names a kubernetes.io/tls Secret
	// (tls.crt, tls.key), signed by the CA in clientCASecretName, that the
	// in-pod file-service reconciler presents to DittoFS's API under mTLS.
	// Required when clientCASecretName is set and spec.fileService declares
	// something; only with clientCASecretName. Mounted into the reconciler
	// alone: a renewed certificate is used from its next pass, without
	// restarting DittoFS.
	// +optional
	ReconcilerClientCertSecretName string `json:"reconcilerClientCertSecretName,omitempty"`
}

// IdentitySpec configures authentication.
type IdentitySpec struct {
	// JWT signing of API tokens.
	// +optional
	JWT *JWTSpec `json:"jwt,omitempty"`

	// Admin is the bootstrap administrator.
	// +optional
	Admin *AdminSpec `json:"admin,omitempty"`

	// LDAP authentication.
	// +optional
	LDAP *LDAPSpec `json:"ldap,omitempty"`

	// Kerberos authentication for NFS and SMB.
	// +optional
	Kerberos *KerberosSpec `json:"kerberos,omitempty"`
}

// JWTSpec configures API tokens.
type JWTSpec struct {
	// SecretRef names the Secret key holding the signing secret (at least 32
	// characters). When unset the function generates one, once, in Secret
	// <xr>-jwt.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// AccessTokenDuration, a Go duration.
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	AccessTokenDuration string `json:"accessTokenDuration,omitempty"`

	// RefreshTokenDuration, a Go duration.
	// +kubebuilder:default="168h"
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	RefreshTokenDuration string `json:"refreshTokenDuration,omitempty"`
}

// AdminSpec configures the bootstrap administrator. DittoFS v0.29.0 always
// names it admin.
type AdminSpec struct {
	// Username of the administrator. DittoFS v0.29.0 ignores any other name,
	// so only admin is accepted.
	// +kubebuilder:validation:Enum=admin
	// +kubebuilder:default=admin
	// +optional
	Username string `json:"username,omitempty"`

	// PasswordSecretRef names the Secret key holding the cleartext initial
	// password. When unset the function generates one, once, in Secret
	// <xr>-admin. It only applies on the first boot against a database.
	// +optional
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef,omitempty"`
}

// LDAPSpec configures LDAP authentication.
type LDAPSpec struct {
	// Enabled turns LDAP authentication on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// URL of the LDAP server, ldap:// or ldaps://.
	// +kubebuilder:validation:Pattern=`^ldaps?://.+`
	URL string `json:"url"`
	// BaseDN to search users under.
	BaseDN string `json:"baseDN"`
	// BindDN to search as.
	BindDN string `json:"bindDN"`
	// BindPasswordSecretRef names the Secret key holding the bind password.
	// +optional
	BindPasswordSecretRef *SecretKeySelector `json:"bindPasswordSecretRef,omitempty"`
	// StartTLS upgrades an ldap:// connection.
	// +optional
	StartTLS bool `json:"startTLS,omitempty"`
	// AllowPlaintext permits binding without TLS.
	// +optional
	AllowPlaintext bool `json:"allowPlaintext,omitempty"`
	// UserAttr is the attribute that holds the username.
	// +optional
	UserAttr string `json:"userAttr,omitempty"`
	// Realm appended to usernames.
	// +optional
	Realm string `json:"realm,omitempty"`
	// IDMap chooses how LDAP identities map to UIDs and GIDs.
	// +kubebuilder:validation:Enum=rfc2307;rid
	// +optional
	IDMap string `json:"idmap,omitempty"`
	// NestedGroups resolves nested group membership.
	// +optional
	NestedGroups bool `json:"nestedGroups,omitempty"`
	// CACertSecretRef names the Secret key holding the LDAP server's CA.
	// +optional
	CACertSecretRef *SecretKeySelector `json:"caCertSecretRef,omitempty"`
	// InsecureSkipVerify skips verifying the LDAP server's certificate.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// KerberosSpec configures Kerberos for NFS and SMB.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || (has(self.servicePrincipal) && has(self.keytabSecretRef))",message="spec.identity.kerberos: servicePrincipal and keytabSecretRef are required when Kerberos is enabled"
type KerberosSpec struct {
	// Enabled turns Kerberos on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// ServicePrincipal, e.g. nfs/dittofs.example.com@EXAMPLE.COM.
	// +optional
	ServicePrincipal string `json:"servicePrincipal,omitempty"`
	// Realm, e.g. EXAMPLE.COM.
	// +optional
	Realm string `json:"realm,omitempty"`
	// NetBIOSDomain for SMB.
	// +optional
	NetBIOSDomain string `json:"netbiosDomain,omitempty"`
	// DNSDomain for SMB.
	// +optional
	DNSDomain string `json:"dnsDomain,omitempty"`
	// KeytabSecretRef names the Secret key holding the service keytab.
	// +optional
	KeytabSecretRef *SecretKeySelector `json:"keytabSecretRef,omitempty"`
	// Krb5ConfSecretRef names the Secret key holding krb5.conf.
	// +optional
	Krb5ConfSecretRef *SecretKeySelector `json:"krb5ConfSecretRef,omitempty"`
	// MachineAccount joins DittoFS to an Active Directory domain.
	// +optional
	MachineAccount *MachineAccountSpec `json:"machineAccount,omitempty"`
}

// MachineAccountSpec configures an Active Directory machine account.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || (has(self.accountName) && (has(self.secretRef) || has(self.keytabSecretRef)))",message="spec.identity.kerberos.machineAccount: accountName and one of secretRef or keytabSecretRef are required when it is enabled"
type MachineAccountSpec struct {
	// Enabled turns the machine account on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// AccountName, e.g. DITTOFS$.
	// +optional
	AccountName string `json:"accountName,omitempty"`
	// SecretRef names the Secret key holding the machine account password.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
	// KeytabSecretRef names the Secret key holding the machine keytab.
	// +optional
	KeytabSecretRef *SecretKeySelector `json:"keytabSecretRef,omitempty"`
	// DCAddress lists domain controllers.
	// +optional
	DCAddress []string `json:"dcAddress,omitempty"`
}

// AdaptersSpec configures the protocol adapters.
//
// +kubebuilder:validation:XValidation:rule="!has(self.smb) || (!has(self.smb.portmapper) && !has(self.smb.udp))",message="spec.adapters.smb: portmapper and udp are NFS settings; set them under spec.adapters.nfs"
type AdaptersSpec struct {
	// NFS adapter.
	// +optional
	NFS *AdapterSpec `json:"nfs,omitempty"`
	// SMB adapter.
	// +optional
	SMB *AdapterSpec `json:"smb,omitempty"`
}

// AdapterSpec configures one adapter's exposure. DittoFS v0.29.0 creates its
// adapters on first boot (NFS on 12049, SMB on 1445); port must match the
// port the adapter listens on.
type AdapterSpec struct {
	// Enabled exposes the adapter.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Port DittoFS listens on. Defaults: NFS 12049, SMB 1445.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// ServicePort clients dial. Defaults: NFS 2049, SMB 445.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	ServicePort int32 `json:"servicePort,omitempty"`
	// Portmapper (NFS only) exposes DittoFS's embedded portmapper.
	// +optional
	Portmapper *PortmapperSpec `json:"portmapper,omitempty"`
	// UDP (NFS only) exposes MOUNT, NLM and NSM over UDP on the NFS port.
	// +optional
	UDP *UDPSpec `json:"udp,omitempty"`
}

// PortmapperSpec exposes DittoFS's embedded portmapper (RFC 1057), which
// rpcinfo, showmount and NFSv3 clients without explicit ports ask where
// NFS, MOUNT, NLM and NSM listen. DittoFS v0.29.0 keeps it off until its NFS
// adapter setting portmapper_enabled is turned on (through its API, e.g.
// `dfsctl adapter settings nfs update --portmapper-enabled`) and the adapter
// restarts; set enabled here once it is on. The portmapper hands out the
// port DittoFS listens on (adapters.nfs.port), so the NFS Service then also
// serves that port under its own number.
type PortmapperSpec struct {
	// Enabled exposes the portmapper, over TCP and UDP.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Port DittoFS's portmapper listens on (its setting portmapper_port).
	// +kubebuilder:default=10111
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// ServicePort clients dial: rpcinfo and NFS clients ask port 111.
	// +kubebuilder:default=111
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	ServicePort int32 `json:"servicePort,omitempty"`
}

// UDPSpec exposes DittoFS's UDP transport for the NFS side protocols.
// DittoFS v0.29.0 serves MOUNT, NLM and NSM over UDP on the NFS port once
// its NFS adapter setting udp_enabled is on (`dfsctl adapter settings nfs
// update --udp-enabled`, then a restart); NFS itself is never served over
// UDP. BSD and macOS NFSv3 clients take locks over it.
type UDPSpec struct {
	// Enabled exposes the NFS port over UDP too.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// ServiceSpec shapes a Service.
//
// An unset type passes these rules: its default differs by Service (ClusterIP
// for spec.service, LoadBalancer for spec.adapterServices) and the XRD cannot
// tell them apart here; the function checks the defaulted type and refuses
// what does not apply, naming the field.
//
// +kubebuilder:validation:XValidation:rule="!has(self.loadBalancerSourceRanges) || !has(self.type) || self.type == 'LoadBalancer'",message="loadBalancerSourceRanges: only a Service of type LoadBalancer has a load balancer to restrict; set type: LoadBalancer"
// +kubebuilder:validation:XValidation:rule="!has(self.externalTrafficPolicy) || !has(self.type) || self.type in ['NodePort', 'LoadBalancer']",message="externalTrafficPolicy: only a Service of type NodePort or LoadBalancer takes traffic from outside the cluster; set type: NodePort or LoadBalancer"
type ServiceSpec struct {
	// Type of the Service.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	Type string `json:"type,omitempty"`
	// Annotations of the Service.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// LoadBalancerSourceRanges are the client CIDRs a LoadBalancer admits
	// (e.g. the office's 203.0.113.0/24); unset, any.
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +optional
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`
	// ExternalTrafficPolicy of a NodePort or LoadBalancer Service: Local
	// keeps the client's source address (NFS exports and SMB logs see the
	// real client) and routes only to nodes running DittoFS; Cluster, the
	// Kubernetes default, spreads over every node and hides it.
	// +kubebuilder:validation:Enum=Cluster;Local
	// +optional
	ExternalTrafficPolicy string `json:"externalTrafficPolicy,omitempty"`
}

// NetworkPolicySpec shapes the NetworkPolicy that admits traffic to the
// DittoFS pod on the ports it serves.
type NetworkPolicySpec struct {
	// From are the peers admitted (pods, namespaces, CIDRs), as a
	// NetworkPolicy's ingress from: e.g. only the namespaces of NFS clients
	// and Prometheus. Unset, any source may reach the served ports.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	From []networkingv1.NetworkPolicyPeer `json:"from,omitempty"`
}

// MetricsSpec configures DittoFS's Prometheus endpoint.
type MetricsSpec struct {
	// Enabled turns the metrics endpoint on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Port of the metrics endpoint.
	// +kubebuilder:default=9090
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// Path of the metrics endpoint.
	// +kubebuilder:default="/metrics"
	// +kubebuilder:validation:Pattern=`^/.*`
	// +optional
	Path string `json:"path,omitempty"`
	// BearerTokenSecret names the Secret key holding a token scrapers must
	// present.
	// +optional
	BearerTokenSecret *SecretKeySelector `json:"bearerTokenSecret,omitempty"`
	// ServiceMonitor for the Prometheus operator.
	// +optional
	ServiceMonitor *ServiceMonitorSpec `json:"serviceMonitor,omitempty"`
}

// ServiceMonitorSpec configures a Prometheus operator ServiceMonitor.
type ServiceMonitorSpec struct {
	// Enabled composes a ServiceMonitor.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Interval between scrapes, e.g. 30s.
	// +kubebuilder:validation:Pattern=`^([0-9]+(ms|s|m|h))+$`
	// +optional
	Interval string `json:"interval,omitempty"`
	// Labels of the ServiceMonitor, for the Prometheus that selects it.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// LoggingSpec configures DittoFS's logs.
type LoggingSpec struct {
	// Level of the logs.
	// +kubebuilder:validation:Enum=DEBUG;INFO;WARN;ERROR
	// +kubebuilder:default=INFO
	// +optional
	Level string `json:"level,omitempty"`
	// Format of the logs.
	// +kubebuilder:validation:Enum=text;json
	// +kubebuilder:default=json
	// +optional
	Format string `json:"format,omitempty"`
}

// PerconaConfig composes a Percona PostgreSQL cluster as DittoFS's
// control-plane database.
//
// +kubebuilder:validation:XValidation:rule="!has(self.backup) || !has(self.backup.enabled) || !self.backup.enabled || (has(self.enabled) && self.enabled)",message="spec.percona.backup.enabled requires spec.percona.enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.restore) || (has(self.enabled) && self.enabled)",message="spec.percona.restore requires spec.percona.enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.recovery) || (has(self.backup) && has(self.backup.enabled) && self.backup.enabled)",message="spec.percona.recovery: an in-place recovery restores from the cluster's own backups; it requires spec.percona.backup.enabled"
type PerconaConfig struct {
	// Enabled composes the PerconaPGCluster <xr>-postgres.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Replicas of PostgreSQL instances.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// StorageSize of each PostgreSQL data volume.
	// +kubebuilder:default="10Gi"
	// +kubebuilder:validation:Pattern=`^[0-9]+(Mi|Gi|Ti)$`
	// +optional
	StorageSize string `json:"storageSize,omitempty"`

	// StorageClassName of the PostgreSQL volumes (may differ from DittoFS's).
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`

	// DatabaseName for DittoFS's control plane.
	// +kubebuilder:default="dittofs"
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_]{0,62}$`
	// +optional
	DatabaseName string `json:"databaseName,omitempty"`

	// PostgresVersion is the PostgreSQL major version. Defaults to the
	// function Input's; the Input must pin an image for it. Changing it on a
	// live cluster is refused: major upgrades go through PerconaPGUpgrade.
	// +kubebuilder:validation:Minimum=14
	// +kubebuilder:validation:Maximum=18
	// +optional
	PostgresVersion int32 `json:"postgresVersion,omitempty"`

	// DeletionPolicy says what happens to the database volumes, user Secrets
	// and TLS Secrets when the XR is deleted: Retain keeps them, Delete sets
	// Percona's delete-pvc and delete-ssl finalizers.
	// +kubebuilder:validation:Enum=Retain;Delete
	// +kubebuilder:default=Retain
	// +optional
	DeletionPolicy string `json:"deletionPolicy,omitempty"`

	// Backup configures pgBackRest backups to S3.
	// +optional
	Backup *PerconaBackupConfig `json:"backup,omitempty"`

	// Resources of each PostgreSQL instance's database container. A change
	// rolls the instances one at a time, the primary after a switchover (as
	// does every scheduling field below).
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Affinity of the PostgreSQL instance pods. When unset and replicas > 1,
	// the instances prefer distinct nodes (preferred pod anti-affinity on
	// kubernetes.io/hostname, as Percona's own cr.yaml). When set, it
	// replaces that default entirely.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the PostgreSQL instance pods. Select
	// them with the labels postgres-operator.crunchydata.com/cluster:
	// <xr>-postgres and postgres-operator.crunchydata.com/data: postgres.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// Tolerations of the PostgreSQL instance pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// NodeSelector of the PostgreSQL instance pods. Percona's instance sets
	// have no nodeSelector, so it becomes a required node affinity term
	// (every key In [value]), which the scheduler treats the same way; it
	// is added to every required term of a given affinity.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// PriorityClassName of the PostgreSQL instance pods.
	// +kubebuilder:validation:MinLength=1
	// +optional
	PriorityClassName *string `json:"priorityClassName,omitempty"`

	// RepoHost shapes the pgBackRest repository host (backups on).
	// +optional
	RepoHost *PerconaRepoHostSpec `json:"repoHost,omitempty"`

	// PostgreSQL holds server parameters passed through to Patroni.
	// +optional
	PostgreSQL *PerconaPostgreSQLSpec `json:"postgresql,omitempty"`

	// Proxy puts a connection pooler in front of the database.
	// +optional
	Proxy *PerconaProxySpec `json:"proxy,omitempty"`

	// Restore creates the cluster from another repository's backups (see
	// PerconaRestoreConfig). Read only when the cluster is created.
	// +optional
	Restore *PerconaRestoreConfig `json:"restore,omitempty"`

	// Recovery recovers the live cluster in place to a point in time, once
	// per id (see PerconaRecoveryConfig).
	// +optional
	Recovery *PerconaRecoveryConfig `json:"recovery,omitempty"`
}

// PerconaBackupConfig configures pgBackRest backups to S3.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || (has(self.bucket) && size(self.bucket) > 0)",message="spec.percona.backup.bucket: required when backup is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || (has(self.endpoint) && size(self.endpoint) > 0)",message="spec.percona.backup.endpoint: required when backup is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || has(self.credentialsSecretRef)",message="spec.percona.backup.credentialsSecretRef: required when backup is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.onDemand) || (has(self.enabled) && self.enabled)",message="spec.percona.backup.onDemand: an on-demand backup needs backups on (spec.percona.backup.enabled: true)"
// +kubebuilder:validation:XValidation:rule="!has(self.endpoint) || !self.endpoint.startsWith('http://')",message="spec.percona.backup.endpoint: plain http:// is refused: every WAL segment and base backup of the database would cross the network unencrypted. Serve the S3 endpoint over TLS and write https://host[:port] or host[:port] (verifyTLS: false for a self-signed certificate)"
type PerconaBackupConfig struct {
	// Enabled turns backups on. Turning it off on a cluster that has a
	// backup repository is refused unless authorizeRemoval is true.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// AuthorizeRemoval lets enabled go from true to false on a cluster that
	// has a backup repository. The Percona operator then removes the
	// pgBackRest repository host and stops archiving WAL; the backups already
	// in the bucket stay there, but no new ones are taken. Without it the
	// function refuses the change: the operator would otherwise pause all
	// reconciliation of the cluster while still reporting it ready. Sets
	// Percona's pgv2.percona.com/authorizeBackupRemoval annotation, which
	// then stays while backups are off.
	// +optional
	AuthorizeRemoval bool `json:"authorizeRemoval,omitempty"`

	// CredentialsSecretRef names a Secret in the XR's namespace holding the S3
	// credentials: either a pgBackRest file under a key ending in .conf
	// (projected as it is), or plain keys AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY (or accessKeyId and secretAccessKey), from which
	// the function composes <xr>-pgbackrest-s3.
	// +optional
	CredentialsSecretRef *LocalObjectReference `json:"credentialsSecretRef,omitempty"`

	// Bucket for the backups.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	// +optional
	Bucket string `json:"bucket,omitempty"`

	// Endpoint of the S3 service: [https://]host[:port], e.g.
	// s3.eu-west-1.amazonaws.com, https://s3.cubbit.eu or
	// minio.storage.svc:9000. The scheme is dropped (pgBackRest speaks TLS
	// to it); a port is kept and pgBackRest dials it. Plain http:// is
	// refused.
	// +kubebuilder:validation:Pattern=`^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$`
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// Region of the bucket.
	// +kubebuilder:default="eu-west-1"
	// +kubebuilder:validation:MinLength=1
	// +optional
	Region string `json:"region,omitempty"`

	// URIStyle of S3 requests: path for MinIO and most S3-compatible
	// services, host for AWS virtual-hosted style.
	// +kubebuilder:validation:Enum=path;host
	// +kubebuilder:default=path
	// +optional
	URIStyle string `json:"uriStyle,omitempty"`

	// VerifyTLS of the S3 endpoint's certificate.
	// +kubebuilder:default=true
	// +optional
	VerifyTLS *bool `json:"verifyTLS,omitempty"`

	// FullSchedule is the cron schedule of full backups.
	// +kubebuilder:default="0 2 * * *"
	// +kubebuilder:validation:MinLength=6
	// +optional
	FullSchedule string `json:"fullSchedule,omitempty"`

	// IncrSchedule is the cron schedule of incremental backups.
	// +kubebuilder:default="0 * * * *"
	// +kubebuilder:validation:MinLength=6
	// +optional
	IncrSchedule string `json:"incrSchedule,omitempty"`

	// RetentionDays keeps full backups (and the incrementals and WAL they
	// need) for this many days.
	// +kubebuilder:default=7
	// +kubebuilder:validation:Minimum=1
	// +optional
	RetentionDays *int32 `json:"retentionDays,omitempty"`

	// OnDemand asks for a full backup now: a token of the user's choosing
	// (e.g. the date, or a ticket number). The function composes one
	// PerconaPGBackup <xr>-postgres-backup-<token> (repo1, --type=full) and
	// keeps it while the token stays. A new token is a new backup: the old
	// PerconaPGBackup object is deleted by Crossplane, and the backup it
	// took stays in the repository (Percona's finalizer only finishes its
	// bookkeeping; pgBackRest's retention expires it like any other). Needs
	// enabled: true. A DNS label of at most 18 characters, so that the
	// object's name (<xr>-postgres-backup-<token>) is a DNS label too for
	// the longest XR name Percona accepts.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=18
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`
	// +optional
	OnDemand string `json:"onDemand,omitempty"`

	// CASecretRef names the Secret key (default ca.crt) in the XR's
	// namespace holding the PEM certificate authority that signed the S3
	// endpoint's certificate, for an endpoint with a private CA. It is
	// projected into pgBackRest's configuration directory and set as
	// repo1-storage-ca-file; verifyTLS stays on. Without it pgBackRest
	// verifies against the image's system trust store.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`

	// Encryption encrypts the repository on the client side
	// (repo1-cipher-type aes-256-cbc). Fixed once the repository exists:
	// pgBackRest cannot read a repository with another cipher or
	// passphrase, so adding, removing or changing it on a cluster with a
	// repository is refused.
	// +optional
	Encryption *BackupEncryption `json:"encryption,omitempty"`
}

// BackupEncryption is pgBackRest's repository encryption.
type BackupEncryption struct {
	// PassphraseSecretRef names the Secret key (default passphrase) in the
	// XR's namespace holding the repository's passphrase (repo1-cipher-pass).
	// The function copies it into the Secret <xr>-pgbackrest-cipher, which
	// pgBackRest's configuration projects; it never appears in the spec, a
	// ConfigMap or the status. Keep the Secret: without it the backups
	// cannot be read, restored or continued.
	PassphraseSecretRef SecretKeySelector `json:"passphraseSecretRef"`
}

// DittoServerStatus is what the function reports.
type DittoServerStatus struct {
	// Phase: Pending, Running or Stopped.
	// +optional
	Phase string `json:"phase,omitempty"`
	// ReadyReplicas of the DittoFS StatefulSet.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// Endpoints clients dial, as in-cluster DNS names with ports.
	// +optional
	Endpoints *EndpointsStatus `json:"endpoints,omitempty"`
	// Database is the composed Percona cluster's state.
	// +optional
	Database *DatabaseStatus `json:"database,omitempty"`
	// ConfigHash of the running configuration; a change rolls the pod.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`
	// Shares are the declared shares (spec.fileService.shares): where a
	// client mounts each, and whether the reconciler in the DittoFS pod
	// reports it applied. The condition FileServiceReady says how the
	// declaration as a whole stands.
	// +listType=map
	// +listMapKey=name
	// +optional
	Shares []ShareStatus `json:"shares,omitempty"`
}

// EndpointsStatus lists where clients reach DittoFS.
type EndpointsStatus struct {
	// API URL.
	// +optional
	API string `json:"api,omitempty"`
	// NFS host:port.
	// +optional
	NFS string `json:"nfs,omitempty"`
	// SMB host:port.
	// +optional
	SMB string `json:"smb,omitempty"`
	// Metrics URL.
	// +optional
	Metrics string `json:"metrics,omitempty"`
	// External are the addresses from outside the cluster: those of the
	// API, NFS and SMB Services of type LoadBalancer, once their load
	// balancer has an address.
	// +optional
	External *ExternalEndpoints `json:"external,omitempty"`
}

// ExternalEndpoints are the addresses of LoadBalancer Services.
type ExternalEndpoints struct {
	// API URL through its load balancer.
	// +optional
	API string `json:"api,omitempty"`
	// NFS host:port through its load balancer.
	// +optional
	NFS string `json:"nfs,omitempty"`
	// SMB host:port through its load balancer.
	// +optional
	SMB string `json:"smb,omitempty"`
}

// DatabaseStatus reports the composed Percona cluster.
type DatabaseStatus struct {
	// ClusterName of the PerconaPGCluster.
	// +optional
	ClusterName string `json:"clusterName,omitempty"`
	// Host DittoFS connects to.
	// +optional
	Host string `json:"host,omitempty"`
	// State reported by the Percona operator: initializing, ready, paused,
	// stopping.
	// +optional
	State string `json:"state,omitempty"`
	// BackupReady is true when pgBackRest reports ReadyForBackup.
	// +optional
	BackupReady bool `json:"backupReady,omitempty"`
	// Backup is where pgBackRest keeps this cluster's repository, exactly
	// as the PerconaPGCluster is configured, for a restore to find it. Set
	// while backups are on and the cluster is composed.
	// +optional
	Backup *BackupStatus `json:"backup,omitempty"`
	// KeptRepository is the pgBackRest repository the cluster wrote before
	// its backups were turned off: it stays in the bucket, and backups
	// turned on again go to the same path, so they must be encrypted as it
	// is (spec.percona.backup.encryption), or not. Set while backups are
	// off; with backups on, backup says the same.
	// +optional
	KeptRepository *KeptRepositoryStatus `json:"keptRepository,omitempty"`
	// Restore reports a restore into this cluster (spec.percona.restore) and
	// in-place recoveries (spec.percona.recovery).
	// +optional
	Restore *RestoreStatus `json:"restore,omitempty"`
}

// KeptRepositoryStatus records a pgBackRest repository left in the bucket
// while backups are off.
type KeptRepositoryStatus struct {
	// RepoPath is its repo1-path inside the bucket.
	// +optional
	RepoPath string `json:"repoPath,omitempty"`
	// Bucket holding it.
	// +optional
	Bucket string `json:"bucket,omitempty"`
	// Encrypted is true when it is encrypted (repo1-cipher-type
	// aes-256-cbc).
	// +optional
	Encrypted bool `json:"encrypted,omitempty"`
	// PassphraseDigest is backup.passphraseDigest, kept.
	// +optional
	PassphraseDigest string `json:"passphraseDigest,omitempty"`
}

// BackupStatus locates the cluster's pgBackRest repository (repo1) on S3.
type BackupStatus struct {
	// RepoPath is pgBackRest's repo1-path inside the bucket. It is chosen
	// once, when the cluster is created (unique per XR, so a re-created XR
	// of the same name never shares it), and never moved.
	// +optional
	RepoPath string `json:"repoPath,omitempty"`
	// Bucket holding the repository.
	// +optional
	Bucket string `json:"bucket,omitempty"`
	// Endpoint of the S3 service as pgBackRest dials it: host[:port],
	// without a scheme (always TLS).
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Region of the bucket.
	// +optional
	Region string `json:"region,omitempty"`
	// Encrypted is true when the repository is encrypted
	// (repo1-cipher-type aes-256-cbc): a restore needs its passphrase.
	// +optional
	Encrypted bool `json:"encrypted,omitempty"`
	// PassphraseDigest records which passphrase an encrypted repository is
	// encrypted with (PBKDF2-SHA256 of its cipher.conf, salted with the
	// XR's UID; never the passphrase), so that a changed passphrase is
	// refused even once <xr>-pgbackrest-cipher, the copy it is checked
	// against, was deleted by hand.
	// +optional
	PassphraseDigest string `json:"passphraseDigest,omitempty"`
	// LastOnDemand is the PerconaPGBackup of spec.percona.backup.onDemand,
	// as Percona reports it. Once the token is removed, Crossplane deletes
	// that PerconaPGBackup; the record stays, as the XR's status last said
	// it, with removed: true (the backup it took stays in the repository
	// until the retention expires it), until a new token replaces it.
	// +optional
	LastOnDemand *OnDemandBackupStatus `json:"lastOnDemand,omitempty"`
	// LatestRestorableTime is the latest point in time a restore can reach,
	// in RFC 3339: the latest status.latestRestorableTime Percona's WAL
	// watcher records over the cluster's succeeded PerconaPGBackups
	// (scheduled or on demand; it moves it forward on the most recent one).
	// spec.percona.recovery.pointInTime is checked against this same time.
	// Empty while Percona has not reported one.
	// +optional
	LatestRestorableTime string `json:"latestRestorableTime,omitempty"`
}

// OnDemandBackupStatus reports the on-demand PerconaPGBackup. Every field
// is written, empty or not: no value of an earlier token's backup survives
// in the XR's status under a new token.
type OnDemandBackupStatus struct {
	// Name of the PerconaPGBackup.
	// +optional
	Name string `json:"name"`
	// Token of spec.percona.backup.onDemand it was composed for.
	// +optional
	Token string `json:"token"`
	// State as Percona reports it: Starting, Running, Succeeded or Failed;
	// empty until Percona has seen it. Once removed, the last state
	// reported.
	// +optional
	State string `json:"state"`
	// Completed is when the backup Job completed, as Percona reports it
	// (status.completed), in RFC 3339.
	// +optional
	Completed string `json:"completed"`
	// BackupName is pgBackRest's label of the backup (e.g.
	// 20261201-193000F), as Percona reports it.
	// +optional
	BackupName string `json:"backupName"`
	// Error Percona reports for a failed backup.
	// +optional
	Error string `json:"error"`
	// Removed is true once the token was removed from the spec: the
	// PerconaPGBackup Name is deleted (by Crossplane) and this is the last
	// record of it; the backup BackupName stays in the repository until the
	// retention expires it.
	// +optional
	Removed bool `json:"removed"`
}
