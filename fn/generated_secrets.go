package fn

import (
	"encoding/base64"
	"io"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
)

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
		if g.JWT, err = c.keptOrRandom(keyJWTSecret, build.JWTSecretKey, build.JWTSecretBytes, random); err != nil {
			return g, err
		}
	}
	if c.ds.Spec.Identity.Admin.PasswordSecretRef == nil {
		if g.AdminPassword, err = c.keptOrRandom(keyAdminSecret, build.AdminPasswordKey, build.AdminPasswordBytes, random); err != nil {
			return g, err
		}
	}
	return g, nil
}

// keptOrRandom is the observed Secret's value under key, or n random bytes
// encoded URL-safe.
func (c *composer) keptOrRandom(name resource.Name, key string, n int, random io.Reader) ([]byte, error) {
	if v := observedSecretValue(c.req.GetObserved().GetResources()[string(name)].GetResource(), key); len(v) > 0 {
		return v, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, errors.Wrapf(err, "cannot generate %s", name)
	}
	return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
}

// observedSecretValue decodes one key of an observed Secret, read straight
// from the request: converting the whole Secret to a map first cost more
// than the rest of generating.
func observedSecretValue(o *structpb.Struct, key string) []byte {
	encoded := o.GetFields()["data"].GetStructValue().GetFields()[key].GetStringValue()
	if encoded == "" {
		return nil
	}
	v, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil
	}
	return v
}
