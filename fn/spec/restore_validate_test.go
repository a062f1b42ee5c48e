package spec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// restoreErrors are the errors spec.Validate finds under
// spec.percona.restore and spec.percona.recovery.
func restoreErrors(ds spec.DittoServer) []string {
	var out []string
	for _, e := range spec.Validate(ds, fixture.Input()) {
		if strings.HasPrefix(e.Field, "spec.percona.restore") || strings.HasPrefix(e.Field, "spec.percona.recovery") {
			out = append(out, e.Error())
		}
	}
	return out
}

func TestValidateRestore(t *testing.T) {
	with := func(backup *v1alpha1.PerconaBackupConfig, mutate func(*v1alpha1.PerconaConfig)) spec.DittoServer {
		s := fixture.PerconaSpec(backup)
		mutate(s.Percona)
		return fixture.DittoServer(s)
	}
	cases := map[string]struct {
		reason string
		ds     spec.DittoServer
		want   []string
	}{
		"Valid": {
			reason: "A DittoServer source with a point in time and a well-formed recovery must pass: a false error here would block every restore.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{DittoServer: "old"}, PointInTime: "2026-12-01T18:30:00Z"}
				p.Recovery = &v1alpha1.PerconaRecoveryConfig{ID: "r1", PointInTime: "2026-12-01T18:30:00+01:00"}
			}),
		},
		"Itself": {
			reason: "Restoring a server from its own repository into itself would write the new cluster's backups over the ones it restores from.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{DittoServer: "files"}}
			}),
			want: []string{`spec.percona.restore.from.dittoServer: Invalid value: "files": is this DittoServer itself: a new server restores from another one's backups; to rewind this one, use spec.percona.recovery`},
		},
		"BothAndABadTime": {
			reason: "Two sources at once is ambiguous, and a time pgBackRest cannot parse would fail only in the restore Job: every error is reported in one go.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{DittoServer: "old", RepoPath: "/p"}, PointInTime: "yesterday"}
			}),
			want: []string{
				`spec.percona.restore.from: Invalid value: "dittoServer and repoPath": name either dittoServer (a DittoServer in this namespace) or repoPath with bucket and endpoint, not both`,
				`spec.percona.restore.pointInTime: Invalid value: "yesterday": must be an RFC 3339 time such as 2026-12-01T18:30:00Z`,
			},
		},
		"CoordinatesFromTheSourceToo": {
			reason: "With a DittoServer source the coordinates come from its status; coordinates written beside it would be silently ignored.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{DittoServer: "old", Bucket: "b"}}
			}),
			want: []string{`spec.percona.restore.from: Forbidden: bucket, endpoint and region come from the DittoServer's status.database.backup when dittoServer is set; leave them out`},
		},
		"RawWithoutBucketOrCredentials": {
			reason: "Raw coordinates need every part pgBackRest reads, and a way to log in afterwards; each missing part is named with its fix.",
			ds: with(nil, func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{RepoPath: "/p", Endpoint: "http://s3"}}
			}),
			want: []string{
				`spec.percona.restore.from.bucket: Required value: required with repoPath`,
				`spec.percona.restore.from.endpoint: Invalid value: "http://s3": plain http:// is refused: pgBackRest sends this endpoint every WAL segment and base backup of the database, which would cross the network unencrypted (and pgBackRest before 2.58 cannot speak plain HTTP at all). Serve the S3 endpoint over TLS and write https://host[:port] or host[:port] (verifyTLS: false for a self-signed certificate)`,
				`spec.percona.restore.from.adminSecretRef: Required value: the Secret key (default key password) holding the source's DittoFS admin password: the restored database keeps the source's users, admin included, so the new server's admin logs in with it. Required with repoPath, unless spec.identity.admin.passwordSecretRef is set`,
				`spec.percona.restore.from.credentialsSecretRef: Required value: the Secret with the S3 keys that read the source; required when spec.percona.backup.credentialsSecretRef is not set`,
			},
		},
		"RawEncryptedBehindAPrivateCA": {
			reason: "An encrypted repository behind a private CA is a supported raw source: its references must pass.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{
					RepoPath: "/p", Bucket: "old-bucket", Endpoint: "s3.example.com",
					CASecretRef: &v1alpha1.SecretKeySelector{Name: "old-ca"},
					Encryption:  &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "old-pass"}},
				}}
				p.Restore.From.AdminSecretRef = &v1alpha1.SecretKeySelector{Name: "old-admin"}
			}),
		},
		"RawWithTheAdminPasswordGiven": {
			reason: "When the XR names its own admin password Secret, the source's admin Secret is not needed.",
			ds: func() spec.DittoServer {
				s := fixture.PerconaSpec(fixture.S3Backup())
				s.Percona.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{RepoPath: "/p", Bucket: "old-bucket", Endpoint: "s3.example.com"}}
				s.Identity = &v1alpha1.IdentitySpec{Admin: &v1alpha1.AdminSpec{PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "admin", Key: "password"}}}
				return fixture.DittoServer(s)
			}(),
		},
		"RawBadSecretReferences": {
			reason: "A malformed Secret name or key would only fail when the restore reads it: each is named by its path.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{
					RepoPath: "/p", Bucket: "old-bucket", Endpoint: "s3.example.com",
					CASecretRef:    &v1alpha1.SecretKeySelector{Name: "Old_CA", Key: "ca crt"},
					Encryption:     &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "old-pass", Key: "pass/phrase"}},
					AdminSecretRef: &v1alpha1.SecretKeySelector{Name: "old-admin"},
				}}
			}),
			want: []string{
				`spec.percona.restore.from.caSecretRef.name: Invalid value: "Old_CA": must name a Secret in the XR's namespace`,
				`spec.percona.restore.from.caSecretRef.key: Invalid value: "ca crt": must be a Secret key (letters, digits, '-', '_', '.')`,
				`spec.percona.restore.from.encryption.passphraseSecretRef.key: Invalid value: "pass/phrase": must be a Secret key (letters, digits, '-', '_', '.')`,
			},
		},
		"DittoServerWithCAOrEncryption": {
			reason: "A DittoServer source carries its own CA and passphrase; references written beside it would be ignored.",
			ds: with(fixture.S3Backup(), func(p *v1alpha1.PerconaConfig) {
				p.Restore = &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{
					DittoServer: "old",
					CASecretRef: &v1alpha1.SecretKeySelector{Name: "old-ca"},
				}}
			}),
			want: []string{`spec.percona.restore.from: Forbidden: caSecretRef and encryption come from the source DittoServer (its spec.percona.backup.caSecretRef and its <source>-pgbackrest-cipher Secret) when dittoServer is set; leave them out`},
		},
		"RecoveryWithoutBackups": {
			reason: "An in-place recovery reads the cluster's own backups, so it needs them on; the id names an object and must be a label.",
			ds: with(nil, func(p *v1alpha1.PerconaConfig) {
				p.Recovery = &v1alpha1.PerconaRecoveryConfig{ID: "Not_A_Label"}
			}),
			want: []string{
				`spec.percona.recovery: Forbidden: an in-place recovery restores from the cluster's own backups: it requires spec.percona.backup.enabled`,
				`spec.percona.recovery.id: Invalid value: "Not_A_Label": must be a lowercase DNS label of at most 20 characters, e.g. 2026-12-01a: the PerconaPGRestore is named <xr>-recovery-<id>`,
				`spec.percona.recovery.pointInTime: Required value: the RFC 3339 time to recover to, e.g. 2026-12-01T18:30:00Z`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, restoreErrors(tc.ds)); diff != "" {
				t.Errorf("%s\nspec.Validate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
