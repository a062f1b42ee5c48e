package boot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// The hand-written inputs below follow DittoFS's minimal config (the
// reference dittofs-boot.md §1) and the composed StatefulSet's shape: the
// same container paths, env names and Percona Secrets. They prove the
// harness; the rendered test feeds the rendered objects through realdfs.PodInput
// instead (see TestBootFromStatefulSet).

const (
	testJWTSecret     = "boot-test-jwt-secret-0123456789abcdef0123"
	testAdminPassword = "Adm1n-Initial-Pass!"
	caMount           = "/etc/dittofs/postgres-ca"
)

// containerMounts maps the StatefulSet's volume mounts to fresh host dirs.
func containerMounts(t *testing.T) map[string]string {
	t.Helper()
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
	t.Helper()
	apiPort = realdfs.FreePort(t)
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
`, database, apiPort, realdfs.FreePort(t))), apiPort
}

// handWrittenPostgres is the Percona-shaped input: env from the
// <cluster>-pguser-dittofs Secret (dbname feeds _DATABASE), verify-full with
// the CA from <cluster>-cluster-cert mounted at caMount.
func handWrittenPostgres(t *testing.T, pg *realdfs.PGServer, db realdfs.PGDatabase) (realdfs.BootInput, int) {
	t.Helper()
	mounts := containerMounts(t)
	realdfs.WriteVolume(t, mounts[caMount], pg.ClusterCertSecret())
	config, port := minimalConfig(t, `    type: postgres
    postgres:
        host: placeholder
        database: placeholder
        user: placeholder
        password: placeholder`)
	user := pg.PerconaUserSecret(db)
	return realdfs.BootInput{
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

func handWrittenSQLite(t *testing.T) (realdfs.BootInput, int) {
	t.Helper()
	config, port := minimalConfig(t, `    type: sqlite
    sqlite:
        path: /data/controlplane/controlplane.db`)
	return realdfs.BootInput{
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
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if _, err := pg.PsqlTCP(ctx, db, "disable", "select 1"); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Errorf("a plain-text login must be refused by pg_hba, got %v", err)
	}
	out, err := pg.PsqlTCP(ctx, db, "verify-full", "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()")
	if err != nil || out != "dittofs|t" {
		t.Errorf("verify-full login: %q, %v; want dittofs|t", out, err)
	}
	if _, err := pg.PsqlTCP(ctx, db, "verify-full", "create table public.t (x int)"); err == nil || !strings.Contains(err.Error(), "permission denied for schema public") {
		t.Errorf("creating a table in public must be denied as on Percona (PostgreSQL 15+), got %v", err)
	}
	if _, err := pg.PsqlTCP(ctx, db, "verify-full", "create table t (x int)"); err != nil {
		t.Errorf("creating a table in the user's schema: %v", err)
	}
}

// TestBootHandWritten boots dfs on hand-written input shaped like what the
// function composes, on Percona-shaped PostgreSQL and on SQLite.
func TestBootHandWritten(t *testing.T) {
	skipShort(t)
	t.Run("postgres", func(t *testing.T) {
		pg := realdfs.StartPostgres(t)
		in, port := handWrittenPostgres(t, pg, pg.CreateDatabase(t, "dittofs", "dittofs"))
		res := realdfs.BootDittoFS(t, in)
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
		res := realdfs.BootDittoFS(t, in)
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
	pg := realdfs.StartPostgres(t)
	cases := []struct {
		name   string
		db     bool // on PostgreSQL (else SQLite)
		damage func(in *realdfs.BootInput)
		want   []string // in the error, which carries dfs's output
	}{{
		// Percona's key is dbname, but DittoFS reads _DATABASE: with the
		// wrong name dfs uses the config's placeholder database.
		name: "env DITTOFS_DATABASE_POSTGRES_DBNAME", db: true,
		damage: func(in *realdfs.BootInput) {
			in.Env["DITTOFS_DATABASE_POSTGRES_DBNAME"] = in.Env["DITTOFS_DATABASE_POSTGRES_DATABASE"]
			delete(in.Env, "DITTOFS_DATABASE_POSTGRES_DATABASE")
		},
		want: []string{"exited (rc 1)", `database "placeholder" does not exist`},
	}, {
		// DittoFS's default sslmode is disable; Percona accepts TLS only.
		name: "no sslmode", db: true,
		damage: func(in *realdfs.BootInput) { delete(in.Env, "DITTOFS_DATABASE_POSTGRES_SSLMODE") },
		want:   []string{"exited (rc 1)", "no encryption"},
	}, {
		// verify-full really verifies: another CA in the mounted Secret fails.
		name: "wrong CA", db: true,
		damage: func(in *realdfs.BootInput) {
			otherCA, _, _ := realdfs.MakeTLS(t)
			realdfs.WriteVolume(t, in.Mounts[caMount], map[string]string{"ca.crt": string(otherCA)})
		},
		want: []string{"exited (rc 1)", "certificate signed by unknown authority"},
	}, {
		// DittoFS boots despite an unknown key; only its warning tells.
		name: "unknown config key",
		damage: func(in *realdfs.BootInput) {
			in.ConfigYAML = []byte(strings.Replace(string(in.ConfigYAML), "    host: 0.0.0.0\n    port:", "    host: 0.0.0.0\n    prot: 1\n    port:", 1))
		},
		want: []string{"config contains unknown keys", "controlplane.prot"},
	}}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in realdfs.BootInput
			if c.db {
				in, _ = handWrittenPostgres(t, pg, pg.CreateDatabase(t, fmt.Sprintf("broken%d", i), "dittofs"))
			} else {
				in, _ = handWrittenSQLite(t)
			}
			c.damage(&in)
			_, err := realdfs.TryBootDittoFS(t, in)
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
	p, err := realdfs.NewContainerPaths(map[string]string{
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
		if got := p.Rewrite(in); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}

	same := []byte("database:\n  type: postgres # no paths\n")
	if got, err := p.RewriteYAML(same); err != nil || !bytes.Equal(got, same) {
		t.Errorf("a config without container paths must pass unchanged, got %q, %v", got, err)
	}
	got, err := p.RewriteYAML([]byte("database:\n  sqlite:\n    path: /data/controlplane/controlplane.db\n  type: sqlite\n"))
	want := "database:\n  sqlite:\n    path: " + dir + "/data/controlplane/controlplane.db\n  type: sqlite\n"
	if err != nil || string(got) != want {
		t.Errorf("rewriteYAML = %q, %v; want %q", got, err, want)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestBootFromStatefulSet boots dfs from objects shaped like the composed
// ones, through podInput: a StatefulSet whose dittofs container takes its
// env from the generated Secrets and Percona's user Secret, and mounts the
// config ConfigMap, Percona's cluster-cert Secret and the claims. The
// rendered test swaps these hand-made objects for the rendered ones.
func TestBootFromStatefulSet(t *testing.T) {
	skipShort(t)
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	config, _ := minimalConfig(t, "    type: postgres")
	secrets := map[string]map[string]string{
		"ds-jwt":                     {"jwt-secret": testJWTSecret},
		"ds-admin":                   {"username": "admin", "password": testAdminPassword},
		"ds-postgres-pguser-dittofs": pg.PerconaUserSecret(db),
		"ds-postgres-cluster-cert":   pg.ClusterCertSecret(),
	}
	configMaps := map[string]map[string]string{"ds-config": {"config.yaml": string(config)}}

	sts := handWrittenStatefulSet()

	// The init container first, as the kubelet runs it, with the server's
	// psql standing in for the image's.
	wait, w, err := realdfs.PodInput(t, sts, "wait-for-database", secrets, configMaps)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := realdfs.RunCommand(t, wait, w.Command, []string{pg.Bin}, time.Minute); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("the wait container: %v\n%s", err, out)
	}
	// and it does not pass when it could not log in (here: without TLS).
	wait.Env["PGSSLMODE"] = "disable"
	if out, err := realdfs.RunCommand(t, wait, w.Command, []string{pg.Bin}, time.Minute); err == nil || !strings.Contains(out, "no encryption") {
		t.Errorf("the wait container without TLS: %v, %q; want a refused login", err, out)
	}

	in, c, err := realdfs.PodInput(t, sts, "dittofs", secrets, configMaps)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Command, " "); got != "/app/dfs" {
		t.Errorf("command %q, want /app/dfs", got)
	}
	in.AdminUser, in.AdminPassword = secrets["ds-admin"]["username"], secrets["ds-admin"]["password"]
	in.Postgres, in.Database = pg, db
	res := realdfs.BootDittoFS(t, in)
	t.Logf("dfs from the StatefulSet: /health/ready 200 after %s; %d tables", res.Ready.Round(time.Millisecond), len(res.Tables))
}

func handWrittenStatefulSet() *appsv1.StatefulSet {
	secretEnv := func(name, secret, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
		}}}
	}
	const user = "ds-postgres-pguser-dittofs"
	claim := func(name string) corev1.PersistentVolumeClaim {
		return corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "ds"},
		Spec: appsv1.StatefulSetSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{
					Name:    "wait-for-database",
					Command: []string{"/bin/sh", "-c", "psql -XqtA -c 'SELECT 1'"},
					Env: []corev1.EnvVar{
						secretEnv("PGHOST", user, "host"),
						secretEnv("PGPORT", user, "port"),
						secretEnv("PGDATABASE", user, "dbname"),
						secretEnv("PGUSER", user, "user"),
						secretEnv("PGPASSWORD", user, "password"),
						{Name: "PGSSLMODE", Value: "verify-full"},
						{Name: "PGSSLROOTCERT", Value: caMount + "/ca.crt"},
						{Name: "PGCONNECT_TIMEOUT", Value: "5"},
						{Name: "HOME", Value: "/tmp"},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "postgres-ca", MountPath: caMount, ReadOnly: true}},
				}},
				Containers: []corev1.Container{{
					Name:    "dittofs",
					Command: []string{"/app/dfs"},
					Args:    []string{"start", "--foreground", "--config", "/config/config.yaml"},
					Env: []corev1.EnvVar{
						secretEnv("DITTOFS_CONTROLPLANE_SECRET", "ds-jwt", "jwt-secret"),
						secretEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", "ds-admin", "password"),
						secretEnv("DITTOFS_DATABASE_POSTGRES_HOST", user, "host"),
						secretEnv("DITTOFS_DATABASE_POSTGRES_PORT", user, "port"),
						secretEnv("DITTOFS_DATABASE_POSTGRES_DATABASE", user, "dbname"),
						secretEnv("DITTOFS_DATABASE_POSTGRES_USER", user, "user"),
						secretEnv("DITTOFS_DATABASE_POSTGRES_PASSWORD", user, "password"),
						{Name: "DITTOFS_DATABASE_POSTGRES_SSLMODE", Value: "verify-full"},
						{Name: "DITTOFS_DATABASE_POSTGRES_SSL_ROOT_CERT", Value: caMount + "/ca.crt"},
						{Name: "PGCONNECT_TIMEOUT", Value: "10"},
					},
					VolumeMounts: []corev1.VolumeMount{
						{Name: "config", MountPath: "/config", ReadOnly: true},
						{Name: "postgres-ca", MountPath: caMount, ReadOnly: true},
						{Name: "metadata", MountPath: "/data/store/metadata"},
						{Name: "content", MountPath: "/data/store/block"},
						{Name: "controlplane", MountPath: "/data/controlplane"},
					},
				}},
				Volumes: []corev1.Volume{
					{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "ds-config"},
					}}},
					{Name: "postgres-ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: "ds-postgres-cluster-cert", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
					}}},
				},
			}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim("metadata"), claim("content"), claim("controlplane")},
		},
	}
}

// TestPodInputRefusesMismatches: wiring mistakes in the StatefulSet fail in
// podInput, before anything runs.
func TestPodInputRefusesMismatches(t *testing.T) {
	secrets := map[string]map[string]string{
		"ds-jwt":                     {"jwt-secret": testJWTSecret},
		"ds-admin":                   {"username": "admin", "password": testAdminPassword},
		"ds-postgres-pguser-dittofs": {"host": "h", "port": "5432", "dbname": "d", "user": "u", "password": "p"},
		"ds-postgres-cluster-cert":   {"ca.crt": "x"},
	}
	configMaps := map[string]map[string]string{"ds-config": {"config.yaml": "database: {type: postgres}\n"}}
	if _, _, err := realdfs.PodInput(t, handWrittenStatefulSet(), "dittofs", secrets, configMaps); err != nil {
		t.Fatalf("the hand-written StatefulSet: %v", err)
	}
	for name, c := range map[string]struct {
		damage func(*appsv1.StatefulSet)
		want   string
	}{
		"env key missing from the Secret": {func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Containers[0].Env[4].ValueFrom.SecretKeyRef.Key = "database"
		}, "has no key database"},
		"config not in a mounted volume": {func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Containers[0].Args[3] = "/etc/config.yaml"
		}, `args --config "/etc/config.yaml"`},
		"config key not in the ConfigMap": {func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Containers[0].Args[3] = "/config/dittofs.yaml"
		}, `args --config "/config/dittofs.yaml"`},
		"mount without a volume": {func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Volumes = s.Spec.Template.Spec.Volumes[:1]
		}, "volume postgres-ca is neither"},
	} {
		sts := handWrittenStatefulSet()
		c.damage(sts)
		if _, _, err := realdfs.PodInput(t, sts, "dittofs", secrets, configMaps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, c.want)
		}
	}
}
