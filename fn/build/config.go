package build

import (
	"strconv"

	"go.yaml.in/yaml/v2"

	"github.com/crossplane/function-sdk-go/errors"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// DittoFSConfig is DittoFS v0.29.0's config.yaml, the keys this function
// sets. DittoFS ignores unknown keys with only a warning, so every key here
// is spelled as in its pkg/config (checked by TestConfigKeysKnownToDittoFS
// and, with the real server, by the boot test). Secret values never go here:
// they reach DittoFS as DITTOFS_* environment variables from Secrets.
type DittoFSConfig struct {
	Logging         configLogging      `yaml:"logging"`
	ShutdownTimeout string             `yaml:"shutdown_timeout"`
	Database        configDatabase     `yaml:"database"`
	ControlPlane    configControlPlane `yaml:"controlplane"`
	Admin           configAdmin        `yaml:"admin"`
	Metrics         *configMetrics     `yaml:"metrics,omitempty"`
	LDAP            *configLDAP        `yaml:"ldap,omitempty"`
	Kerberos        *configKerberos    `yaml:"kerberos,omitempty"`
}

type configLogging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
	// Output must be stdout: without it DittoFS logs to a file in $HOME.
	Output string `yaml:"output"`
}

type configDatabase struct {
	Type   string        `yaml:"type"`
	SQLite *configSQLite `yaml:"sqlite,omitempty"`
}

type configSQLite struct {
	Path string `yaml:"path"`
}

type configControlPlane struct {
	// Host must be 0.0.0.0: DittoFS listens on loopback by default.
	Host string     `yaml:"host"`
	Port int32      `yaml:"port"`
	JWT  configJWT  `yaml:"jwt"`
	TLS  *configTLS `yaml:"tls,omitempty"`
}

type configJWT struct {
	AccessTokenDuration  string `yaml:"access_token_duration"`
	RefreshTokenDuration string `yaml:"refresh_token_duration"`
}

type configTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	ClientCA string `yaml:"client_ca,omitempty"`
}

type configAdmin struct {
	Username string `yaml:"username"`
}

type configMetrics struct {
	Enabled   bool   `yaml:"enabled"`
	Host      string `yaml:"host"`
	Port      int32  `yaml:"port"`
	Path      string `yaml:"path"`
	Auth      string `yaml:"auth"`
	TokenFile string `yaml:"token_file,omitempty"`
}

type configLDAP struct {
	Enabled        bool           `yaml:"enabled"`
	URL            string         `yaml:"url"`
	StartTLS       bool           `yaml:"start_tls"`
	AllowPlaintext bool           `yaml:"allow_plaintext"`
	BaseDN         string         `yaml:"base_dn"`
	BindDN         string         `yaml:"bind_dn"`
	UserAttr       string         `yaml:"user_attr,omitempty"`
	Realm          string         `yaml:"realm,omitempty"`
	IDMap          string         `yaml:"idmap,omitempty"`
	NestedGroups   bool           `yaml:"nested_groups"`
	TLS            *configLDAPTLS `yaml:"tls,omitempty"`
}

type configLDAPTLS struct {
	CACertFile         string `yaml:"ca_cert_file,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

type configKerberos struct {
	Enabled          bool                  `yaml:"enabled"`
	ServicePrincipal string                `yaml:"service_principal"`
	Realm            string                `yaml:"realm,omitempty"`
	NetBIOSDomain    string                `yaml:"netbios_domain,omitempty"`
	DNSDomain        string                `yaml:"dns_domain,omitempty"`
	KeytabPath       string                `yaml:"keytab_path"`
	Krb5Conf         string                `yaml:"krb5_conf,omitempty"`
	MachineAccount   *configMachineAccount `yaml:"machine_account,omitempty"`
}

type configMachineAccount struct {
	Enabled     bool     `yaml:"enabled"`
	AccountName string   `yaml:"account_name"`
	KeytabPath  string   `yaml:"keytab_path,omitempty"`
	DCAddresses []string `yaml:"dc_address,omitempty"`
}

// Where the pod mounts what the config points at.
const (
	configDir            = "/config"
	configFile           = configDir + "/config.yaml"
	tlsDir               = "/tls"
	tlsClientCADir       = "/tls-client-ca"
	metricsTokenDir      = "/metrics-token"
	kerberosKeytabDir    = "/kerberos"
	kerberosKrb5Dir      = "/kerberos-krb5"
	kerberosMachineDir   = "/kerberos-machine"
	ldapCADir            = "/ldap-ca"
	postgresCADir        = "/etc/dittofs/postgres-ca"
	shutdownTimeout      = "30s"
	listenOnAllAddresses = "0.0.0.0"
)

// Config is the DittoFS configuration for ds.
func Config(ds spec.DittoServer) DittoFSConfig {
	s := ds.Spec
	return DittoFSConfig{
		Logging:         configLogging{Level: s.Logging.Level, Format: s.Logging.Format, Output: "stdout"},
		ShutdownTimeout: shutdownTimeout,
		Database:        databaseConfig(ds),
		ControlPlane: configControlPlane{
			Host: listenOnAllAddresses,
			Port: s.ControlPlane.Port,
			JWT:  configJWT{AccessTokenDuration: s.Identity.JWT.AccessTokenDuration, RefreshTokenDuration: s.Identity.JWT.RefreshTokenDuration},
			TLS:  controlPlaneTLS(s.ControlPlane),
		},
		Admin:    configAdmin{Username: spec.AdminUsername},
		Metrics:  metricsConfig(s.Metrics),
		LDAP:     ldapConfig(s.Identity.LDAP),
		Kerberos: kerberosConfig(s.Identity.Kerberos),
	}
}

// DatabaseKind is what DittoFS runs on: sqlite, postgres (an existing one)
// or percona (the composed cluster). Switching it on a live server strands
// the control-plane data, so the StatefulSet records it.
func DatabaseKind(s v1alpha1.DittoServerSpec) string {
	switch {
	case s.Percona.Enabled:
		return "percona"
	case s.Database.PostgresSecretRef != nil:
		return spec.DatabaseTypePostgres
	default:
		return spec.DatabaseTypeSQLite
	}
}

// databaseConfig: with PostgreSQL every connection setting comes from the
// environment (DITTOFS_DATABASE_POSTGRES_*), so the file only names the type.
func databaseConfig(ds spec.DittoServer) configDatabase {
	if DatabaseKind(ds.Spec) == spec.DatabaseTypeSQLite {
		return configDatabase{Type: spec.DatabaseTypeSQLite, SQLite: &configSQLite{Path: ds.Spec.Database.SQLite.Path}}
	}
	return configDatabase{Type: spec.DatabaseTypePostgres}
}

func controlPlaneTLS(c *v1alpha1.ControlPlaneSpec) *configTLS {
	if c.CertSecretName == "" {
		return nil
	}
	t := &configTLS{CertFile: tlsDir + "/tls.crt", KeyFile: tlsDir + "/tls.key"}
	if c.ClientCASecretName != "" {
		t.ClientCA = tlsClientCADir + "/ca.crt"
	}
	return t
}

func metricsConfig(m *v1alpha1.MetricsSpec) *configMetrics {
	if !m.Enabled {
		return nil
	}
	c := &configMetrics{Enabled: true, Host: listenOnAllAddresses, Port: m.Port, Path: m.Path, Auth: "none"}
	if m.BearerTokenSecret != nil {
		c.Auth, c.TokenFile = "token", metricsTokenDir+"/token"
	}
	return c
}

func ldapConfig(l *v1alpha1.LDAPSpec) *configLDAP {
	if l == nil {
		return nil
	}
	c := &configLDAP{
		Enabled: l.Enabled, URL: l.URL, StartTLS: l.StartTLS, AllowPlaintext: l.AllowPlaintext,
		BaseDN: l.BaseDN, BindDN: l.BindDN, UserAttr: l.UserAttr, Realm: l.Realm, IDMap: l.IDMap, NestedGroups: l.NestedGroups,
	}
	if l.CACertSecretRef != nil || l.InsecureSkipVerify {
		c.TLS = &configLDAPTLS{InsecureSkipVerify: l.InsecureSkipVerify}
		if l.CACertSecretRef != nil {
			c.TLS.CACertFile = ldapCADir + "/ca.crt"
		}
	}
	return c
}

func kerberosConfig(k *v1alpha1.KerberosSpec) *configKerberos {
	if k == nil || !k.Enabled {
		return nil
	}
	c := &configKerberos{
		Enabled: true, ServicePrincipal: k.ServicePrincipal, Realm: k.Realm,
		NetBIOSDomain: k.NetBIOSDomain, DNSDomain: k.DNSDomain, KeytabPath: kerberosKeytabDir + "/dittofs.keytab",
	}
	if k.Krb5ConfSecretRef != nil {
		c.Krb5Conf = kerberosKrb5Dir + "/krb5.conf"
	}
	if m := k.MachineAccount; m != nil && m.Enabled {
		c.MachineAccount = &configMachineAccount{Enabled: true, AccountName: m.AccountName, DCAddresses: m.DCAddress}
		if m.KeytabSecretRef != nil {
			c.MachineAccount.KeytabPath = kerberosMachineDir + "/machine.keytab"
		}
	}
	return c
}

const errRenderConfig = "cannot render config.yaml"

// RenderConfig is config.yaml, its keys in the order of the structs' fields,
// so the same spec gives the same bytes. Marshalled directly: going through
// JSON, as sigs.k8s.io/yaml does, cost a tenth of every call.
// The same config renders from renderedConfigs (config_cache.go).
func RenderConfig(c DittoFSConfig) (string, error) {
	key, keyed := renderedConfigKey(c)
	if out, ok := renderedConfigs.get(key, keyed); ok {
		return out, nil
	}
	out, err := renderConfigYAML(c)
	if err != nil {
		return "", err
	}
	renderedConfigs.put(key, keyed, out)
	return out, nil
}

func renderConfigYAML(c DittoFSConfig) (string, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return "", errors.Wrap(err, errRenderConfig)
	}
	return string(b), nil
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }
