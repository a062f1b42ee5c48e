package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestPGBackRestTarget(t *testing.T) {
	cases := map[string]struct{ reason, in, want string }{
		"UTC":          {"pgBackRest reads --target as PostgreSQL's timestamptz text, not RFC 3339: a UTC time must be rewritten, not passed through.", "2026-12-01T18:30:00Z", "2026-12-01 18:30:00+00"},
		"Offset":       {"An offset is turned to UTC, so the target is the same instant whatever zone the user wrote.", "2026-12-01T19:30:00+01:00", "2026-12-01 18:30:00+00"},
		"Micros":       {"PostgreSQL keeps microseconds: they are kept, so a target between two commits is not moved.", "2026-12-01T18:30:00.123456Z", "2026-12-01 18:30:00.123456+00"},
		"NanosDropped": {"Below a microsecond PostgreSQL has no precision; the extra digits are dropped (truncated, never rounded up past a commit).", "2026-12-01T18:30:00.123456789Z", "2026-12-01 18:30:00.123456+00"},
		"Fraction":     {"A short fraction is not padded or dropped: .5 stays half a second.", "2026-12-01T18:30:00.5Z", "2026-12-01 18:30:00.5+00"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := PGBackRestTarget(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("%s\nPGBackRestTarget(%q) = %q, %v; want %q", tc.reason, tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := PGBackRestTarget("yesterday"); err == nil {
		t.Error("a time that is not RFC 3339 was accepted")
	}
}

func TestRestoreDataSource(t *testing.T) {
	repo := RestoreRepo{RepoPath: "/pgbackrest/storage/old-1a2b3c4d/repo1", Bucket: "b", Endpoint: "https://s3.example.com:9000/", Region: "eu-west-1", URIStyle: "path", VerifyTLS: true}
	want := func(mutate func(*crunchyv1beta1.PGBackRestDataSource)) *crunchyv1beta1.DataSource {
		d := &crunchyv1beta1.PGBackRestDataSource{
			Stanza: "db",
			Repo:   crunchyv1beta1.PGBackRestRepo{Name: "repo1", S3: &crunchyv1beta1.RepoS3{Bucket: "b", Endpoint: "s3.example.com:9000", Region: "eu-west-1"}},
			Global: map[string]string{
				"repo1-path":               "/pgbackrest/storage/old-1a2b3c4d/repo1",
				"repo1-s3-uri-style":       "path",
				"repo1-storage-verify-tls": "y",
			},
			Configuration: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-s3"}}}},
		}
		mutate(d)
		return &crunchyv1beta1.DataSource{PGBackRest: d}
	}
	cases := map[string]struct {
		reason      string
		repo        RestoreRepo
		credentials string
		pointInTime string
		want        *crunchyv1beta1.DataSource
	}{
		"Latest": {
			reason: "Without a point in time the restore replays to the end of the WAL, from the source's repository path, with the S3 endpoint as pgBackRest dials it (no scheme, no slash).",
			repo:   repo, credentials: "files-pgbackrest-s3",
			want: want(func(*crunchyv1beta1.PGBackRestDataSource) {}),
		},
		"PointInTimeQuotedForBash": {
			reason: "The operator passes options through bash: the target has a space and must be quoted, or pgBackRest gets half a timestamp.",
			repo:   repo, credentials: "files-pgbackrest-s3", pointInTime: "2026-12-01T19:30:00+01:00",
			want: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Options = []string{"--type=time", `--target="2026-12-01 18:30:00+00"`}
			}),
		},
		"HostStyleNoVerifyOtherCredentials": {
			reason: "The source's URI style, TLS verification and credentials Secret are its own, not the new server's: a restore reading with the wrong ones finds no backup.",
			repo:   func() RestoreRepo { r := repo; r.URIStyle, r.VerifyTLS = "host", false; return r }(), credentials: "files-pgbackrest-restore-s3",
			want: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Global["repo1-s3-uri-style"], d.Global["repo1-storage-verify-tls"] = "host", "n"
				d.Configuration[0].Secret.Name = "files-pgbackrest-restore-s3"
			}),
		},
		"EncryptedBehindAPrivateCA": {
			reason: "A source behind a private CA, with an encrypted repository, needs its CA file and its cipher projected under names that do not clash with the new cluster's, or the restore cannot read a single file.",
			repo: func() RestoreRepo {
				r := repo
				r.CASecret, r.CAKey, r.CipherSecret = "minio-ca", "ca.crt", "old-pgbackrest-cipher"
				return r
			}(),
			credentials: "files-pgbackrest-s3",
			want: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Global["repo1-storage-ca-file"] = "/etc/pgbackrest/conf.d/restore-storage-ca.crt"
				d.Global["repo1-cipher-type"] = "aes-256-cbc"
				d.Configuration = append(d.Configuration,
					corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "minio-ca"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "restore-storage-ca.crt"}}}},
					corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "old-pgbackrest-cipher"}, Items: []corev1.KeyToPath{{Key: "cipher.conf", Path: "restore-cipher.conf"}}}},
				)
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RestoreDataSource(tc.repo, tc.credentials, tc.pointInTime)); diff != "" {
				t.Errorf("%s\nRestoreDataSource(repo, credentials, pointInTime): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPerconaRestore(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	cases := map[string]struct {
		reason   string
		recovery v1alpha1.PerconaRecoveryConfig
		want     *pgv2.PerconaPGRestore
	}{
		"PointInTimeInUTC": {
			reason:   "A recovery's PerconaPGRestore carries the target in UTC, quoted, against the cluster's one repository, named by its recovery id so each id runs once.",
			recovery: v1alpha1.PerconaRecoveryConfig{ID: "before-upgrade", PointInTime: "2026-12-01T19:30:00.25+01:00"},
			want: &pgv2.PerconaPGRestore{
				ObjectMeta: metav1.ObjectMeta{Name: "files-recovery-before-upgrade", Namespace: "storage", Labels: ds.Labels(spec.ComponentDatabase)},
				Spec: pgv2.PerconaPGRestoreSpec{
					PGCluster: "files-postgres",
					RepoName:  ptr.To("repo1"),
					Options:   []string{"--type=time", `--target="2026-12-01 18:30:00.25+00"`},
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PerconaRestore(ds, tc.recovery)); diff != "" {
				t.Errorf("%s\nPerconaRestore(ds, recovery): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRestoreS3Secret(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "files-pgbackrest-restore-s3", Namespace: "storage", Labels: ds.Labels(spec.ComponentBackup)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"s3.conf": []byte("[global]\nrepo1-s3-key=K\nrepo1-s3-key-secret=S\n")},
	}
	if diff := cmp.Diff(want, RestoreS3Secret(ds, PGBackRestS3Conf("K", "S"))); diff != "" {
		t.Errorf("RestoreS3Secret(ds, conf): -want, +got:\n%s", diff)
	}
}
