package fn

import (
	"encoding/base64"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
)

// Keys of the Secrets the function generates when the user gives no ref.
const (
	jwtSecretKey     = "jwt-secret"
	adminUsernameKey = "username"
	adminPasswordKey = "password"
	// 32 random bytes: a 43-character JWT secret, above DittoFS's 32 minimum.
	jwtSecretBytes = 32
	// 18 random bytes: a 24-character admin password.
	adminPasswordBytes = 18
)

func jwtSecretName(ds dittoServer) string   { return ds.Name + "-jwt" }
func adminSecretName(ds dittoServer) string { return ds.Name + "-admin" }

// generatedSecrets are the values of <xr>-jwt and <xr>-admin, when the
// function owns them. Secret values: never log them.
type generatedSecrets struct {
	JWT           []byte // nil when spec.identity.jwt.secretRef is set
	AdminPassword []byte // nil when spec.identity.admin.passwordSecretRef is set
}

// generateSecrets returns the generated values: carried forward from the
// observed Secrets, so they never change once created, or fresh from random
// on first compose. A changed JWT secret would log everyone out; a changed
// admin password would no longer match the one DittoFS stored on first boot.
func (c *composer) generateSecrets(random io.Reader) (generatedSecrets, error) {
	var g generatedSecrets
	var err error
	if c.ds.Spec.Identity.JWT.SecretRef == nil {
		if g.JWT, err = c.keptOrRandom(keyJWTSecret, jwtSecretKey, jwtSecretBytes, random); err != nil {
			return g, err
		}
	}
	if c.ds.Spec.Identity.Admin.PasswordSecretRef == nil {
		if g.AdminPassword, err = c.keptOrRandom(keyAdminSecret, adminPasswordKey, adminPasswordBytes, random); err != nil {
			return g, err
		}
	}
	return g, nil
}

// keptOrRandom is the observed Secret's value under key, or n random bytes
// encoded URL-safe.
func (c *composer) keptOrRandom(name resource.Name, key string, n int, random io.Reader) ([]byte, error) {
	if v := observedSecretValue(c.observedObject(name), key); len(v) > 0 {
		return v, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("cannot generate %s: %w", name, err)
	}
	return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
}

// observedSecretValue decodes one key of an observed Secret.
func observedSecretValue(o *composed.Unstructured, key string) []byte {
	if o == nil {
		return nil
	}
	encoded, err := o.GetString("data." + key)
	if err != nil {
		return nil
	}
	v, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil
	}
	return v
}

// jwtSecret builds <xr>-jwt.
func jwtSecret(ds dittoServer, value []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: jwtSecretName(ds), Namespace: ds.Namespace, Labels: labels(ds, componentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{jwtSecretKey: value},
	}
}

// adminSecret builds <xr>-admin. The username is always admin: DittoFS
// v0.29.0 ignores any other.
func adminSecret(ds dittoServer, password []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: adminSecretName(ds), Namespace: ds.Namespace, Labels: labels(ds, componentServer)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{adminUsernameKey: []byte(adminUsername), adminPasswordKey: password},
	}
}
