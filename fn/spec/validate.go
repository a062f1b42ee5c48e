package spec

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// maxNameLength bounds the XR name: the StatefulSet's pods carry a
// controller-revision-hash label <name>-<10 characters> that must fit in 63.
const maxNameLength = 52

// Validate checks the defaulted spec the way the XRD schema and its CEL rules
// do (render without --xrd skips those), plus what a schema cannot know: the
// images the Input pins, Percona's name limit, cron syntax, port clashes.
// Every error names its field and says how to fix it.
func Validate(ds DittoServer, in v1beta1.Input) field.ErrorList {
	spec := field.NewPath("spec")
	s := ds.Spec
	var errs field.ErrorList
	errs = append(errs, validateName(ds)...)
	errs = append(errs, validateNamespace(ds)...)
	errs = append(errs, validateRange(spec.Child("replicas"), int64(*s.Replicas), 0, 1, "DittoFS runs a single server")...)
	if *s.TerminationGracePeriodSeconds < 36 {
		errs = append(errs, field.Invalid(spec.Child("terminationGracePeriodSeconds"), *s.TerminationGracePeriodSeconds, "must be at least 36: DittoFS needs time to drain its adapters"))
	}
	errs = append(errs, validateStorage(spec.Child("storage"), s.Storage)...)
	errs = append(errs, validateFileService(spec.Child("fileService"), ds)...)
	errs = append(errs, validateDatabase(spec.Child("database"), s)...)
	errs = append(errs, validateControlPlane(spec.Child("controlPlane"), s.ControlPlane)...)
	errs = append(errs, validateReconcilerClientCert(spec.Child("controlPlane"), s)...)
	errs = append(errs, validateIdentity(spec.Child("identity"), s.Identity)...)
	errs = append(errs, validatePorts(spec, s)...)
	errs = append(errs, validateNFSSidePorts(spec.Child("adapters"), s.Adapters)...)
	errs = append(errs, validatePodFields(spec, s)...)
	errs = append(errs, validateEnum(spec.Child("service", "type"), s.Service.Type, "ClusterIP", "NodePort", "LoadBalancer")...)
	errs = append(errs, validateEnum(spec.Child("adapterServices", "type"), s.AdapterServices.Type, "ClusterIP", "NodePort", "LoadBalancer")...)
	errs = append(errs, validateExposure(spec.Child("service"), s.Service)...)
	errs = append(errs, validateExposure(spec.Child("adapterServices"), s.AdapterServices)...)
	errs = append(errs, validateNetworkPolicyFrom(spec.Child("networkPolicy", "from"), s.NetworkPolicy)...)
	errs = append(errs, validateMetrics(spec.Child("metrics"), s.Metrics)...)
	errs = append(errs, validateEnum(spec.Child("logging", "level"), s.Logging.Level, "DEBUG", "INFO", "WARN", "ERROR")...)
	errs = append(errs, validateEnum(spec.Child("logging", "format"), s.Logging.Format, "text", "json")...)
	errs = append(errs, validatePercona(spec.Child("percona"), s.Percona, in)...)
	errs = append(errs, validateRestore(ds)...)
	return errs
}

func validateName(ds DittoServer) field.ErrorList {
	name := field.NewPath("metadata", "name")
	if msgs := validation.IsDNS1035Label(ds.Name); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(name, ds.Name, "must be a DNS label starting with a letter, as Service names are: "+strings.Join(msgs, "; "))}
	}
	if len(ds.Name) > maxNameLength {
		return field.ErrorList{field.TooLong(name, ds.Name, maxNameLength)}
	}
	if !ds.Spec.Percona.Enabled {
		return nil
	}
	if n := len(ds.PerconaClusterName()) + len(perconaInstanceSet); n > perconaMaxNameLength {
		limit := perconaMaxNameLength - len(ds.PerconaClusterName()) - len(perconaInstanceSet) + len(ds.Name)
		return field.ErrorList{field.Invalid(name, ds.Name, fmt.Sprintf("must be at most %d characters with spec.percona.enabled: Percona limits cluster name (%s) plus instance set name (%s) to %d characters", limit, ds.PerconaClusterName(), perconaInstanceSet, perconaMaxNameLength))}
	}
	return nil
}

func validateStorage(p *field.Path, s v1alpha1.StorageSpec) field.ErrorList {
	var errs field.ErrorList
	if s.MetadataSize == "" {
		errs = append(errs, field.Required(p.Child("metadataSize"), "the size of the metadata volume, e.g. 10Gi"))
	} else {
		errs = append(errs, validateSize(p.Child("metadataSize"), s.MetadataSize)...)
	}
	if s.ContentSize != "" {
		errs = append(errs, validateSize(p.Child("contentSize"), s.ContentSize)...)
	}
	errs = append(errs, validateSize(p.Child("controlPlaneSize"), s.ControlPlaneSize)...)
	errs = append(errs, validateStorageClass(p.Child("storageClassName"), s.StorageClassName)...)
	return errs
}

func validateSize(p *field.Path, size string) field.ErrorList {
	q, err := resource.ParseQuantity(size)
	if err != nil || q.Sign() <= 0 || !strings.HasSuffix(size, "i") {
		return field.ErrorList{field.Invalid(p, size, "must be a positive size in Mi, Gi or Ti, e.g. 10Gi")}
	}
	return nil
}

func validateStorageClass(p *field.Path, class *string) field.ErrorList {
	if class == nil || *class == "" {
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(*class); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, *class, "must be a StorageClass name: "+strings.Join(msgs, "; "))}
	}
	return nil
}

func validateDatabase(p *field.Path, s v1alpha1.DittoServerSpec) field.ErrorList {
	d := s.Database
	errs := validateEnum(p.Child("type"), d.Type, DatabaseTypeSQLite, DatabaseTypePostgres)
	errs = append(errs, validateEnum(p.Child("sslMode"), d.SSLMode, "disable", "allow", "prefer", "require", "verify-ca", "verify-full")...)
	if !strings.HasPrefix(d.SQLite.Path, "/data/controlplane/") || len(d.SQLite.Path) <= len("/data/controlplane/") {
		errs = append(errs, field.Invalid(p.Child("sqlite", "path"), d.SQLite.Path, "must be a file under /data/controlplane/, the persistent control-plane volume"))
	}
	switch {
	case s.Percona.Enabled && d.PostgresSecretRef != nil:
		errs = append(errs, field.Forbidden(p.Child("postgresSecretRef"), "spec.percona.enabled composes the database; remove one of the two"))
	case d.Type == DatabaseTypePostgres && d.PostgresSecretRef == nil && !s.Percona.Enabled:
		errs = append(errs, field.Required(p.Child("postgresSecretRef"), "type postgres needs either postgresSecretRef (an existing PostgreSQL) or spec.percona.enabled"))
	}
	if (d.SSLMode == "verify-ca" || d.SSLMode == "verify-full") && d.PostgresSecretRef != nil && d.CASecretRef == nil {
		errs = append(errs, field.Required(p.Child("caSecretRef"), "sslMode "+d.SSLMode+" needs the PostgreSQL server's CA certificate"))
	}
	return errs
}

func validateControlPlane(p *field.Path, c *v1alpha1.ControlPlaneSpec) field.ErrorList {
	switch {
	case c.ClientCASecretName != "" && c.CertSecretName == "":
		return field.ErrorList{field.Required(p.Child("certSecretName"), "clientCASecretName (mTLS) needs a server certificate")}
	case c.TLS && c.CertSecretName == "":
		return field.ErrorList{field.Required(p.Child("certSecretName"), "tls needs the kubernetes.io/tls Secret holding the certificate DittoFS serves")}
	}
	return nil
}

func validateIdentity(p *field.Path, i *v1alpha1.IdentitySpec) field.ErrorList {
	var errs field.ErrorList
	for _, d := range []struct {
		path  *field.Path
		value string
	}{
		{p.Child("jwt", "accessTokenDuration"), i.JWT.AccessTokenDuration},
		{p.Child("jwt", "refreshTokenDuration"), i.JWT.RefreshTokenDuration},
	} {
		if v, err := time.ParseDuration(d.value); err != nil || v <= 0 {
			errs = append(errs, field.Invalid(d.path, d.value, "must be a positive Go duration, e.g. 15m or 168h"))
		}
	}
	if i.Admin.Username != AdminUsername {
		errs = append(errs, field.NotSupported(p.Child("admin", "username"), i.Admin.Username, []string{AdminUsername}))
	}
	if k := i.Kerberos; k != nil && k.Enabled {
		if k.ServicePrincipal == "" {
			errs = append(errs, field.Required(p.Child("kerberos", "servicePrincipal"), "required when Kerberos is enabled"))
		}
		if k.KeytabSecretRef == nil {
			errs = append(errs, field.Required(p.Child("kerberos", "keytabSecretRef"), "required when Kerberos is enabled"))
		}
	}
	return errs
}

// validatePorts checks every port is in range and that no two listeners of
// the pod share one.
func validatePorts(spec *field.Path, s v1alpha1.DittoServerSpec) field.ErrorList {
	ports := []struct {
		path *field.Path
		port int32
		used bool
	}{
		{spec.Child("controlPlane", "port"), s.ControlPlane.Port, true},
		{spec.Child("adapters", "nfs", "port"), s.Adapters.NFS.Port, *s.Adapters.NFS.Enabled},
		{spec.Child("adapters", "smb", "port"), s.Adapters.SMB.Port, *s.Adapters.SMB.Enabled},
		{spec.Child("metrics", "port"), s.Metrics.Port, s.Metrics.Enabled},
		{spec.Child("adapters", "nfs", "portmapper", "port"), s.Adapters.NFS.Portmapper.Port, *s.Adapters.NFS.Enabled && s.Adapters.NFS.Portmapper.Enabled},
	}
	var errs field.ErrorList
	seen := map[int32]string{}
	for _, p := range ports {
		if p.port < 1 || p.port > 65535 {
			errs = append(errs, field.Invalid(p.path, p.port, "must be between 1 and 65535"))
			continue
		}
		if other, clash := seen[p.port]; clash && p.used {
			errs = append(errs, field.Duplicate(p.path, fmt.Sprintf("%d is also %s", p.port, other)))
		}
		if p.used {
			seen[p.port] = p.path.String()
		}
	}
	errs = append(errs, validateRange(spec.Child("adapters", "nfs", "servicePort"), int64(s.Adapters.NFS.ServicePort), 1, 65535, "")...)
	return append(errs, validateRange(spec.Child("adapters", "smb", "servicePort"), int64(s.Adapters.SMB.ServicePort), 1, 65535, "")...)
}

func validateMetrics(p *field.Path, m *v1alpha1.MetricsSpec) field.ErrorList {
	if !strings.HasPrefix(m.Path, "/") {
		return field.ErrorList{field.Invalid(p.Child("path"), m.Path, "must start with /")}
	}
	return nil
}

func validatePercona(p *field.Path, pc *v1alpha1.PerconaConfig, in v1beta1.Input) field.ErrorList {
	var errs field.ErrorList
	if pc.Backup.Enabled && !pc.Enabled {
		errs = append(errs, field.Forbidden(p.Child("backup", "enabled"), "backups are of the composed Percona cluster: set spec.percona.enabled too"))
	}
	errs = append(errs, validateBackupExtras(p.Child("backup"), pc.Backup)...)
	if !pc.Enabled {
		return errs
	}
	errs = append(errs, validateRange(p.Child("replicas"), int64(*pc.Replicas), 1, 5, "")...)
	errs = append(errs, validateSize(p.Child("storageSize"), pc.StorageSize)...)
	errs = append(errs, validateStorageClass(p.Child("storageClassName"), pc.StorageClassName)...)
	if msgs := validation.IsDNS1123Label(strings.ReplaceAll(pc.DatabaseName, "_", "-")); len(msgs) > 0 || pc.DatabaseName != strings.ToLower(pc.DatabaseName) {
		errs = append(errs, field.Invalid(p.Child("databaseName"), pc.DatabaseName, "must be a lowercase PostgreSQL identifier of at most 63 characters"))
	}
	if PostgresImage(in, pc.PostgresVersion) == "" {
		errs = append(errs, field.Invalid(p.Child("postgresVersion"), pc.PostgresVersion, fmt.Sprintf("the function Input pins no image for PostgreSQL %d (images.postgres); choose one of %s or ask your platform team to pin one", pc.PostgresVersion, strings.Join(pinnedMajors(in), ", "))))
	}
	errs = append(errs, validateEnum(p.Child("deletionPolicy"), pc.DeletionPolicy, deletionPolicyRetain, DeletionPolicyDelete)...)
	errs = append(errs, validatePerconaProduction(p, pc)...)
	return append(errs, validateBackup(p.Child("backup"), pc.Backup)...)
}

func validateBackup(p *field.Path, b *v1alpha1.PerconaBackupConfig) field.ErrorList {
	if !b.Enabled {
		return nil
	}
	var errs field.ErrorList
	if b.CredentialsSecretRef == nil || b.CredentialsSecretRef.Name == "" {
		errs = append(errs, field.Required(p.Child("credentialsSecretRef"), "required when backup is enabled: the Secret holding the S3 credentials"))
	}
	if b.Bucket == "" {
		errs = append(errs, field.Required(p.Child("bucket"), "required when backup is enabled"))
	}
	if b.Endpoint == "" {
		errs = append(errs, field.Required(p.Child("endpoint"), "required when backup is enabled: [https://]host[:port] of the S3 service, e.g. s3.eu-west-1.amazonaws.com"))
	} else if _, err := parseS3Endpoint(b.Endpoint); err != nil {
		errs = append(errs, field.Invalid(p.Child("endpoint"), b.Endpoint, err.Error()))
	}
	if b.Region == "" {
		errs = append(errs, field.Required(p.Child("region"), "required when backup is enabled"))
	}
	errs = append(errs, validateEnum(p.Child("uriStyle"), b.URIStyle, "path", "host")...)
	errs = append(errs, validateCron(p.Child("fullSchedule"), b.FullSchedule)...)
	errs = append(errs, validateCron(p.Child("incrSchedule"), b.IncrSchedule)...)
	if *b.RetentionDays < 1 {
		errs = append(errs, field.Invalid(p.Child("retentionDays"), *b.RetentionDays, "must be at least 1"))
	}
	return errs
}

// cronParser accepts what the Percona operator's scheduler accepts: it runs
// backups with robfig/cron's standard five-field parser.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func validateCron(p *field.Path, schedule string) field.ErrorList {
	if _, err := cronParser.Parse(schedule); err != nil || len(schedule) < 6 {
		return field.ErrorList{field.Invalid(p, schedule, "must be a five-field cron schedule, e.g. \"0 2 * * *\"")}
	}
	return nil
}

func validateRange(p *field.Path, v, lo, hi int64, why string) field.ErrorList {
	if v >= lo && v <= hi {
		return nil
	}
	msg := fmt.Sprintf("must be between %d and %d", lo, hi)
	if why != "" {
		msg += ": " + why
	}
	return field.ErrorList{field.Invalid(p, v, msg)}
}

func validateEnum(p *field.Path, v string, allowed ...string) field.ErrorList {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, v, allowed)}
}

func pinnedMajors(in v1beta1.Input) []string {
	majors := make([]string, 0, len(in.Images.Postgres))
	for m, image := range in.Images.Postgres {
		if _, err := strconv.Atoi(m); err == nil && image != "" {
			majors = append(majors, m)
		}
	}
	sort.Strings(majors)
	return majors
}

// validateExposure checks what shapes a Service's outside access, as the
// XRD's CEL rules do (the function validates too: crossplane render and
// older XRDs skip them): source ranges are CIDRs, and only on a Service
// that has a load balancer; the traffic policy only where traffic comes
// from outside.
func validateExposure(p *field.Path, s *v1alpha1.ServiceSpec) field.ErrorList {
	var errs field.ErrorList
	for i, r := range s.LoadBalancerSourceRanges {
		if _, _, err := net.ParseCIDR(r); err != nil {
			errs = append(errs, field.Invalid(p.Child("loadBalancerSourceRanges").Index(i), r, "must be a CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32"))
		}
	}
	if len(s.LoadBalancerSourceRanges) > 0 && s.Type != "LoadBalancer" {
		errs = append(errs, field.Forbidden(p.Child("loadBalancerSourceRanges"), "only a Service of type LoadBalancer has a load balancer to restrict; set "+p.Child("type").String()+": LoadBalancer"))
	}
	if s.ExternalTrafficPolicy == "" {
		return errs
	}
	errs = append(errs, validateEnum(p.Child("externalTrafficPolicy"), s.ExternalTrafficPolicy, "Cluster", "Local")...)
	if s.Type != "NodePort" && s.Type != "LoadBalancer" {
		errs = append(errs, field.Forbidden(p.Child("externalTrafficPolicy"), "only a Service of type NodePort or LoadBalancer takes traffic from outside the cluster; set "+p.Child("type").String()+": NodePort or LoadBalancer"))
	}
	return errs
}
