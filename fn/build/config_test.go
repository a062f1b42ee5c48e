package build

import (
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// baseConfig is the config of minimalSpec: what every case starts from.
func baseConfig() DittoFSConfig {
	return DittoFSConfig{
		Logging:         configLogging{Level: "INFO", Format: "json", Output: "stdout"},
		ShutdownTimeout: "30s",
		Database:        configDatabase{Type: "sqlite", SQLite: &configSQLite{Path: "/data/controlplane/controlplane.db"}},
		ControlPlane: configControlPlane{
			Host: "0.0.0.0",
			Port: 8080,
			JWT:  configJWT{AccessTokenDuration: "15m", RefreshTokenDuration: "168h"},
		},
		Admin: configAdmin{Username: "admin"},
	}
}

func TestBuildConfig(t *testing.T) {
	with := func(mutate func(*v1alpha1.DittoServerSpec)) v1alpha1.DittoServerSpec {
		s := fixture.MinimalSpec()
		mutate(&s)
		return s
	}
	want := func(mutate func(*DittoFSConfig)) DittoFSConfig {
		c := baseConfig()
		mutate(&c)
		return c
	}
	postgresOnly := configDatabase{Type: "postgres"}

	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   DittoFSConfig
	}{
		"SQLiteMinimal": {
			reason: "A minimal XR gets a config DittoFS starts with: SQLite on the control-plane volume, JSON logs to stdout, the API on 8080 on all addresses, no optional section.",
			spec:   fixture.MinimalSpec(),
			want:   baseConfig(),
		},
		"SQLitePathAndLoggingFromSpec": {
			reason: "What the user sets reaches config.yaml: the SQLite path, log level and format, API port and token lifetimes.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Database = &v1alpha1.DatabaseSpec{SQLite: &v1alpha1.SQLiteSpec{Path: "/data/controlplane/cp.db"}}
				s.Logging = &v1alpha1.LoggingSpec{Level: "DEBUG", Format: "text"}
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9443}
				s.Identity = &v1alpha1.IdentitySpec{JWT: &v1alpha1.JWTSpec{AccessTokenDuration: "5m", RefreshTokenDuration: "24h"}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.Database.SQLite.Path = "/data/controlplane/cp.db"
				c.Logging.Level, c.Logging.Format = "DEBUG", "text"
				c.ControlPlane.Port = 9443
				c.ControlPlane.JWT = configJWT{AccessTokenDuration: "5m", RefreshTokenDuration: "24h"}
			}),
		},
		"PerconaNamesOnlyTheType": {
			reason: "With Percona only the type is written: host, user, password and database come from the Percona user Secret through env, so no credential is in a ConfigMap.",
			spec:   fixture.PerconaSpec(fixture.S3Backup()),
			want:   want(func(c *DittoFSConfig) { c.Database = postgresOnly }),
		},
		"ExternalPostgresNamesOnlyTheType": {
			reason: "An external PostgreSQL with sslmode and a CA writes only the type too: those reach DittoFS through env and a mounted file.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Database = &v1alpha1.DatabaseSpec{
					Type: "postgres", PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"},
					SSLMode: "verify-full", CASecretRef: &v1alpha1.SecretKeySelector{Name: "pg-ca"},
				}
			}),
			want: want(func(c *DittoFSConfig) { c.Database = postgresOnly }),
		},
		"MetricsOffHasNoSection": {
			reason: "Metrics off write no section, even with a port set, so DittoFS opens no metrics listener.",
			spec:   with(func(s *v1alpha1.DittoServerSpec) { s.Metrics = &v1alpha1.MetricsSpec{Port: 9100} }),
			want:   baseConfig(),
		},
		"MetricsOnListensEverywhereWithoutAuth": {
			reason: "Metrics on listen on all addresses, so the Service can reach them, on the default port and path, without auth when no token is given.",
			spec:   with(func(s *v1alpha1.DittoServerSpec) { s.Metrics = &v1alpha1.MetricsSpec{Enabled: true} }),
			want: want(func(c *DittoFSConfig) {
				c.Metrics = &configMetrics{Enabled: true, Host: "0.0.0.0", Port: 9090, Path: "/metrics", Auth: "none"}
			}),
		},
		"MetricsWithTokenReadsTheMountedFile": {
			reason: "A bearer token is read from the mounted Secret file, never written into config.yaml, and the port and path given are used.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100, Path: "/m", BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape", Key: "t"}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.Metrics = &configMetrics{Enabled: true, Host: "0.0.0.0", Port: 9100, Path: "/m", Auth: "token", TokenFile: "/metrics-token/token"}
			}),
		},
		"TLSWithoutClientCA": {
			reason: "A certificate Secret makes the API serve TLS from the mounted files, without client verification when no client CA is given.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls"}
			}),
			want: want(func(c *DittoFSConfig) {
				c.ControlPlane.TLS = &configTLS{CertFile: "/tls/tls.crt", KeyFile: "/tls/tls.key"}
			}),
		},
		"TLSWithClientCA": {
			reason: "A client CA turns on mutual TLS, read from its mounted file.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls", ClientCASecretName: "api-clients"}
			}),
			want: want(func(c *DittoFSConfig) {
				c.ControlPlane.TLS = &configTLS{CertFile: "/tls/tls.crt", KeyFile: "/tls/tls.key", ClientCA: "/tls-client-ca/ca.crt"}
			}),
		},
		"LDAPWithCA": {
			reason: "Every LDAP setting is passed through and the CA as its mounted file; the bind password is not written, it comes through env.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{LDAP: &v1alpha1.LDAPSpec{
					Enabled: true, URL: "ldaps://dc.example.com", BaseDN: "dc=example,dc=com", BindDN: "cn=svc,dc=example,dc=com",
					BindPasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "ldap", Key: "password"},
					UserAttr:              "sAMAccountName", Realm: "EXAMPLE.COM", IDMap: "rid", NestedGroups: true,
					CACertSecretRef: &v1alpha1.SecretKeySelector{Name: "ldap-ca"},
				}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.LDAP = &configLDAP{
					Enabled: true, URL: "ldaps://dc.example.com", BaseDN: "dc=example,dc=com", BindDN: "cn=svc,dc=example,dc=com",
					UserAttr: "sAMAccountName", Realm: "EXAMPLE.COM", IDMap: "rid", NestedGroups: true,
					TLS: &configLDAPTLS{CACertFile: "/ldap-ca/ca.crt"},
				}
			}),
		},
		"LDAPStartTLSInsecureWithoutCA": {
			reason: "insecure_skip_verify alone still writes a tls section, so the user's choice to skip verification is not lost without a CA.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{LDAP: &v1alpha1.LDAPSpec{
					Enabled: true, URL: "ldap://dc", BaseDN: "dc=x", BindDN: "cn=y", StartTLS: true, InsecureSkipVerify: true,
				}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.LDAP = &configLDAP{
					Enabled: true, URL: "ldap://dc", BaseDN: "dc=x", BindDN: "cn=y", StartTLS: true,
					TLS: &configLDAPTLS{InsecureSkipVerify: true},
				}
			}),
		},
		"KerberosOffHasNoSection": {
			reason: "Kerberos settings with enabled false write no section, so DittoFS does not look for a keytab that is not mounted.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{Kerberos: &v1alpha1.KerberosSpec{ServicePrincipal: "nfs/x@Y"}}
			}),
			want: baseConfig(),
		},
		"KerberosWithMachineAccount": {
			reason: "Kerberos and its machine account read keytabs and krb5.conf from their mounted files, and the machine account's secret stays out of config.yaml.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{Kerberos: &v1alpha1.KerberosSpec{
					Enabled: true, ServicePrincipal: "nfs/files.example.com@EXAMPLE.COM", Realm: "EXAMPLE.COM",
					NetBIOSDomain: "EXAMPLE", DNSDomain: "example.com",
					KeytabSecretRef:   &v1alpha1.SecretKeySelector{Name: "keytab"},
					Krb5ConfSecretRef: &v1alpha1.SecretKeySelector{Name: "krb5"},
					MachineAccount: &v1alpha1.MachineAccountSpec{
						Enabled: true, AccountName: "FILES$",
						SecretRef:       &v1alpha1.SecretKeySelector{Name: "machine", Key: "secret"},
						KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "machine-keytab"},
						DCAddress:       []string{"dc1.example.com", "dc2.example.com"},
					},
				}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.Kerberos = &configKerberos{
					Enabled: true, ServicePrincipal: "nfs/files.example.com@EXAMPLE.COM", Realm: "EXAMPLE.COM",
					NetBIOSDomain: "EXAMPLE", DNSDomain: "example.com",
					KeytabPath: "/kerberos/dittofs.keytab", Krb5Conf: "/kerberos-krb5/krb5.conf",
					MachineAccount: &configMachineAccount{
						Enabled: true, AccountName: "FILES$", KeytabPath: "/kerberos-machine/machine.keytab",
						DCAddresses: []string{"dc1.example.com", "dc2.example.com"},
					},
				}
			}),
		},
		"KerberosMachineAccountOffIsLeftOut": {
			reason: "A machine account that is not enabled is left out entirely, not written disabled with a name.",
			spec: with(func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{Kerberos: &v1alpha1.KerberosSpec{
					Enabled: true, ServicePrincipal: "nfs/x@Y", KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "keytab"},
					MachineAccount: &v1alpha1.MachineAccountSpec{AccountName: "FILES$"},
				}}
			}),
			want: want(func(c *DittoFSConfig) {
				c.Kerberos = &configKerberos{Enabled: true, ServicePrincipal: "nfs/x@Y", KeytabPath: "/kerberos/dittofs.keytab"}
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Config(fixture.DittoServer(tc.spec))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nConfig(ds): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// The sections of config.yaml for minimalSpec, in the order RenderConfig
// writes them; each case's want is the whole file, put together from these.
const (
	yamlHead = `logging:
  level: INFO
  format: json
  output: stdout
shutdown_timeout: 30s
`
	yamlSQLite = `database:
  type: sqlite
  sqlite:
    path: /data/controlplane/controlplane.db
`
	yamlControlPlane = `controlplane:
  host: 0.0.0.0
  port: 8080
  jwt:
    access_token_duration: 15m
    refresh_token_duration: 168h
`
	yamlAdmin = `admin:
  username: admin
`
)

func TestRenderConfig(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   string
	}{
		"SQLiteMinimal": {
			reason: "The file is rendered with DittoFS's snake_case keys in a fixed order, so the same spec always gives the same bytes and the same config hash.",
			spec:   fixture.MinimalSpec(),
			want:   yamlHead + yamlSQLite + yamlControlPlane + yamlAdmin,
		},
		"PerconaHoldsNoConnectionSettings": {
			reason: "With Percona the file holds no host, user, password or database name: they come from the Percona user Secret through env.",
			spec:   fixture.PerconaSpec(fixture.S3Backup()),
			want:   yamlHead + "database:\n  type: postgres\n" + yamlControlPlane + yamlAdmin,
		},
		"MetricsWithTokenAndMTLS": {
			reason: "The optional sections render nested under the keys DittoFS reads: controlplane.tls with client_ca, and metrics with its token_file.",
			spec: func() v1alpha1.DittoServerSpec {
				s := fixture.MinimalSpec()
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape"}}
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls", ClientCASecretName: "api-clients"}
				return s
			}(),
			want: yamlHead + yamlSQLite + yamlControlPlane + `  tls:
    cert_file: /tls/tls.crt
    key_file: /tls/tls.key
    client_ca: /tls-client-ca/ca.crt
` + yamlAdmin + `metrics:
  enabled: true
  host: 0.0.0.0
  port: 9090
  path: /metrics
  auth: token
  token_file: /metrics-token/token
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := RenderConfig(Config(fixture.DittoServer(tc.spec)))
			if err != nil {
				t.Fatalf("%s\nRenderConfig(Config(ds)): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRenderConfig(Config(ds)): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// dittofsConfigKeys are the config.yaml keys DittoFS v0.29.0 reads, from
// the mapstructure tags of github.com/marmos91/dittofs@v0.29.0:
// pkg/config/config.go (Config, LoggingConfig, AdminConfig, KerberosConfig,
// MachineAccountConfig), pkg/config/metrics.go (MetricsConfig),
// pkg/controlplane/store/gorm.go (Config, SQLiteConfig, PostgresConfig),
// pkg/controlplane/api/config.go (APIConfig, JWTConfig, TLSConfig) and
// pkg/identity/ldap/config.go (Config, TLSConfig). Sections the function
// never writes (blockstore, metadata, gc, snapshot, identity, logging
// rotation, kerberos identity_mapping and online_join) are left out, and so
// are the keys that hold secrets (see dittofsSecretKeys).
var dittofsConfigKeys = map[string]bool{
	"shutdown_timeout": true,

	"logging.level":  true,
	"logging.format": true,
	"logging.output": true,

	"database.type":                    true,
	"database.sqlite.path":             true,
	"database.postgres.host":           true,
	"database.postgres.port":           true,
	"database.postgres.database":       true,
	"database.postgres.user":           true,
	"database.postgres.sslmode":        true,
	"database.postgres.ssl_root_cert":  true,
	"database.postgres.max_open_conns": true,
	"database.postgres.max_idle_conns": true,

	"controlplane.host":                            true,
	"controlplane.port":                            true,
	"controlplane.read_timeout":                    true,
	"controlplane.write_timeout":                   true,
	"controlplane.idle_timeout":                    true,
	"controlplane.drain_stall_timeout":             true,
	"controlplane.pprof":                           true,
	"controlplane.pprof_mutex_rate":                true,
	"controlplane.pprof_block_rate_ns":             true,
	"controlplane.require_initial_password_change": true,
	"controlplane.jwt.access_token_duration":       true,
	"controlplane.jwt.refresh_token_duration":      true,
	"controlplane.tls.cert_file":                   true,
	"controlplane.tls.key_file":                    true,
	"controlplane.tls.client_ca":                   true,
	"controlplane.tls.min_version":                 true,

	"admin.username": true,
	"admin.email":    true,

	"metrics.enabled":         true,
	"metrics.host":            true,
	"metrics.port":            true,
	"metrics.path":            true,
	"metrics.auth":            true,
	"metrics.token_file":      true,
	"metrics.tls.cert_file":   true,
	"metrics.tls.key_file":    true,
	"metrics.tls.client_ca":   true,
	"metrics.tls.min_version": true,

	"ldap.enabled":                  true,
	"ldap.url":                      true,
	"ldap.start_tls":                true,
	"ldap.allow_plaintext":          true,
	"ldap.base_dn":                  true,
	"ldap.bind_dn":                  true,
	"ldap.user_attr":                true,
	"ldap.realm":                    true,
	"ldap.idmap":                    true,
	"ldap.nested_groups":            true,
	"ldap.timeout":                  true,
	"ldap.max_group_results":        true,
	"ldap.tls.ca_cert_file":         true,
	"ldap.tls.client_cert_file":     true,
	"ldap.tls.client_key_file":      true,
	"ldap.tls.insecure_skip_verify": true,
	"ldap.tls.min_version":          true,

	"kerberos.enabled":                      true,
	"kerberos.keytab_path":                  true,
	"kerberos.service_principal":            true,
	"kerberos.realm":                        true,
	"kerberos.netbios_domain":               true,
	"kerberos.dns_domain":                   true,
	"kerberos.krb5_conf":                    true,
	"kerberos.max_clock_skew":               true,
	"kerberos.context_ttl":                  true,
	"kerberos.max_contexts":                 true,
	"kerberos.machine_account.enabled":      true,
	"kerberos.machine_account.account_name": true,
	"kerberos.machine_account.keytab_path":  true,
	"kerberos.machine_account.dc_address":   true,
}

// dittofsSecretKeys are keys DittoFS accepts that hold secret values: the
// function passes them as DITTOFS_* environment variables from Secrets, and
// config.yaml (a ConfigMap) must never carry them.
var dittofsSecretKeys = []string{
	"controlplane.jwt.secret",
	"admin.password_hash",
	"database.postgres.password",
	"ldap.bind_password",
	"kerberos.machine_account.secret",
}

// everythingOn turns on every feature that writes to config.yaml.
func everythingOn(s v1alpha1.DittoServerSpec) v1alpha1.DittoServerSpec {
	s.Storage.ContentSize = "100Gi"
	s.ControlPlane = &v1alpha1.ControlPlaneSpec{TLS: true, CertSecretName: "api-tls", ClientCASecretName: "api-clients"}
	s.Metrics = &v1alpha1.MetricsSpec{
		Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape"},
		ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true, Interval: "30s"},
	}
	s.Logging = &v1alpha1.LoggingSpec{Level: "DEBUG", Format: "text"}
	s.Identity = &v1alpha1.IdentitySpec{
		JWT:   &v1alpha1.JWTSpec{SecretRef: &v1alpha1.SecretKeySelector{Name: "jwt"}},
		Admin: &v1alpha1.AdminSpec{PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "admin"}},
		LDAP: &v1alpha1.LDAPSpec{
			Enabled: true, URL: "ldap://dc", BaseDN: "dc=x", BindDN: "cn=y", StartTLS: true, AllowPlaintext: true,
			BindPasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "ldap"},
			UserAttr:              "uid", Realm: "X", IDMap: "rfc2307", NestedGroups: true,
			CACertSecretRef: &v1alpha1.SecretKeySelector{Name: "ldap-ca"}, InsecureSkipVerify: true,
		},
		Kerberos: &v1alpha1.KerberosSpec{
			Enabled: true, ServicePrincipal: "nfs/x@X", Realm: "X", NetBIOSDomain: "X", DNSDomain: "x",
			KeytabSecretRef:   &v1alpha1.SecretKeySelector{Name: "keytab"},
			Krb5ConfSecretRef: &v1alpha1.SecretKeySelector{Name: "krb5"},
			MachineAccount: &v1alpha1.MachineAccountSpec{
				Enabled: true, AccountName: "X$", SecretRef: &v1alpha1.SecretKeySelector{Name: "m"},
				KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "mk"}, DCAddress: []string{"dc"},
			},
		},
	}
	return s
}

// TestConfigKeysKnownToDittoFS: DittoFS ignores a misspelt key with only a
// warning, so every key config.yaml has must be one DittoFS reads.
func TestConfigKeysKnownToDittoFS(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		// want are the key paths the rendered config must have (all of
		// them: a key the function stops writing fails here too).
		want []string
	}{
		"SQLiteWithEverythingOn": {
			reason: "With every feature on, each key written is one DittoFS v0.29.0 reads (a misspelt one it ignores with only a warning), and none holds a secret.",
			spec:   everythingOn(fixture.MinimalSpec()),
			want: []string{
				"admin.username",
				"controlplane.host", "controlplane.jwt.access_token_duration", "controlplane.jwt.refresh_token_duration",
				"controlplane.port", "controlplane.tls.cert_file", "controlplane.tls.client_ca", "controlplane.tls.key_file",
				"database.sqlite.path", "database.type",
				"kerberos.dns_domain", "kerberos.enabled", "kerberos.keytab_path", "kerberos.krb5_conf",
				"kerberos.machine_account.account_name", "kerberos.machine_account.dc_address",
				"kerberos.machine_account.enabled", "kerberos.machine_account.keytab_path",
				"kerberos.netbios_domain", "kerberos.realm", "kerberos.service_principal",
				"ldap.allow_plaintext", "ldap.base_dn", "ldap.bind_dn", "ldap.enabled", "ldap.idmap", "ldap.nested_groups",
				"ldap.realm", "ldap.start_tls", "ldap.tls.ca_cert_file", "ldap.tls.insecure_skip_verify", "ldap.url", "ldap.user_attr",
				"logging.format", "logging.level", "logging.output",
				"metrics.auth", "metrics.enabled", "metrics.host", "metrics.path", "metrics.port", "metrics.token_file",
				"shutdown_timeout",
			},
		},
		"PerconaWithEverythingOn": {
			reason: "With Percona the database section is only its type: no database.postgres key, so no connection setting or password, is written.",
			spec: func() v1alpha1.DittoServerSpec {
				s := everythingOn(fixture.PerconaSpec(fixture.S3Backup()))
				// Only the database section differs; keep the rest small.
				s.Identity.LDAP, s.Identity.Kerberos, s.Metrics = nil, nil, nil
				return s
			}(),
			want: []string{
				"admin.username",
				"controlplane.host", "controlplane.jwt.access_token_duration", "controlplane.jwt.refresh_token_duration",
				"controlplane.port", "controlplane.tls.cert_file", "controlplane.tls.client_ca", "controlplane.tls.key_file",
				"database.type",
				"logging.format", "logging.level", "logging.output",
				"shutdown_timeout",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rendered, err := RenderConfig(Config(fixture.DittoServer(tc.spec)))
			if err != nil {
				t.Fatalf("%s\nRenderConfig(Config(ds)): %v", tc.reason, err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(rendered), &doc); err != nil {
				t.Fatalf("%s\nRenderConfig(Config(ds)): config.yaml does not parse: %v\n%s", tc.reason, err, rendered)
			}
			got := keyPaths("", doc)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRenderConfig(Config(ds)): key paths: -want, +got:\n%s", tc.reason, diff)
			}
			for _, p := range got {
				if !dittofsConfigKeys[p] {
					t.Errorf("%s\nRenderConfig(Config(ds)): config.yaml has %q, which DittoFS v0.29.0 does not read", tc.reason, p)
				}
			}
			for _, p := range dittofsSecretKeys {
				if slices.Contains(got, p) {
					t.Errorf("%s\nRenderConfig(Config(ds)): config.yaml carries the secret key %q", tc.reason, p)
				}
			}
		})
	}
}

// TestConfigKeyAllowlistRejects proves the allowlist check can fail: the
// names DittoFS's operator wrote but v0.29.0 never reads are not in it.
func TestConfigKeyAllowlistRejects(t *testing.T) {
	for _, p := range []string{"database.url", "controlplane.tls.enabled", "metrics.listen", "kerberos.keytab", "ldap.server", "server.port"} {
		if dittofsConfigKeys[p] {
			t.Errorf("allowlist accepts %q", p)
		}
	}
}

// keyPaths are the dotted paths of the leaves of a YAML document, sorted.
func keyPaths(prefix string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{prefix}
	}
	var out []string
	for k, child := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, keyPaths(p, child)...)
	}
	sort.Strings(out)
	return out
}

// TestConfigIgnoresSecretRefs: the refs to Secrets change nothing in
// config.yaml, so rotating which Secret holds a value does not roll the pod
// through a config change, and no Secret name leaks into the ConfigMap.
func TestConfigIgnoresSecretRefs(t *testing.T) {
	plain := fixture.MinimalSpec()
	refs := fixture.MinimalSpec()
	refs.Identity = &v1alpha1.IdentitySpec{
		JWT:   &v1alpha1.JWTSpec{SecretRef: &v1alpha1.SecretKeySelector{Name: "my-jwt", Key: "k"}},
		Admin: &v1alpha1.AdminSpec{PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "my-admin"}},
	}
	refs.Replicas = ptr.To[int32](0)
	// Both renders must succeed: two errors would render "" twice and
	// compare equal.
	a, err := RenderConfig(Config(fixture.DittoServer(plain)))
	if err != nil {
		t.Fatalf("RenderConfig(Config(ds)) without refs: %v", err)
	}
	b, err := RenderConfig(Config(fixture.DittoServer(refs)))
	if err != nil {
		t.Fatalf("RenderConfig(Config(ds)) with refs: %v", err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("RenderConfig(Config(ds)): config.yaml changed with Secret refs: -without, +with:\n%s", diff)
	}
}
