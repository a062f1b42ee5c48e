package build

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// Keys of the Secrets the function generates when the user gives no ref.
const (
	JWTSecretKey     = "jwt-secret"
	adminUsernameKey = "username"
	AdminPasswordKey = "password"
	// 32 random bytes: a 43-character JWT secret, above DittoFS's 32 minimum.
	JWTSecretBytes = 32
	// 18 random bytes: a 24-character admin password.
	AdminPasswordBytes = 18
)

// JWTSecret builds <xr>-jwt.
func JWTSecret(ds spec.DittoServer, value []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ds.JWTSecretName(), Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{JWTSecretKey: value},
	}
}

// AdminSecret builds <xr>-admin. The username is always admin: DittoFS
// v0.29.0 ignores any other.
func AdminSecret(ds spec.DittoServer, password []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ds.AdminSecretName(), Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{adminUsernameKey: []byte(spec.AdminUsername), AdminPasswordKey: password},
	}
}
