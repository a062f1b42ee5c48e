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
	cases := map[string]struct{ in, want string }{
		"UTC":          {"2026-12-01T18:30:00Z", "2026-12-01 18:30:00+00"},
		"Offset":       {"2026-12-01T19:30:00+01:00", "2026-12-01 18:30:00+00"},
		"Micros":       {"2026-12-01T18:30:00.123456Z", "2026-12-01 18:30:00.123456+00"},
		"NanosDropped": {"2026-12-01T18:30:00.123456789Z", "2026-12-01 18:30:00.123456+00"},
		"Fraction":     {"2026-12-01T18:30:00.5Z", "2026-12-01 18:30:00.5+00"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := PGBackRestTarget(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("PGBackRestTarget(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
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
		repo        RestoreRepo
		credentials string
		pointInTime string
		want        *crunchyv1beta1.DataSource
	}{
		"Latest": {
			repo: repo, credentials: "files-pgbackrest-s3",
			want: want(func(*crunchyv1beta1.PGBackRestDataSource) {}),
		},
		"PointInTimeQuotedForBash": {
			repo: repo, credentials: "files-pgbackrest-s3", pointInTime: "2026-12-01T19:30:00+01:00",
			want: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Options = []string{"--type=time", `--target="2026-12-01 18:30:00+00"`}
			}),
		},
		"HostStyleNoVerifyOtherCredentials": {
			repo: func() RestoreRepo { r := repo; r.URIStyle, r.VerifyTLS = "host", false; return r }(), credentials: "files-pgbackrest-restore-s3",
			want: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Global["repo1-s3-uri-style"], d.Global["repo1-storage-verify-tls"] = "host", "n"
				d.Configuration[0].Secret.Name = "files-pgbackrest-restore-s3"
			}),
		},
		"EncryptedBehindAPrivateCA": {
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
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPerconaRestore(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	cases := map[string]struct {
		recovery v1alpha1.PerconaRecoveryConfig
		want     *pgv2.PerconaPGRestore
	}{
		"PointInTimeInUTC": {
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
				t.Errorf("(-want +got):\n%s", diff)
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
		t.Errorf("(-want +got):\n%s", diff)
	}
}
