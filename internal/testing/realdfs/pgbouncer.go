package realdfs

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncer is Debian's PgBouncer in front of a PGServer, configured the way
// the Percona operator v2.9.0 configures the PgBouncer it runs
// (internal/pgbouncer/config.go and postgres.go of the operator): clients
// authenticate with the passwords PostgreSQL stores, which PgBouncer reads
// as the user _crunchypgbouncer through pgbouncer.get_auth (auth_query);
// client TLS is required, with a server certificate from the cluster's CA;
// the connections to PostgreSQL are TLS, verify-full against that CA. A
// database name is passed through to the same database on the server (the
// operator's "*" entry).
type PgBouncer struct {
	Port     int
	PoolMode string
	Root     string
	LogPath  string
	server   *PGServer
	stop     func()
}

// PgBouncerOptions shape a PgBouncer beyond the operator's configuration.
type PgBouncerOptions struct {
	// PoolMode is pool_mode: session (what the function composes) or
	// transaction. Default: session.
	PoolMode string
	// CertPEM and KeyPEM are PgBouncer's own (frontend) certificate.
	// Default: one for localhost and 127.0.0.1 from the server's CA, as
	// the operator issues it from the cluster's root CA.
	CertPEM, KeyPEM []byte
	// ServerTLSMode is server_tls_sslmode. Default: verify-full, the
	// operator's.
	ServerTLSMode string
	// DefaultPoolSize is default_pool_size. Default: PgBouncer's (20).
	DefaultPoolSize int
	// Global are settings over the above, as the operator lays a
	// cluster's spec.proxy.pgBouncer.config.global over its own.
	Global map[string]string
}

// pgBouncerAuthUser is the role the operator creates for auth_query.
const pgBouncerAuthUser = "_crunchypgbouncer"

// pgBouncerAdmin is a console user of the tests' own (the operator
// configures none), to read SHOW CLIENTS and SHOW SERVERS.
const pgBouncerAdmin = "pgbouncer_admin"

// PgBouncerBinary finds Debian's pgbouncer, or skips: .ci/run installs it.
func PgBouncerBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	t.Skip("no pgbouncer; install it with apt-get install pgbouncer (.ci/run does)")
	return ""
}

// StartPgBouncer prepares the server as the operator does (the auth_query
// role, schema and function in every database and in template1, so
// databases created later have them too), starts PgBouncer in front of it
// and stops it when the test ends.
func StartPgBouncer(t *testing.T, pg *PGServer, o PgBouncerOptions) *PgBouncer {
	t.Helper()
	bin := PgBouncerBinary(t)
	if o.PoolMode == "" {
		o.PoolMode = "session"
	}
	if o.ServerTLSMode == "" {
		o.ServerTLSMode = "verify-full"
	}
	if o.CertPEM == nil {
		o.CertPEM, o.KeyPEM = pg.ServerCertificate(t, "pgbouncer")
	}
	authPassword := "pgb-" + strconv.Itoa(pg.Port) + "-auth"
	pg.enablePgBouncerAuth(t, authPassword)

	root, err := os.MkdirTemp("", "pgb-") //nolint:usetesting // beside the server's, short and owned by the service user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	b := &PgBouncer{Port: FreePort(t), PoolMode: o.PoolMode, Root: root, LogPath: filepath.Join(root, "pgbouncer.log"), server: pg}

	files := map[string][]byte{
		"users.txt": []byte(fmt.Sprintf("%q %q\n%q %q\n", pgBouncerAuthUser, authPassword, pgBouncerAdmin, b.adminPassword())),
		"tls.crt":   o.CertPEM,
		"tls.key":   o.KeyPEM,
		"ca.crt":    pg.CAPEM,
	}
	pool := ""
	if o.DefaultPoolSize > 0 {
		pool = fmt.Sprintf("default_pool_size = %d\n", o.DefaultPoolSize)
	}
	for _, k := range sortedKeys(o.Global) {
		// Later lines of a section win in PgBouncer's ini, as the
		// operator's override does.
		pool += k + " = " + o.Global[k] + "\n"
	}
	// The operator's settings (clusterINI), in its order, then the test's:
	// the pool mode and the console user. listen_addr is the operator's
	// "*" narrowed to loopback.
	files["pgbouncer.ini"] = []byte(fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
auth_file = %[2]s/users.txt
auth_query = SELECT username, password from pgbouncer.get_auth($1)
auth_user = %[3]s
client_tls_ca_file = %[2]s/ca.crt
client_tls_cert_file = %[2]s/tls.crt
client_tls_key_file = %[2]s/tls.key
client_tls_sslmode = require
ignore_startup_parameters = extra_float_digits
listen_addr = 127.0.0.1
listen_port = %[4]d
server_tls_ca_file = %[2]s/ca.crt
server_tls_sslmode = %[5]s
unix_socket_dir =
pool_mode = %[6]s
admin_users = %[7]s
%[8]s`, pg.Port, root, pgBouncerAuthUser, b.Port, o.ServerTLSMode, o.PoolMode, pgBouncerAdmin, pool))
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// PgBouncer refuses to run as root: as root, run it as the account
	// PostgreSQL runs as.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		uid, gid := ServiceUser(t)
		cred = Credential(uid, gid)
		GiveTo(t, root, uid, gid)
	}
	cmd := exec.Command(bin, filepath.Join(root, "pgbouncer.ini")) //nolint:noctx // a server for the whole test: t.Cleanup stops it
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// SIGTERM is PgBouncer's immediate shutdown.
	srv := StartServer(t, ServerCommand{Name: "pgbouncer", Cmd: cmd, LogPath: b.LogPath, StopSignal: syscall.SIGTERM, StopWait: 10 * time.Second})
	b.stop = srv.Stop

	srv.WaitReady(t, 30*time.Second, 20*time.Millisecond, func() error {
		var d net.Dialer
		conn, err := d.DialContext(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(b.Port))
		if err == nil {
			_ = conn.Close()
		}
		return err
	})
	t.Logf("PgBouncer (%s, pool_mode %s, server_tls_sslmode %s) on 127.0.0.1:%d in front of :%d", bin, o.PoolMode, o.ServerTLSMode, b.Port, pg.Port)
	return b
}

func (b *PgBouncer) adminPassword() string { return "pgb-admin-" + strconv.Itoa(b.Port) }

// Stop shuts PgBouncer down; the test's cleanup does it too.
func (b *PgBouncer) Stop() { b.stop() }

// UserSecret is the data of Percona's user Secret when PgBouncer is on: the
// keys of PerconaUserSecret plus pgbouncer-host, pgbouncer-port and
// pgbouncer-uri (the operator's generatePostgresUserSecret).
func (b *PgBouncer) UserSecret(db PGDatabase) map[string]string {
	s := b.server.PerconaUserSecret(db)
	s["pgbouncer-host"] = "127.0.0.1"
	s["pgbouncer-port"] = strconv.Itoa(b.Port)
	s["pgbouncer-uri"] = fmt.Sprintf("postgresql://%s:%s@127.0.0.1:%d/%s", db.User, urlEscape(db.Password), b.Port, db.Name)
	return s
}

// PsqlTCP runs SQL as db's user through PgBouncer with the given sslmode
// (and the cluster's CA for the verify modes).
func (b *PgBouncer) PsqlTCP(ctx context.Context, db PGDatabase, sslmode, sql string) (string, error) {
	return psqlTCP(ctx, b.server, b.Port, db, sslmode, sql)
}

// Console runs a command on PgBouncer's admin console (SHOW CLIENTS, ...)
// over TLS verified against the cluster's CA.
func (b *PgBouncer) Console(ctx context.Context, command string) (string, error) {
	return psqlTCP(ctx, b.server, b.Port, PGDatabase{Name: "pgbouncer", User: pgBouncerAdmin, Password: b.adminPassword()}, "verify-full", command)
}

// Log is what PgBouncer logged so far.
func (b *PgBouncer) Log() string {
	log, _ := os.ReadFile(b.LogPath)
	return string(log)
}

// enablePgBouncerAuth does what the operator's EnableInPostgreSQL does, in
// template1 and every database: the NOLOGIN role _crunchypgbouncer, a schema
// pgbouncer only it may use, and the SECURITY DEFINER function get_auth that
// returns a login role's SCRAM verifier (never a superuser's or a
// replicator's); then the role may log in with password.
func (s *PGServer) enablePgBouncerAuth(t *testing.T, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbs, err := s.PsqlSuper(ctx, "postgres", "select datname from pg_database where datallowconn order by 1")
	if err != nil {
		t.Fatal(err)
	}
	// The names are constants and the password the test's own (no quote).
	role := pgBouncerAuthUser
	sql := strings.Join([]string{
		`CREATE SCHEMA IF NOT EXISTS pgbouncer`,
		fmt.Sprintf(`REVOKE ALL PRIVILEGES ON SCHEMA pgbouncer FROM PUBLIC, "%s"`, role),
		fmt.Sprintf(`GRANT USAGE ON SCHEMA pgbouncer TO "%s"`, role),
		`CREATE OR REPLACE FUNCTION pgbouncer.get_auth(username TEXT)
RETURNS TABLE(username TEXT, password TEXT) AS '
  SELECT rolname::TEXT, rolpassword::TEXT
  FROM pg_catalog.pg_authid
  WHERE pg_authid.rolname = $1
    AND pg_authid.rolcanlogin
    AND NOT pg_authid.rolsuper
    AND NOT pg_authid.rolreplication
    AND pg_authid.rolname <> ''` + role + `''
    AND (pg_authid.rolvaliduntil IS NULL OR pg_authid.rolvaliduntil >= CURRENT_TIMESTAMP)'
LANGUAGE SQL STABLE SECURITY DEFINER`,
		fmt.Sprintf(`REVOKE ALL PRIVILEGES ON FUNCTION pgbouncer.get_auth(username TEXT) FROM PUBLIC, "%s"`, role),
		fmt.Sprintf(`GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(username TEXT) TO "%s"`, role),
		fmt.Sprintf(`ALTER ROLE "%s" SET search_path TO pgbouncer`, role),
		fmt.Sprintf(`ALTER ROLE "%s" LOGIN PASSWORD '%s'`, role, password),
	}, ";\n")
	exists, err := s.PsqlSuper(ctx, "postgres", fmt.Sprintf(`SELECT count(*) FROM pg_roles WHERE rolname = '%s'`, role))
	if err != nil {
		t.Fatal(err)
	}
	if exists != "1" {
		if _, err := s.PsqlSuper(ctx, "postgres", fmt.Sprintf(`CREATE ROLE "%s" NOLOGIN`, role)); err != nil {
			t.Fatal(err)
		}
	}
	for _, db := range strings.Split(dbs, "\n") {
		if _, err := s.PsqlSuper(ctx, db, sql); err != nil {
			t.Fatalf("enabling PgBouncer's auth_query in %s: %v", db, err)
		}
	}
}
