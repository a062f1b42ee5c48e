package spec

import (
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// The XRD schemas carry the same defaults, but `crossplane render` without
// --xrd (and any XR that reaches the function some other way) does not apply
// them, so the function applies every default itself. A pointer section that
// is absent is created, so builders never check for nil.
const (
	defaultReplicas          = 1
	defaultControlPlaneSize  = "1Gi"
	defaultSQLitePath        = "/data/controlplane/controlplane.db"
	defaultSSLMode           = "require"
	defaultAPIPort           = 8080
	defaultAccessTokenTTL    = "15m"
	defaultRefreshTokenTTL   = "168h"
	AdminUsername            = "admin"
	defaultNFSPort           = 12049
	defaultNFSServicePort    = 2049
	defaultSMBPort           = 1445
	defaultSMBServicePort    = 445
	defaultAdapterService    = "LoadBalancer"
	defaultAPIService        = "ClusterIP"
	defaultMetricsPort       = 9090
	defaultMetricsPath       = "/metrics"
	defaultLogLevel          = "INFO"
	defaultLogFormat         = "json"
	defaultPerconaReplicas   = 1
	defaultPerconaStorage    = "10Gi"
	defaultDatabaseName      = "dittofs"
	deletionPolicyRetain     = "Retain"
	DeletionPolicyDelete     = "Delete"
	defaultBackupRegion      = "eu-west-1"
	uriStylePath             = "path"
	defaultFullSchedule      = "0 2 * * *"
	defaultIncrSchedule      = "0 * * * *"
	defaultRetentionDays     = 7
	DatabaseTypeSQLite       = "sqlite"
	DatabaseTypePostgres     = "postgres"
	defaultTerminationGraceS = 105 // 5s preStop + 3 x 30s shutdown_timeout + 10s margin, as the operator.
)

// WithDefaults returns s with every default applied.
func WithDefaults(s v1alpha1.DittoServerSpec, in v1beta1.Input) v1alpha1.DittoServerSpec {
	s.Image = OrDefault(s.Image, in.Images.DittoFS)
	s.Replicas = PtrOr(s.Replicas, defaultReplicas)
	s.TerminationGracePeriodSeconds = PtrOr(s.TerminationGracePeriodSeconds, defaultTerminationGraceS)
	s.Storage = storageDefaults(s.Storage, in)
	s.Database = databaseDefaults(s.Database)
	s.ControlPlane = controlPlaneDefaults(s.ControlPlane)
	s.Identity = identityDefaults(s.Identity)
	s.Adapters = adaptersDefaults(s.Adapters)
	s.AdapterServices = serviceDefaults(s.AdapterServices, defaultAdapterService)
	s.Service = serviceDefaults(s.Service, defaultAPIService)
	s.Metrics = metricsDefaults(s.Metrics)
	s.Logging = loggingDefaults(s.Logging)
	s.Percona = perconaDefaults(s.Percona, in)
	return s
}

func storageDefaults(s v1alpha1.StorageSpec, in v1beta1.Input) v1alpha1.StorageSpec {
	s.ControlPlaneSize = OrDefault(s.ControlPlaneSize, defaultControlPlaneSize)
	if s.StorageClassName == nil && in.StorageClassName != "" {
		s.StorageClassName = ptr.To(in.StorageClassName)
	}
	return s
}

func databaseDefaults(d *v1alpha1.DatabaseSpec) *v1alpha1.DatabaseSpec {
	d = PtrOr(d, v1alpha1.DatabaseSpec{})
	d.Type = OrDefault(d.Type, DatabaseTypeSQLite)
	d.SQLite = PtrOr(d.SQLite, v1alpha1.SQLiteSpec{})
	d.SQLite.Path = OrDefault(d.SQLite.Path, defaultSQLitePath)
	d.SSLMode = OrDefault(d.SSLMode, defaultSSLMode)
	return d
}

func controlPlaneDefaults(c *v1alpha1.ControlPlaneSpec) *v1alpha1.ControlPlaneSpec {
	c = PtrOr(c, v1alpha1.ControlPlaneSpec{})
	if c.Port == 0 {
		c.Port = defaultAPIPort
	}
	return c
}

func identityDefaults(i *v1alpha1.IdentitySpec) *v1alpha1.IdentitySpec {
	i = PtrOr(i, v1alpha1.IdentitySpec{})
	i.JWT = PtrOr(i.JWT, v1alpha1.JWTSpec{})
	i.JWT.AccessTokenDuration = OrDefault(i.JWT.AccessTokenDuration, defaultAccessTokenTTL)
	i.JWT.RefreshTokenDuration = OrDefault(i.JWT.RefreshTokenDuration, defaultRefreshTokenTTL)
	i.Admin = PtrOr(i.Admin, v1alpha1.AdminSpec{})
	i.Admin.Username = OrDefault(i.Admin.Username, AdminUsername)
	return i
}

func adaptersDefaults(a *v1alpha1.AdaptersSpec) *v1alpha1.AdaptersSpec {
	a = PtrOr(a, v1alpha1.AdaptersSpec{})
	a.NFS = adapterDefaults(a.NFS, defaultNFSPort, defaultNFSServicePort)
	a.NFS.Portmapper = portmapperDefaults(a.NFS.Portmapper)
	a.NFS.UDP = PtrOr(a.NFS.UDP, v1alpha1.UDPSpec{})
	a.SMB = adapterDefaults(a.SMB, defaultSMBPort, defaultSMBServicePort)
	// A portmapper under smb is refused (validate.go); defaulted like the
	// NFS one all the same, as the XRD defaults it, so the two agree.
	if a.SMB.Portmapper != nil {
		a.SMB.Portmapper = portmapperDefaults(a.SMB.Portmapper)
	}
	return a
}

func adapterDefaults(a *v1alpha1.AdapterSpec, port, servicePort int32) *v1alpha1.AdapterSpec {
	a = PtrOr(a, v1alpha1.AdapterSpec{})
	a.Enabled = PtrOr(a.Enabled, true)
	if a.Port == 0 {
		a.Port = port
	}
	if a.ServicePort == 0 {
		a.ServicePort = servicePort
	}
	return a
}

func serviceDefaults(s *v1alpha1.ServiceSpec, serviceType string) *v1alpha1.ServiceSpec {
	s = PtrOr(s, v1alpha1.ServiceSpec{})
	s.Type = OrDefault(s.Type, serviceType)
	return s
}

func metricsDefaults(m *v1alpha1.MetricsSpec) *v1alpha1.MetricsSpec {
	m = PtrOr(m, v1alpha1.MetricsSpec{})
	if m.Port == 0 {
		m.Port = defaultMetricsPort
	}
	m.Path = OrDefault(m.Path, defaultMetricsPath)
	m.ServiceMonitor = PtrOr(m.ServiceMonitor, v1alpha1.ServiceMonitorSpec{})
	return m
}

func loggingDefaults(l *v1alpha1.LoggingSpec) *v1alpha1.LoggingSpec {
	l = PtrOr(l, v1alpha1.LoggingSpec{})
	l.Level = OrDefault(l.Level, defaultLogLevel)
	l.Format = OrDefault(l.Format, defaultLogFormat)
	return l
}

func perconaDefaults(p *v1alpha1.PerconaConfig, in v1beta1.Input) *v1alpha1.PerconaConfig {
	p = PtrOr(p, v1alpha1.PerconaConfig{})
	p.Replicas = PtrOr(p.Replicas, defaultPerconaReplicas)
	p.StorageSize = OrDefault(p.StorageSize, defaultPerconaStorage)
	if p.StorageClassName == nil && in.StorageClassName != "" {
		p.StorageClassName = ptr.To(in.StorageClassName)
	}
	p.DatabaseName = OrDefault(p.DatabaseName, defaultDatabaseName)
	if p.PostgresVersion == 0 {
		p.PostgresVersion = in.PostgresVersion
	}
	p.DeletionPolicy = OrDefault(p.DeletionPolicy, deletionPolicyRetain)
	p.Backup = backupDefaults(p.Backup)
	p.Restore = restoreDefaults(p.Restore)
	p.Proxy = proxyDefaults(p.Proxy)
	return p
}

func backupDefaults(b *v1alpha1.PerconaBackupConfig) *v1alpha1.PerconaBackupConfig {
	b = PtrOr(b, v1alpha1.PerconaBackupConfig{})
	b.Region = OrDefault(b.Region, defaultBackupRegion)
	b.URIStyle = OrDefault(b.URIStyle, uriStylePath)
	b.VerifyTLS = PtrOr(b.VerifyTLS, true)
	b.FullSchedule = OrDefault(b.FullSchedule, defaultFullSchedule)
	b.IncrSchedule = OrDefault(b.IncrSchedule, defaultIncrSchedule)
	b.RetentionDays = PtrOr(b.RetentionDays, defaultRetentionDays)
	backupExtrasDefaults(b)
	return b
}

// PtrOr returns p, or a pointer to def when p is nil.
func PtrOr[T any](p *T, def T) *T {
	if p == nil {
		return &def
	}
	return p
}
