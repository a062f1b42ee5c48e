package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestPerconaBackup(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	want := &pgv2.PerconaPGBackup{
		ObjectMeta: metav1.ObjectMeta{Name: "files-postgres-backup-2026-12-01", Namespace: "storage", Labels: ds.Labels(spec.ComponentBackup)},
		Spec:       pgv2.PerconaPGBackupSpec{PGCluster: "files-postgres", RepoName: ptr.To("repo1"), Options: []string{"--type=full"}},
	}
	if diff := cmp.Diff(want, PerconaBackup(ds, "2026-12-01")); diff != "" {
		t.Errorf("PerconaBackup (-want +got):\n%s", diff)
	}
}

func TestPGBackRestCipherSecret(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	cases := map[string]struct {
		reason     string
		passphrase string
		want       string
	}{
		"Plain":            {"Spaces and / + = are legal in a passphrase and must reach pgBackRest as written, or the repository is encrypted with a key the user does not hold.", "p4ss w0rd/+=", "[global]\nrepo1-cipher-pass=p4ss w0rd/+=\n"},
		"TrailingNewline":  {"kubectl create secret --from-file keeps the file's newline; trimmed as pgBackRest trims an option's value, the conf stays one line and the key is the one the user typed.", "p4ss\n", "[global]\nrepo1-cipher-pass=p4ss\n"},
		"SurroundingSpace": {"Space on either side is trimmed as pgBackRest trims it, so the same passphrase typed elsewhere (a restore) opens the repository.", "  p4ss \t", "[global]\nrepo1-cipher-pass=p4ss\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "files-pgbackrest-cipher", Namespace: "storage", Labels: ds.Labels(spec.ComponentBackup)},
				Type:       corev1.SecretTypeOpaque,
				Data:       map[string][]byte{"cipher.conf": []byte(tc.want)},
			}
			if diff := cmp.Diff(want, PGBackRestCipherSecret(ds, PGBackRestCipherConf([]byte(tc.passphrase)))); diff != "" {
				t.Errorf("%s\nPGBackRestCipherSecret(ds, PGBackRestCipherConf(passphrase)): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestBackupCAAndCipherOptions: what caSecretRef and encryption add to the
// cluster's pgBackRest block, each alone and together; the credentials stay
// the first projection.
func TestBackupCAAndCipherOptions(t *testing.T) {
	credentials := corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-s3"}}}
	ca := corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "private-ca"}, Items: []corev1.KeyToPath{{Key: "root.pem", Path: "repo1-storage-ca.crt"}}}}
	cipher := corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-cipher"}, Items: []corev1.KeyToPath{{Key: "cipher.conf", Path: "cipher.conf"}}}}
	base := map[string]string{
		"repo1-path": "/p", "repo1-retention-full": "7", "repo1-retention-full-type": "time",
		"repo1-s3-uri-style": "path", "repo1-storage-verify-tls": "y",
	}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	caRef := &v1alpha1.SecretKeySelector{Name: "private-ca", Key: "root.pem"}
	enc := &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "repo-pass"}}
	cases := map[string]struct {
		reason     string
		ca         *v1alpha1.SecretKeySelector
		encryption *v1alpha1.BackupEncryption
		wantConf   []corev1.VolumeProjection
		wantGlobal map[string]string
	}{
		"Neither":    {reason: "Without a CA or encryption the only projection is the credentials Secret and no CA or cipher option is set: nothing points at a file that is not there.", wantConf: []corev1.VolumeProjection{credentials}, wantGlobal: with()},
		"CA":         {reason: "A private CA is projected under a name of its own and named by repo1-storage-ca-file, or pgBackRest refuses the S3 service's certificate.", ca: caRef, wantConf: []corev1.VolumeProjection{credentials, ca}, wantGlobal: with("repo1-storage-ca-file", "/etc/pgbackrest/conf.d/repo1-storage-ca.crt")},
		"Encryption": {reason: "Encryption projects the composed cipher Secret and sets the cipher type; a passphrase without the type would be ignored and the repository written in the clear.", encryption: enc, wantConf: []corev1.VolumeProjection{credentials, cipher}, wantGlobal: with("repo1-cipher-type", "aes-256-cbc")},
		"Both": {
			reason: "With both, the credentials stay the first projection and the CA and cipher follow, each with its own option: neither replaces the other.",
			ca:     caRef, encryption: enc, wantConf: []corev1.VolumeProjection{credentials, ca, cipher},
			wantGlobal: with("repo1-storage-ca-file", "/etc/pgbackrest/conf.d/repo1-storage-ca.crt", "repo1-cipher-type", "aes-256-cbc"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := fixture.S3Backup()
			b.CASecretRef, b.Encryption = tc.ca, tc.encryption
			ds := fixture.DittoServer(fixture.PerconaSpec(b))
			got := PerconaCluster(ds, fixture.Input(), "files-pgbackrest-s3", "/p").Spec.Backups.PGBackRest
			if diff := cmp.Diff(tc.wantConf, got.Configuration); diff != "" {
				t.Errorf("%s\nPerconaCluster(...): spec.backups.pgbackrest.configuration: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantGlobal, got.Global); diff != "" {
				t.Errorf("%s\nPerconaCluster(...): spec.backups.pgbackrest.global: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
