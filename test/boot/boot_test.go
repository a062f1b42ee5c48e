package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The hand-written inputs below follow docs' minimal config (reference
// dittofs-boot.md §1) and the StatefulSet's shape: the same container paths,
// env names and Percona Secrets. They prove the harness; the rendered inputs
// replace them, built the same way from the composed objects.

const (
	testJWTSecret     = "boot-test-jwt-secret-0123456789abcdef0123"
	testAdminPassword = "Adm1n-Initial-Pass!"
	caMount           = "/etc/dittofs/postgres-ca"
)

// containerMounts maps the StatefulSet's volume mounts to fresh host dirs.
func containerMounts(t *testing.T) map[string]string {
	dir := t.TempDir()
	m := map[string]string{}
	for _, c := range []string{"/config", "/data/controlplane", "/data/store/metadata", "/data/store/block", caMount} {
		m[c] = filepath.Join(dir, strings.ReplaceAll(strings.Trim(c, "/"), "/", "-"))
	}
	return m
}

// minimalConfig is the reference's minimal config with ports of our own:
// the API on a free port (a busy API port makes dfs exit) and metrics too
// (a busy metrics port only logs an ERROR, but we want it quiet). The NFS
// and SMB adapters take 12049 and 1445 from the database, not the config; if
// they are busy dfs logs an ERROR and still boots and reports ready.
func minimalConfig(t *testing.T, database string) (config []byte, apiPort int) {
	apiPort = freePort(t)
	return []byte(fmt.Sprintf(`logging:
    level: INFO
    format: json
    output: stdout
shutdown_timeout: 30s
database:
%s
controlplane:
    host: 0.0.0.0
    port: %d
    jwt:
        access_token_duration: 15m
        refresh_token_duration: 168h
admin:
    username: admin
metrics:
    enabled: true
    host: 0.0.0.0
    port: %d
    path: /metrics
    auth: none
`, database, apiPort, freePort(t))), apiPort
}

// handWrittenPostgres is the Percona-shaped input: env from the
// <cluster>-pguser-dittofs Secret (dbname feeds _DATABASE), verify-full with
// the CA from <cluster>-cluster-cert mounted at caMount.
func handWrittenPostgres(t *testing.T, pg *pgServer, db pgDatabase) (bootInput, int) {
	mounts := containerMounts(t)
	writeVolume(t, mounts[caMount], pg.clusterCertSecret())
	config, port := minimalConfig(t, `    type: postgres
    postgres:
        host: placeholder
        database: placeholder
        user: placeholder
        password: placeholder`)
	user := pg.perconaUserSecret(db)
	return bootInput{
		ConfigYAML: config,
		Env: map[string]string{
			"DITTOFS_CONTROLPLANE_SECRET":             testJWTSecret,
			"DITTOFS_ADMIN_INITIAL_PASSWORD":          testAdminPassword,
			"DITTOFS_DATABASE_POSTGRES_HOST":          user["host"],
			"DITTOFS_DATABASE_POSTGRES_PORT":          user["port"],
			"DITTOFS_DATABASE_POSTGRES_DATABASE":      user["dbname"],
			"DITTOFS_DATABASE_POSTGRES_USER":          user["user"],
			"DITTOFS_DATABASE_POSTGRES_PASSWORD":      user["password"],
			"DITTOFS_DATABASE_POSTGRES_SSLMODE":       "verify-full",
			"DITTOFS_DATABASE_POSTGRES_SSL_ROOT_CERT": caMount + "/ca.crt",
			"PGCONNECT_TIMEOUT":                       "10",
		},
		Mounts:        mounts,
		AdminPassword: testAdminPassword,
		Postgres:      pg,
		Database:      db,
	}, port
}

func handWrittenSQLite(t *testing.T) (bootInput, int) {
	config, port := minimalConfig(t, `    type: sqlite
    sqlite:
        path: /data/controlplane/controlplane.db`)
	return bootInput{
		ConfigYAML: config,
		Env: map[string]string{
			"DITTOFS_CONTROLPLANE_SECRET":    testJWTSecret,
			"DITTOFS_ADMIN_INITIAL_PASSWORD": testAdminPassword,
		},
		Mounts:        containerMounts(t),
		AdminPassword: testAdminPassword,
	}, port
}

// TestPostgresIsPerconaShaped checks the local server is what DittoFS meets
// in the cluster: no plain-text logins, verify-full works with our CA, and
// the user can create tables in its own schema but not in public.
func TestPostgresIsPerconaShaped(t *testing.T) {
	skipShort(t)
	pg := startPostgres(t)
	db := pg.createDatabase(t, "dittofs", "dittofs")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if _, err := pg.psqlTCP(ctx, db, "disable", "select 1"); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Errorf("a plain-text login must be refused by pg_hba, got %v", err)
	}
	out, err := pg.psqlTCP(ctx, db, "verify-full", "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()")
	if err != nil || out != "dittofs|t" {
		t.Errorf("verify-full login: %q, %v; want dittofs|t", out, err)
	}
	if _, err := pg.psqlTCP(ctx, db, "verify-full", "create table public.t (x int)"); err == nil || !strings.Contains(err.Error(), "permission denied for schema public") {
		t.Errorf("creating a table in public must be denied as on Percona (PostgreSQL 15+), got %v", err)
	}
	if _, err := pg.psqlTCP(ctx, db, "verify-full", "create table t (x int)"); err != nil {
		t.Errorf("creating a table in the user's schema: %v", err)
	}
}

// TestBootHandWritten boots dfs on hand-written input shaped like what the
// function composes, on Percona-shaped PostgreSQL and on SQLite.
func TestBootHandWritten(t *testing.T) {
	skipShort(t)
	t.Run("postgres", func(t *testing.T) {
		pg := startPostgres(t)
		in, port := handWrittenPostgres(t, pg, pg.createDatabase(t, "dittofs", "dittofs"))
		res := bootDittoFS(t, in)
		t.Logf("dfs on PostgreSQL: /health 200 after %s, /health/ready after %s; %d tables", res.Health.Round(time.Millisecond), res.Ready.Round(time.Millisecond), len(res.Tables))
		if want := "0.0.0.0:" + strconv.Itoa(port); res.APIListenAddr != want {
			t.Errorf("API listens on %q, want %q", res.APIListenAddr, want)
		}
		// With postgres nothing goes to the SQLite path.
		if entries, _ := os.ReadDir(in.Mounts["/data/controlplane"]); len(entries) != 0 {
			t.Errorf("/data/controlplane is not empty with PostgreSQL: %v", entries)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		in, port := handWrittenSQLite(t)
		res := bootDittoFS(t, in)
		t.Logf("dfs on SQLite: /health 200 after %s, /health/ready after %s", res.Health.Round(time.Millisecond), res.Ready.Round(time.Millisecond))
		if want := "0.0.0.0:" + strconv.Itoa(port); res.APIListenAddr != want {
			t.Errorf("API listens on %q, want %q", res.APIListenAddr, want)
		}
		// The container path in the config landed on the mounted volume.
		if fi, err := os.Stat(filepath.Join(in.Mounts["/data/controlplane"], "controlplane.db")); err != nil || fi.Size() == 0 {
			t.Errorf("no SQLite database on the /data/controlplane volume: %v", err)
		}
	})
}

// TestBootCatchesBreakage shows the harness fails on the mistakes a
// composition can make, each for the right reason.
func TestBootCatchesBreakage(t *testing.T) {
	skipShort(t)
	pg := startPostgres(t)
	cases := []struct {
		name   string
		db     bool // on PostgreSQL (else SQLite)
		break_ func(in *bootInput)
		want   []string // in the error, which carries dfs's output
	}{{
		// Percona's key is dbname, but DittoFS reads _DATABASE: with the
		// wrong name dfs uses the config's placeholder database.
		name: "env DITTOFS_DATABASE_POSTGRES_DBNAME", db: true,
		break_: func(in *bootInput) {
			in.Env["DITTOFS_DATABASE_POSTGRES_DBNAME"] = in.Env["DITTOFS_DATABASE_POSTGRES_DATABASE"]
			delete(in.Env, "DITTOFS_DATABASE_POSTGRES_DATABASE")
		},
		want: []string{"exited (rc 1)", `database "placeholder" does not exist`},
	}, {
		// DittoFS's default sslmode is disable; Percona accepts TLS only.
		name: "no sslmode", db: true,
		break_: func(in *bootInput) { delete(in.Env, "DITTOFS_DATABASE_POSTGRES_SSLMODE") },
		want:   []string{"exited (rc 1)", "no encryption"},
	}, {
		// verify-full really verifies: another CA in the mounted Secret fails.
		name: "wrong CA", db: true,
		break_: func(in *bootInput) {
			otherCA, _, _ := makeTLS(t)
			writeVolume(t, in.Mounts[caMount], map[string]string{"ca.crt": string(otherCA)})
		},
		want: []string{"exited (rc 1)", "certificate signed by unknown authority"},
	}, {
		// DittoFS boots despite an unknown key; only its warning tells.
		name: "unknown config key",
		break_: func(in *bootInput) {
			in.ConfigYAML = []byte(strings.Replace(string(in.ConfigYAML), "    host: 0.0.0.0\n    port:", "    host: 0.0.0.0\n    prot: 1\n    port:", 1))
		},
		want: []string{"config contains unknown keys", "controlplane.prot"},
	}}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in bootInput
			if c.db {
				in, _ = handWrittenPostgres(t, pg, pg.createDatabase(t, fmt.Sprintf("broken%d", i), "dittofs"))
			} else {
				in, _ = handWrittenSQLite(t)
			}
			c.break_(&in)
			_, err := tryBootDittoFS(t, in)
			if err == nil {
				t.Fatal("the boot passed; want it to fail")
			}
			t.Logf("failed as it should: %s", firstLines(err.Error(), 3))
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the failure does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestContainerPaths covers the path mapping on its own (no programs).
func TestContainerPaths(t *testing.T) {
	dir := t.TempDir()
	p, err := newContainerPaths(map[string]string{
		"/data":             dir + "/data",
		"/data/store/block": dir + "/block",
		"/config":           dir + "/config",
	})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/config":                 dir + "/config",
		"/config/config.yaml":     dir + "/config/config.yaml",
		"/configx/config.yaml":    "/configx/config.yaml", // not under /config
		"/data/store/block/x":     dir + "/block/x",       // the nested mount wins
		"/data/controlplane/c.db": dir + "/data/controlplane/c.db",
		"verify-full":             "verify-full",
	} {
		if got := p.rewrite(in); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}

	same := []byte("database:\n  type: postgres # no paths\n")
	if got, err := p.rewriteYAML(same); err != nil || string(got) != string(same) {
		t.Errorf("a config without container paths must pass unchanged, got %q, %v", got, err)
	}
	got, err := p.rewriteYAML([]byte("database:\n  sqlite:\n    path: /data/controlplane/controlplane.db\n  type: sqlite\n"))
	want := "database:\n  sqlite:\n    path: " + dir + "/data/controlplane/controlplane.db\n  type: sqlite\n"
	if err != nil || string(got) != want {
		t.Errorf("rewriteYAML = %q, %v; want %q", got, err, want)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
