package dr

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgBackRest stands in for one container's pgBackRest: the configuration
// directory it reads (the pod's /etc/pgbackrest, whose conf.d holds the
// operator's file and what the cluster's configuration projects: s3.conf,
// the S3 endpoint's CA named by repo1-storage-ca-file, the encryption
// passphrase's cipher.conf) and its lock directory (the container's own
// /tmp/pgbackrest). Nothing else: the CA and the cipher arrive with the
// composed options, as in the pod.
type pgBackRest struct {
	ConfigPath string
	LockPath   string
	PGBin      string              // pg_waldump and friends, as in the image's PATH
	Cred       *syscall.Credential // the postgres account, as in the pod
}

// env is the environment the container's pgBackRest runs with; the
// PostgreSQL server gets it too, so that archive_command and
// restore_command find the same configuration.
func (p pgBackRest) env() []string {
	return []string{
		"PATH=" + p.PGBin + ":/usr/bin:/bin",
		"PGBACKREST_CONFIG_PATH=" + p.ConfigPath,
		"PGBACKREST_LOCK_PATH=" + p.LockPath,
	}
}

// run runs `pgbackrest args...` and returns its combined output; the error
// is non-nil when it exits non-zero.
func (p pgBackRest) run(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pgbackrest", args...)
	cmd.Env = append(p.env(), "HOME="+p.LockPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.Cred}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s", timeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("pgbackrest %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// must runs pgbackrest and fails the test when it fails.
func (p pgBackRest) must(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	out, err := p.run(t, timeout, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// writeConfD writes the conf.d under p.ConfigPath: files by name.
func (p pgBackRest) writeConfD(t *testing.T, files map[string][]byte) {
	t.Helper()
	dir := filepath.Join(p.ConfigPath, "conf.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(p.LockPath, 0o755); err != nil {
		t.Fatal(err)
	}
}

// backupInfo is what `pgbackrest info --output=json` says of the stanza's
// backups.
type backupInfo struct {
	Label string
	Type  string
	Start time.Time
	Stop  time.Time
}

func (p pgBackRest) backups(t *testing.T) []backupInfo {
	t.Helper()
	out := p.must(t, 2*time.Minute, "--stanza=db", "--output=json", "info")
	var stanzas []struct {
		Name   string `json:"name"`
		Backup []struct {
			Label     string `json:"label"`
			Type      string `json:"type"`
			Timestamp struct {
				Start int64 `json:"start"`
				Stop  int64 `json:"stop"`
			} `json:"timestamp"`
		} `json:"backup"`
	}
	if err := json.Unmarshal([]byte(out), &stanzas); err != nil {
		t.Fatalf("pgbackrest info --output=json: %v\n%s", err, out)
	}
	var list []backupInfo
	for _, s := range stanzas {
		for _, b := range s.Backup {
			list = append(list, backupInfo{
				Label: b.Label, Type: b.Type,
				Start: time.Unix(b.Timestamp.Start, 0).UTC(), Stop: time.Unix(b.Timestamp.Stop, 0).UTC(),
			})
		}
	}
	return list
}

func labels(list []backupInfo) []string {
	var l []string
	for _, b := range list {
		l = append(l, b.Label+" ("+b.Type+")")
	}
	return l
}

// Percona operator v2.9.0's PostgreSQL settings for pgBackRest
// (internal/pgbackrest/postgres.go, PostgreSQL()), for a crVersion 2.9.0
// cluster with trackLatestRestorableTime on, which the operator defaults:
// WAL goes to pgBackRest, and each archived segment's last commit time is
// written to /pgdata/latest_commit_timestamp.txt for the operator's WAL
// watcher. Copied verbatim; remap moves /pgdata.
func perconaArchiveSettings(m machine) []string {
	archive := `pgbackrest --stanza=db archive-push "%p"`
	fixTimezone := `sed -E "s/([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}) (UTC|[\\+\\-][0-9]{2})/\1T\2\3/" | sed "s/UTC/Z/"`
	extractCommitTime := `grep -oP "COMMIT \K[^;]+" | ` + fixTimezone + ``
	validateCommitTime := `grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}(Z|[\+\-][0-9]{2})$"`
	archive += ` && timestamp=$(pg_waldump -r Transaction "%p" | ` + extractCommitTime + ` | tail -n 1 | ` + validateCommitTime + `);`
	archive += ` if [ ! -z ${timestamp} ]; then echo ${timestamp} > /pgdata/latest_commit_timestamp.txt; fi`
	archive = strings.ReplaceAll(archive, "/pgdata/latest_commit_timestamp.txt", m.remap("/pgdata/latest_commit_timestamp.txt"))
	return []string{
		"archive_mode=on",
		"archive_command=" + archive,
		"track_commit_timestamp=true",
		"archive_timeout=60s",
		// Percona's is "/opt/crunchy/bin/restore-command-wrapper.sh " + this;
		// the wrapper is in Percona's image only.
		`restore_command=pgbackrest --stanza=db archive-get %f "%p"`,
	}
}

// perconaRestoreSettings are the settings Percona's restore Job starts
// PostgreSQL with on the restored data directory until recovery ends
// (internal/pgbackrest/config.go, RestoreCommand): WAL stays local until
// the new cluster archives to its own repository.
var perconaRestoreSettings = []string{
	"archive_command=false -- store WAL files locally for now",
	"archive_mode=on",
	"hot_standby=on",
	"huge_pages=off",
}

// perconaRestoreOptions are the options Percona's restore Job passes to
// `pgbackrest restore` for a dataSource or a PerconaPGRestore with options
// (internal/controller/postgrescluster/pgbackrest.go, reconcileRestoreJob):
// the user's options first, then --stanza, --pg1-path, --repo, --delta,
// --target-action=promote when a target is given, and the WAL directory's
// link. pgdata and wal are this machine's /pgdata/pg<major> and
// /pgdata/pg<major>_wal.
func perconaRestoreOptions(options []string, pgdata, wal string) []string {
	args := append(append([]string{}, options...), "--stanza=db", "--pg1-path="+pgdata, "--repo=1")
	target := false
	for _, o := range args {
		target = target || strings.Contains(o, "--target")
	}
	args = append(args, "--delta")
	if target {
		args = append(args, "--target-action=promote")
	}
	return append(args, "--link-map=pg_wal="+wal)
}

// perconaRestoreArgs are perconaRestoreOptions and the command, as one
// argument list (no shell in between: for options without spaces).
func perconaRestoreArgs(options []string, pgdata, wal string) []string {
	return append(perconaRestoreOptions(options, pgdata, wal), "restore")
}

// runShell runs script with bash as the container's shell would, in p's
// environment plus env, and returns its combined output.
func (p pgBackRest) runShell(t *testing.T, timeout time.Duration, script string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-ceu", script)
	cmd.Env = append(append(p.env(), "HOME="+p.LockPath), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.Cred}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s", timeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("bash -c %q: %w", script, err)
	}
	return string(out), nil
}
