package boot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// serverSSLQuery lists, for every backend of user dittofs on database
// dittofs but this one, whether its connection is TLS and where it comes
// from: through PgBouncer, these are PgBouncer's server connections.
const serverSSLQuery = `select a.client_addr, s.ssl, s.version <> ''
  from pg_stat_activity a join pg_stat_ssl s using (pid)
 where a.usename = 'dittofs' and a.datname = 'dittofs' and a.pid <> pg_backend_pid()
 order by a.pid`

// TestPgBouncerIsPerconaShaped checks the local PgBouncer is what DittoFS
// meets in the cluster: a client needs TLS and verifies PgBouncer's
// certificate against the cluster's CA (verify-full), logs in with its own
// PostgreSQL password (auth_query), and PgBouncer's own connection to
// PostgreSQL is TLS.
func TestPgBouncerIsPerconaShaped(t *testing.T) {
	skipShort(t)
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	pgb := realdfs.StartPgBouncer(t, pg, realdfs.PgBouncerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if _, err := pgb.PsqlTCP(ctx, db, "disable", "select 1"); err == nil || !strings.Contains(err.Error(), "SSL required") {
		t.Errorf("a plain-text client must be refused by PgBouncer (client_tls_sslmode require), got %v", err)
	}
	wrong := db
	wrong.Password = "not-the-password"
	if _, err := pgb.PsqlTCP(ctx, wrong, "verify-full", "select 1"); err == nil || !strings.Contains(err.Error(), "SASL authentication failed") {
		t.Errorf("a wrong password must be refused (auth_query against PostgreSQL), got %v", err)
	}
	// On the one connection, what the client sees and what the server sees
	// of PgBouncer's connection for it (session mode: the same backend).
	out, err := pgb.PsqlTCP(ctx, db, "verify-full", "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()")
	if err != nil || out != "dittofs|t" {
		t.Errorf("through PgBouncer, verify-full: %q, %v; want dittofs|t (PgBouncer's server connection over TLS)", out, err)
	}
}

// throughPgBouncer is the hand-written Percona input with DittoFS pointed
// at PgBouncer as the function points it when proxy.pgBouncer is on: host
// and port from the user Secret's pgbouncer-host and pgbouncer-port, the
// rest (database, user, password, verify-full with the cluster's CA) as
// without it.
func throughPgBouncer(t *testing.T, pg *realdfs.PGServer, pgb *realdfs.PgBouncer, db realdfs.PGDatabase) realdfs.BootInput {
	t.Helper()
	in, _ := handWrittenPostgres(t, pg, db)
	user := pgb.UserSecret(db)
	in.Env["DITTOFS_DATABASE_POSTGRES_HOST"] = user["pgbouncer-host"]
	in.Env["DITTOFS_DATABASE_POSTGRES_PORT"] = user["pgbouncer-port"]
	return in
}

// TestBootThroughPgBouncer boots the real DittoFS through the real
// PgBouncer in session mode, in front of the TLS-only PostgreSQL: DittoFS
// verifies PgBouncer's certificate against the cluster's CA (verify-full),
// and every server connection PgBouncer opens for it is TLS, as
// pg_stat_ssl on the server and PgBouncer's SHOW SERVERS both say.
func TestBootThroughPgBouncer(t *testing.T) {
	skipShort(t)
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	pgb := realdfs.StartPgBouncer(t, pg, realdfs.PgBouncerOptions{})
	in := throughPgBouncer(t, pg, pgb, db)

	res, connections := bootAndCheckThroughPgBouncer(t, pg, pgb, in)
	t.Logf("dfs through PgBouncer (session): /health/ready after %s, %d tables; PostgreSQL sees %d TLS connection(s) of dittofs, all from PgBouncer",
		res.Ready.Round(time.Millisecond), len(res.Tables), connections)
}

// TestBootRenderedThroughPgBouncer boots DittoFS from exactly what the
// function composes for example/percona-production (PgBouncer on, and
// reported ready), through a PgBouncer with the composed settings
// (config.global: pool_mode, default_pool_size), with the user Secret as
// Percona writes it with its proxy set: the rendered pod must pick pgbouncer-host and pgbouncer-port, its
// wait container log in through PgBouncer, and DittoFS run on it with TLS
// on both legs.
func TestBootRenderedThroughPgBouncer(t *testing.T) {
	skipShort(t)
	r := renderExample(t, "percona-production")
	if r.PGBouncerGlobal["pool_mode"] != "session" {
		t.Fatalf("the composed PgBouncer's config.global is %v, want pool_mode session", r.PGBouncerGlobal)
	}
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	// PgBouncer as the operator runs it for this cluster: its own settings
	// with the composed config.global over them.
	pgb := realdfs.StartPgBouncer(t, pg, realdfs.PgBouncerOptions{Global: r.PGBouncerGlobal})
	in, err := realdfs.RenderedInputThrough(t, r, pg, pgb, db, "files-postgres")
	if err != nil {
		t.Fatal(err)
	}
	if in.Env["DITTOFS_DATABASE_POSTGRES_PORT"] != strconv.Itoa(pgb.Port) {
		t.Fatalf("the rendered pod dials port %s, not PgBouncer's %d", in.Env["DITTOFS_DATABASE_POSTGRES_PORT"], pgb.Port)
	}
	// The wait container ran already (RenderedInputThrough): its login
	// went through PgBouncer too.
	if n := strings.Count(pgb.Log(), "login attempt: db=dittofs user=dittofs"); n == 0 {
		t.Errorf("no login through PgBouncer before DittoFS started (the wait container):\n%s", pgb.Log())
	}
	res, connections := bootAndCheckThroughPgBouncer(t, pg, pgb, in)
	t.Logf("dfs from the rendered production example, through PgBouncer: /health/ready after %s; %d TLS connection(s) of dittofs on PostgreSQL, all from PgBouncer",
		res.Ready.Round(time.Millisecond), connections)
}

// bootAndCheckThroughPgBouncer starts dfs on in, checks it (login, tables),
// and, while it runs, that every connection of dittofs PostgreSQL sees is
// TLS and PgBouncer's (SHOW SERVERS lists as many, all TLS), and that
// PgBouncer's clients are TLS; then stops it. It returns the boot and the
// number of server connections.
func bootAndCheckThroughPgBouncer(t *testing.T, pg *realdfs.PGServer, pgb *realdfs.PgBouncer, in realdfs.BootInput) (realdfs.BootResult, int) {
	t.Helper()
	d, err := realdfs.StartDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Check()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := pg.PsqlSuper(ctx, "postgres", serverSSLQuery)
	if err != nil {
		t.Fatal(err)
	}
	if rows == "" {
		t.Fatal("DittoFS is up, but PostgreSQL has no connection of user dittofs")
	}
	connections := strings.Split(rows, "\n")
	for _, row := range connections {
		if row != "127.0.0.1|t|t" {
			t.Errorf("a server connection of dittofs is %q, want 127.0.0.1|t|t (TLS, with a protocol version)", row)
		}
	}
	servers, err := pgb.Console(ctx, "show servers")
	if err != nil {
		t.Fatal(err)
	}
	clients, err := pgb.Console(ctx, "show clients")
	if err != nil {
		t.Fatal(err)
	}
	// SHOW SERVERS / SHOW CLIENTS: type|user|database|state|addr|port|...|tls|...
	if n := countRows(servers, "|dittofs|dittofs|", "TLSv1."); n != len(connections) {
		t.Errorf("PgBouncer's TLS server connections for dittofs: %d, PostgreSQL sees %d:\n%s", n, len(connections), servers)
	}
	if n := countRows(clients, "|dittofs|dittofs|", "TLSv1."); n == 0 {
		t.Errorf("no TLS client connection of dittofs on PgBouncer:\n%s", clients)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	return res, len(connections)
}

// countRows counts the lines of a console listing that hold every part.
func countRows(listing string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(listing, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			n++
		}
	}
	return n
}

// TestBootThroughPgBouncerCatchesBreakage: each leg's TLS is really
// verified. PgBouncer with a certificate of another CA fails DittoFS's
// verify-full; PgBouncer without TLS to PostgreSQL is refused by the
// TLS-only server, and DittoFS does not start.
func TestBootThroughPgBouncerCatchesBreakage(t *testing.T) {
	skipShort(t)
	pg := realdfs.StartPostgres(t)
	_, otherCert, otherKey := realdfs.MakeTLS(t)
	for _, c := range []struct {
		name string
		opts realdfs.PgBouncerOptions
		want []string
	}{{
		name: "PgBouncer certificate of another CA",
		opts: realdfs.PgBouncerOptions{CertPEM: otherCert, KeyPEM: otherKey},
		want: []string{"exited (rc 1)", "certificate signed by unknown authority"},
	}, {
		name: "PgBouncer to PostgreSQL without TLS",
		opts: realdfs.PgBouncerOptions{ServerTLSMode: "disable"},
		want: []string{"exited (rc 1)"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			db := pg.CreateDatabase(t, "broken_"+strings.ReplaceAll(strings.ToLower(c.name), " ", "_"), "dittofs")
			pgb := realdfs.StartPgBouncer(t, pg, c.opts)
			_, err := realdfs.TryBootDittoFS(t, throughPgBouncer(t, pg, pgb, db))
			if err == nil {
				t.Fatal("the boot passed; want it to fail")
			}
			t.Logf("failed as it should: %s", firstLines(err.Error(), 3))
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the failure does not mention %q:\n%v", w, err)
				}
			}
			if c.opts.ServerTLSMode == "disable" && !strings.Contains(pg.Log(), "no encryption") {
				t.Errorf("PostgreSQL did not refuse PgBouncer's plain-text login:\n%s", pg.Log())
			}
		})
	}
}
