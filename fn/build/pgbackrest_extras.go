package build

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// What the S3 CA and the repository encryption add to pgBackRest's
// configuration. Percona v2.9.0 projects backups.pgbackrest.configuration
// into /etc/pgbackrest/conf.d of every pgBackRest container: the instance
// pods, the repository host and the restore Job (internal/pgbackrest/
// reconcile.go, AddConfigToInstancePod, AddConfigToRepoPod,
// AddConfigToRestorePod); pgBackRest loads the *.conf files there, and
// ignores the others (the CA).
const (
	// PGBackRestConfD is that directory in the pod.
	PGBackRestConfD = "/etc/pgbackrest/conf.d"
	// CAFileName is the CA's file in it, projected from the user's Secret.
	CAFileName = spec.PGBackRestRepo + "-storage-ca.crt"
	// CipherConfKey is the key (and file) of <xr>-pgbackrest-cipher.
	CipherConfKey = "cipher.conf"
	// CipherType is the one cipher pgBackRest offers.
	CipherType = "aes-256-cbc"

	// OptionCipherType is the [global] option that says the repository
	// is encrypted.
	OptionCipherType = spec.PGBackRestRepo + "-cipher-type"

	optionCAFile     = spec.PGBackRestRepo + "-storage-ca-file"
	optionCipherPass = spec.PGBackRestRepo + "-cipher-pass"
)

// backupProjections is what pgBackRest's configuration projects: the S3
// credentials Secret first (the function reads it back from there), then
// the CA's key at CAFileName, then <xr>-pgbackrest-cipher.
func backupProjections(ds spec.DittoServer, credentials string) []corev1.VolumeProjection {
	b := ds.Spec.Percona.Backup
	out := []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: credentials}}}}
	if b.CASecretRef != nil {
		out = append(out, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: b.CASecretRef.Name},
			Items:                []corev1.KeyToPath{{Key: b.CASecretRef.Key, Path: CAFileName}},
		}})
	}
	if b.Encryption != nil {
		out = append(out, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: ds.PGBackRestCipherSecretName()},
			Items:                []corev1.KeyToPath{{Key: CipherConfKey, Path: CipherConfKey}},
		}})
	}
	return out
}

// addBackupExtras sets the CA file and the cipher type in [global]. The
// passphrase is never here: global is in the cluster's spec and the
// operator's ConfigMap.
func addBackupExtras(ds spec.DittoServer, global map[string]string) {
	b := ds.Spec.Percona.Backup
	if b.CASecretRef != nil {
		global[optionCAFile] = PGBackRestConfD + "/" + CAFileName
	}
	if b.Encryption != nil {
		global[OptionCipherType] = CipherType
	}
}

// PGBackRestCipherConf is the INI file holding the passphrase, trimmed as
// pgBackRest would read it. The value was checked: no control character is
// left once trimmed, so it stays on its line.
func PGBackRestCipherConf(passphrase []byte) []byte {
	return []byte("[global]\n" + optionCipherPass + "=" + strings.TrimSpace(string(passphrase)) + "\n")
}

// PGBackRestCipherSecret builds <xr>-pgbackrest-cipher holding cipher.conf.
func PGBackRestCipherSecret(ds spec.DittoServer, conf []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ds.PGBackRestCipherSecretName(),
			Namespace: ds.Namespace,
			Labels:    ds.Labels(spec.ComponentBackup),
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{CipherConfKey: conf},
	}
}
