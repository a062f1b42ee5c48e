package build

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// postgresConnectTimeout (seconds) makes a database that accepts but never
// answers fail DittoFS's start instead of hanging it forever.
const postgresConnectTimeout = "10"

// postgresCAFile is where the DittoFS pod finds the database's CA.
const postgresCAFile = postgresCADir + "/ca.crt"

// dittofsEnv is the DittoFS container's environment: every secret value and
// every PostgreSQL connection setting, sorted by name.
func dittofsEnv(ds spec.DittoServer) []corev1.EnvVar {
	s := ds.Spec
	env := []corev1.EnvVar{
		secretEnv("DITTOFS_CONTROLPLANE_SECRET", JWTRef(ds), false),
		secretEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", AdminPasswordRef(ds), false),
	}
	env = append(env, postgresEnv(ds)...)
	if l := s.Identity.LDAP; l != nil && l.BindPasswordSecretRef != nil {
		env = append(env, secretEnv("DITTOFS_LDAP_BIND_PASSWORD", *l.BindPasswordSecretRef, false))
	}
	if k := s.Identity.Kerberos; k != nil && k.Enabled && k.MachineAccount != nil && k.MachineAccount.Enabled && k.MachineAccount.SecretRef != nil {
		env = append(env, secretEnv("DITTOFS_KERBEROS_MACHINE_ACCOUNT_SECRET", *k.MachineAccount.SecretRef, false))
	}
	sortEnv(env)
	return env
}

// PostgresSource says where the PostgreSQL connection comes from: the Secret
// and its key names, the sslmode and the CA.
type PostgresSource struct {
	Secret, DatabaseKey string
	SSLMode             string
	CA                  *v1alpha1.SecretKeySelector
}

// PostgresSourceOf is the database ds connects to, or nil for SQLite. The
// composed Percona cluster's user Secret names the database "dbname"; the
// operator's postgresSecretRef convention is "database". Percona's Postgres
// accepts TLS only, and its CA is in <cluster>-cluster-cert.
func PostgresSourceOf(ds spec.DittoServer) *PostgresSource {
	switch DatabaseKind(ds.Spec) {
	case "percona":
		return &PostgresSource{
			Secret: ds.PerconaUserSecretName(), DatabaseKey: "dbname", SSLMode: "verify-full",
			CA: &v1alpha1.SecretKeySelector{Name: ds.PerconaCASecretName(), Key: "ca.crt"},
		}
	case spec.DatabaseTypePostgres:
		d := ds.Spec.Database
		return &PostgresSource{Secret: d.PostgresSecretRef.Name, DatabaseKey: "database", SSLMode: d.SSLMode, CA: d.CASecretRef}
	default:
		return nil
	}
}

// postgresEnv is what DittoFS reads for PostgreSQL (it has no URL setting:
// the DittoFS operator's DATABASE_URL was never read, so its Percona
// deployments ran on SQLite).
func postgresEnv(ds spec.DittoServer) []corev1.EnvVar {
	src := PostgresSourceOf(ds)
	if src == nil {
		return nil
	}
	ref := func(key string) v1alpha1.SecretKeySelector { return v1alpha1SecretKey(src.Secret, key) }
	env := []corev1.EnvVar{
		secretEnv("DITTOFS_DATABASE_POSTGRES_HOST", ref("host"), false),
		// An empty port means 5432; a user's Secret may leave it out.
		secretEnv("DITTOFS_DATABASE_POSTGRES_PORT", ref("port"), true),
		secretEnv("DITTOFS_DATABASE_POSTGRES_DATABASE", ref(src.DatabaseKey), false),
		secretEnv("DITTOFS_DATABASE_POSTGRES_USER", ref("user"), false),
		secretEnv("DITTOFS_DATABASE_POSTGRES_PASSWORD", ref("password"), false),
		{Name: "DITTOFS_DATABASE_POSTGRES_SSLMODE", Value: src.SSLMode},
		{Name: "PGCONNECT_TIMEOUT", Value: postgresConnectTimeout},
	}
	if src.CA != nil {
		env = append(env, corev1.EnvVar{Name: "DITTOFS_DATABASE_POSTGRES_SSL_ROOT_CERT", Value: postgresCAFile})
	}
	return env
}

// JWTRef is where the JWT signing secret is.
func JWTRef(ds spec.DittoServer) v1alpha1.SecretKeySelector {
	if r := ds.Spec.Identity.JWT.SecretRef; r != nil {
		return KeyOr(*r, JWTSecretKey)
	}
	return v1alpha1.SecretKeySelector{Name: ds.JWTSecretName(), Key: JWTSecretKey}
}

// AdminPasswordRef is where the admin's initial password is.
func AdminPasswordRef(ds spec.DittoServer) v1alpha1.SecretKeySelector {
	if r := ds.Spec.Identity.Admin.PasswordSecretRef; r != nil {
		return KeyOr(*r, AdminPasswordKey)
	}
	return v1alpha1.SecretKeySelector{Name: ds.AdminSecretName(), Key: AdminPasswordKey}
}

// KeyOr fills a selector's missing key with def.
func KeyOr(r v1alpha1.SecretKeySelector, def string) v1alpha1.SecretKeySelector {
	r.Key = spec.OrDefault(r.Key, def)
	return r
}

func secretEnv(name string, ref v1alpha1.SecretKeySelector, optional bool) corev1.EnvVar {
	sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key}
	if optional {
		sel.Optional = ptr.To(true)
	}
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
}

func sortEnv(env []corev1.EnvVar) {
	slices.SortFunc(env, func(a, b corev1.EnvVar) int { return strings.Compare(a.Name, b.Name) })
}

func v1alpha1SecretKey(name, key string) v1alpha1.SecretKeySelector {
	return v1alpha1.SecretKeySelector{Name: name, Key: key}
}
