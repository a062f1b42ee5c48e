package realdfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// PGServer is a throwaway PostgreSQL on 127.0.0.1 that, like Percona's,
// accepts TCP clients over TLS only (hostssl + scram-sha-256), with a server
// certificate for localhost/127.0.0.1 signed by a CA the test makes. The
// test's own superuser setup goes over the Unix socket in the temp dir.
type PGServer struct {
	Bin     string // directory of the Debian server binaries
	Port    int
	SockDir string
	CAFile  string // PEM of the CA that signed the server certificate
	CAPEM   []byte
	Cred    *syscall.Credential // who postgres runs as (nil: ourselves)
	Root    string              // the directory the cluster lives in
	DataDir string
	LogPath string // the server's stdout and stderr
	ca      *testpki.KeyPair
	stop    func()
}

// PGDatabase is one database made the way Percona makes a user's database.
type PGDatabase struct {
	Name, User, Password string
}

// PostgresBinDir finds the Debian PostgreSQL server binaries, newest major
// version first, or skips: hack/ci-deps.sh installs them on CI.
func PostgresBinDir(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(found, func(i, j int) bool {
		return pgMajor(found[i]) > pgMajor(found[j])
	})
	for _, p := range found {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir
		}
	}
	t.Skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; " +
		"install them with hack/ci-deps.sh (apt-get install postgresql)")
	return ""
}

func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// PGOptions shape a server beyond StartPostgres's defaults.
type PGOptions struct {
	// Root is the directory the cluster lives in. Keep it short: the socket
	// path must fit in 107 bytes. Default: a new temp dir, removed at the end.
	Root string
	// DataDir is the data directory. Default: Root/data.
	DataDir string
	// SockDir is where the Unix socket goes. Default: Root/sock.
	SockDir string
	// Port is the TCP port on 127.0.0.1. Default: a free one.
	Port int
	// Existing says DataDir already holds a cluster (e.g. a restored one):
	// no initdb.
	Existing bool
	// InitDBArgs are extra initdb arguments (e.g. --waldir).
	InitDBArgs []string
	// Settings are extra `-c name=value` settings, applied after ours.
	Settings []string
	// Env is added to the server's environment; archive_command and
	// restore_command inherit it.
	Env []string
}

// StartPostgres initdb's a cluster in a temp dir, starts it and stops it when
// the test ends.
func StartPostgres(t *testing.T) *PGServer {
	t.Helper()
	return StartPostgresWith(t, PGOptions{})
}

// StartPostgresWith starts a server as StartPostgres does, shaped by o.
func StartPostgresWith(t *testing.T, o PGOptions) *PGServer {
	t.Helper()
	bin := PostgresBinDir(t)
	started := time.Now()

	// t.TempDir paths carry the test name, too long for a socket path, so
	// the whole cluster lives in a short temp dir of its own.
	root := o.Root
	if root == "" {
		var err error
		if root, err = os.MkdirTemp("", "pg-"); err != nil { //nolint:usetesting // a t.TempDir path is too long for a socket path
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(root) })
	}
	s := &PGServer{Bin: bin, Port: o.Port, SockDir: o.SockDir, Root: root, DataDir: o.DataDir}
	if s.Port == 0 {
		s.Port = FreePort(t)
	}
	if s.SockDir == "" {
		s.SockDir = filepath.Join(root, "sock")
	}
	if s.DataDir == "" {
		s.DataDir = filepath.Join(root, "data")
	}
	tlsDir := filepath.Join(root, "tls")
	for _, d := range []string{s.SockDir, tlsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	ca, server := makeTLS(t)
	caPEM, certPEM, keyPEM := ca.CertPEM, server.CertPEM, server.KeyPEM
	s.ca, s.CAPEM, s.CAFile = ca, caPEM, filepath.Join(tlsDir, "ca.crt")
	hba := "# The test's superuser setup, over the socket in the temp dir.\n" +
		"local all postgres trust\n" +
		"# Everyone else: TLS only, as Percona's default HBA.\n" +
		"hostssl all all 127.0.0.1/32 scram-sha-256\n" //nolint:dupword // pg_hba.conf: "all all" is every database and every user
	for name, content := range map[string][]byte{
		"ca.crt": caPEM, "server.crt": certPEM, "server.key": keyPEM, "pg_hba.conf": []byte(hba),
	} {
		// postgres insists the key is 0600 and owned by whoever runs it.
		if err := os.WriteFile(filepath.Join(tlsDir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(s.CAFile, 0o644); err != nil {
		t.Fatal(err)
	}

	// postgres refuses to run as root: as root, run it as a service account
	// that owns the cluster's directories.
	if os.Geteuid() == 0 {
		uid, gid := ServiceUser(t)
		s.Cred = Credential(uid, gid)
		GiveTo(t, root, uid, gid)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if !o.Existing {
		args := append([]string{
			"-D", s.DataDir, "-U", "postgres",
			"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
		}, o.InitDBArgs...)
		if _, stderr, err := Run(ctx, s.Cred, filepath.Join(bin, "initdb"), args...); err != nil {
			t.Fatalf("initdb: %v\n%s", err, stderr)
		}
	}

	s.LogPath = filepath.Join(root, "postgres.log")
	args := []string{
		"-D", s.DataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(s.Port),
		"-c", "unix_socket_directories=" + s.SockDir,
		"-c", "hba_file=" + filepath.Join(tlsDir, "pg_hba.conf"),
		"-c", "ssl=on",
		"-c", "ssl_cert_file=" + filepath.Join(tlsDir, "server.crt"),
		"-c", "ssl_key_file=" + filepath.Join(tlsDir, "server.key"),
		"-c", "fsync=off", // a throwaway cluster: no need to wait for the disk
	}
	for _, setting := range o.Settings {
		args = append(args, "-c", setting)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...) //nolint:noctx // a server for the whole test: t.Cleanup stops it, after t.Context is already cancelled
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.Cred}
	// SIGINT is PostgreSQL's fast shutdown: disconnect everyone, stop.
	srv := StartServer(t, ServerCommand{Name: "postgres", Cmd: cmd, LogPath: s.LogPath, StopSignal: syscall.SIGINT, StopWait: 30 * time.Second})
	s.stop = srv.Stop

	// Ready once the superuser can run a query over the socket.
	srv.WaitReady(t, 60*time.Second, 50*time.Millisecond, func() error {
		_, err := s.PsqlSuper(ctx, "postgres", "select 1")
		return err
	})
	t.Logf("PostgreSQL (%s) up on 127.0.0.1:%d in %s", bin, s.Port, time.Since(started).Round(time.Millisecond))
	return s
}

// Stop shuts the server down (fast shutdown) and waits for it; the test's
// cleanup does it too. Calling it twice is harmless.
func (s *PGServer) Stop() { s.stop() }

// Log is what the server logged so far.
func (s *PGServer) Log() string {
	log, _ := os.ReadFile(s.LogPath)
	return string(log)
}

// PsqlSuper runs SQL as the superuser over the Unix socket and returns the
// unaligned, tuples-only output.
func (s *PGServer) PsqlSuper(ctx context.Context, db, sql string) (string, error) {
	stdout, stderr, err := Run(ctx, nil, filepath.Join(s.Bin, "psql"),
		"-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
		"-h", s.SockDir, "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db, "-c", sql)
	if err != nil {
		return "", fmt.Errorf("psql %q: %w\n%s", sql, err, stderr)
	}
	return strings.TrimSpace(stdout), nil
}

// PsqlTCP runs SQL as user over TCP with the given libpq sslmode (and our CA
// for the verify modes), as a client outside the database host would.
func (s *PGServer) PsqlTCP(ctx context.Context, db PGDatabase, sslmode, sql string) (string, error) {
	return psqlTCP(ctx, s, s.Port, db, sslmode, sql)
}

// psqlTCP runs SQL with s's psql and CA against 127.0.0.1:port (the server
// itself, or a PgBouncer in front of it).
func psqlTCP(ctx context.Context, s *PGServer, port int, db PGDatabase, sslmode, sql string) (string, error) {
	conn := fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=%s sslrootcert=%s connect_timeout=10",
		port, db.Name, db.User, sslmode, s.CAFile)
	cmd := exec.CommandContext(ctx, filepath.Join(s.Bin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", conn, "-c", sql)
	// A clean env but for the password, so no PG* variable of ours leaks in.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PGPASSWORD=" + db.Password}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %s: %w\n%s", conn, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// CreateDatabase makes role user (with a password full of the punctuation
// Percona's generated passwords use) and database name the way the Percona
// operator does: the database owned by postgres, ALL PRIVILEGES granted to
// the user, and a schema named after the user owned by it
// (autoCreateUserSchema). On PostgreSQL 15+ without that schema the user
// could not create Tables in public. A fresh database per boot matters:
// DittoFS applies the initial admin password only on its first boot.
func (s *PGServer) CreateDatabase(t *testing.T, name, user string) PGDatabase {
	t.Helper()
	// One password per role, so several databases of one role all work.
	db := PGDatabase{Name: name, User: user, Password: "p(ss)*+,-./:;<=>?@[]^_{|}w0rd-" + user}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The names are the test's own and the password has no single quote, so
	// plain formatting is safe.
	exists, err := s.PsqlSuper(ctx, "postgres", fmt.Sprintf("select count(*) from pg_roles where rolname = '%s'", user))
	if err != nil {
		t.Fatal(err)
	}
	var stmts [][2]string // database, statement
	if exists != "1" {
		stmts = append(stmts, [2]string{"postgres", fmt.Sprintf(`CREATE ROLE "%s" LOGIN PASSWORD '%s'`, user, db.Password)})
	}
	stmts = append(stmts,
		[2]string{"postgres", fmt.Sprintf(`CREATE DATABASE "%s"`, name)},
		[2]string{"postgres", fmt.Sprintf(`GRANT ALL PRIVILEGES ON DATABASE "%s" TO "%s"`, name, user)},
		[2]string{name, fmt.Sprintf(`CREATE SCHEMA "%s" AUTHORIZATION "%s"`, user, user)},
	)
	for _, st := range stmts {
		if _, err := s.PsqlSuper(ctx, st[0], st[1]); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// PerconaUserSecret is the data of the Secret Percona writes for a user,
// <cluster>-pguser-<user>, pointing at this server. The StatefulSet's
// secretKeyRefs resolve against it. host is the IP, which the server
// certificate names, so verify-full passes as it does in the cluster.
func (s *PGServer) PerconaUserSecret(db PGDatabase) map[string]string {
	return map[string]string{
		"host":     "127.0.0.1",
		"port":     strconv.Itoa(s.Port),
		"dbname":   db.Name,
		"user":     db.User,
		"password": db.Password,
		"uri": fmt.Sprintf("postgresql://%s:%s@127.0.0.1:%d/%s",
			db.User, urlEscape(db.Password), s.Port, db.Name),
	}
}

// ClusterCertSecret is the data of Percona's <cluster>-cluster-cert Secret
// that matters to clients: the CA.
func (s *PGServer) ClusterCertSecret() map[string]string {
	return map[string]string{"ca.crt": string(s.CAPEM)}
}

// Tables lists the Tables of database db in schema.
func (s *PGServer) Tables(ctx context.Context, db, schema string) ([]string, error) {
	out, err := s.PsqlSuper(ctx, db, fmt.Sprintf(
		"select table_name from information_schema.tables where table_schema = '%s' order by 1", schema))
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// MakeTLS makes a CA and a server certificate for localhost and 127.0.0.1
// signed by it, all PEM.
func MakeTLS(t *testing.T) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	ca, server := makeTLS(t)
	return ca.CertPEM, server.CertPEM, server.KeyPEM
}

func makeTLS(t *testing.T) (ca, server *testpki.KeyPair) {
	t.Helper()
	ca, err := testpki.NewCA("function-dittofs boot test CA")
	if err != nil {
		t.Fatal(err)
	}
	if server, err = ca.Server("localhost"); err != nil {
		t.Fatal(err)
	}
	return ca, server
}

// ServerCertificate issues another server certificate for localhost and
// 127.0.0.1 from the CA that signed the server's own, as Percona's root CA
// signs both PostgreSQL's and PgBouncer's.
func (s *PGServer) ServerCertificate(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	kp, err := s.ca.Server(name)
	if err != nil {
		t.Fatal(err)
	}
	return kp.CertPEM, kp.KeyPEM
}
