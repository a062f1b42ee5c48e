package reconciler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// readSecretFile reads a file a Secret volume projects, byte for byte (the
// same bytes a secretKeyRef env would carry: DittoFS's admin password comes
// from one, so nothing is trimmed).
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path) //nolint:gosec // paths come from the declaration
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", fmt.Errorf("%s is empty", path)
	}
	return string(b), nil
}

// referencedFiles is every file a declaration reads, in a stable order.
func referencedFiles(c *declared.Config) []string {
	var files []string
	for _, u := range c.Users {
		files = append(files, u.PasswordFile)
	}
	for _, b := range c.BlockStores {
		if b.S3 != nil {
			id, secret := s3Keys(b.S3)
			files = append(files, filepath.Join(b.S3.CredentialsDir, id), filepath.Join(b.S3.CredentialsDir, secret))
		}
	}
	for _, m := range c.MetadataStores {
		if m.Postgres != nil {
			for _, k := range []string{"host", "port", "user", "password"} {
				files = append(files, filepath.Join(m.Postgres.SecretDir, k))
			}
		}
	}
	return files
}

func s3Keys(s *declared.S3BlockStore) (id, secret string) {
	id, secret = s.AccessKeyIDKey, s.SecretAccessKeyKey
	if id == "" {
		id = "access_key_id"
	}
	if secret == "" {
		secret = "secret_access_key"
	}
	return id, secret
}

// resolve reads the files a declaration references into a Desired. Every
// unreadable file is named in the error (never its content).
func resolve(c *declared.Config) (*Desired, error) {
	d := &Desired{Config: *c, UserPasswords: map[string]string{}, S3: map[string]S3Credentials{}, Postgres: map[string]PostgresConnection{}}
	var r secretReader
	read := r.read
	for i, u := range c.Users {
		d.UserPasswords[u.Username] = read(fmt.Sprintf("users[%d].passwordFile", i), u.PasswordFile)
	}
	for i, b := range c.BlockStores {
		if b.S3 == nil {
			continue
		}
		id, secret := s3Keys(b.S3)
		p := fmt.Sprintf("blockStores[%d].s3.credentialsDir", i)
		d.S3[b.Name] = S3Credentials{
			AccessKeyID:     read(p, filepath.Join(b.S3.CredentialsDir, id)),
			SecretAccessKey: read(p, filepath.Join(b.S3.CredentialsDir, secret)),
		}
	}
	for i, m := range c.MetadataStores {
		if m.Postgres == nil {
			continue
		}
		conn, problem := postgresConnection(m.Postgres, fmt.Sprintf("metadataStores[%d].postgres.secretDir", i), read)
		r.note(problem)
		d.Postgres[m.Name] = conn
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// secretReader reads the files of declared Secrets, noting each that
// cannot be read by its field (never its content).
type secretReader struct{ problems []string }

func (r *secretReader) read(what, path string) string {
	v, err := readSecretFile(path)
	if err != nil {
		r.note(fmt.Sprintf("%s: %v", what, err))
	}
	return v
}

func (r *secretReader) note(problem string) {
	if problem != "" {
		r.problems = append(r.problems, problem)
	}
}

// err names every problem noted, or is nil.
func (r *secretReader) err() error {
	if r.problems == nil {
		return nil
	}
	return fmt.Errorf("cannot read the declared secrets: %s", strings.Join(r.problems, "; "))
}

// postgresConnection is where the declared postgres store pg is reached:
// its host and port when the declaration sets them, else the files of its
// Secret (shaped like Percona's pguser Secret). read reads a file, noting
// a problem under the field p; problem is a port that is no number.
func postgresConnection(pg *declared.PostgresStore, p string, read func(what, path string) string) (conn PostgresConnection, problem string) {
	conn = PostgresConnection{Host: pg.Host, Port: pg.Port}
	if conn.Host == "" {
		conn.Host = read(p, filepath.Join(pg.SecretDir, "host"))
	}
	if conn.Port == 0 {
		port := strings.TrimSpace(read(p, filepath.Join(pg.SecretDir, "port")))
		if n, err := strconv.Atoi(port); err == nil {
			conn.Port = n
		} else if port != "" {
			problem = p + ": port is not a number"
		}
	}
	conn.User = read(p, filepath.Join(pg.SecretDir, "user"))
	conn.Password = read(p, filepath.Join(pg.SecretDir, "password"))
	return conn, problem
}

// digest hashes the content of files (a missing one hashes as missing), so
// a change to any of them, including the kubelet's ..data symlink swap of
// a projected volume, is seen by polling.
func digest(files ...string) string {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // the reconciler's own inputs
		if err != nil {
			_, _ = fmt.Fprintf(h, "%s\x00missing\x00", f)
			continue
		}
		_, _ = fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprint is an in-memory-only hash of a secret, to remember which one
// was verified without keeping the secret itself around.
func fingerprint(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
