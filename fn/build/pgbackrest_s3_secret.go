package build

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// PGBackRestS3Conf is the INI file pgBackRest loads from conf.d. Only the
// credentials go here: pgBackRest refuses an option set twice, and the
// operator writes every other repo1 option from the cluster spec. The
// values were checked (plainKeysProblem): no control character is left
// once trimmed, so each stays on its line.
func PGBackRestS3Conf(id, secret string) []byte {
	id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
	return []byte("[global]\nrepo1-s3-key=" + id + "\nrepo1-s3-key-secret=" + secret + "\n")
}

// PGBackRestS3Secret builds <xr>-pgbackrest-s3 holding s3.conf.
func PGBackRestS3Secret(ds spec.DittoServer, conf []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ds.PGBackRestS3SecretName(),
			Namespace: ds.Namespace,
			Labels:    ds.Labels(spec.ComponentBackup),
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"s3.conf": conf},
	}
}
