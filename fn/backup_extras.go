package fn

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// The required resources through which Crossplane hands the function the
// Secrets spec.percona.backup.caSecretRef and
// spec.percona.backup.encryption.passphraseSecretRef name.
const (
	requiredBackupCA         = "s3-ca"
	requiredBackupPassphrase = "backup-passphrase"
)

// secretKeyRead is what the function made of one key of a required Secret.
// Value is a secret: never log it.
type secretKeyRead struct {
	Value []byte
	// Waiting says what is awaited while the Secret is not fetched yet.
	Waiting string
	// Problem says what is wrong, naming the Secret and key, never a value.
	Problem string
}

// readSecretKey reads key ref of the required Secret name (what is its
// role, for messages; field the reference's path).
func readSecretKey(req *fnv1.RunFunctionRequest, ns, required, what, field string, ref v1alpha1.SecretKeySelector) (secretKeyRead, error) {
	found, resolved, err := request.GetRequiredResource(req, required)
	if err != nil {
		return secretKeyRead{}, errors.Wrapf(err, "cannot read required resource %q", required)
	}
	switch {
	case !resolved:
		return secretKeyRead{Waiting: fmt.Sprintf("waiting for Crossplane to fetch the %s Secret %s/%s", what, ns, ref.Name)}, nil
	case len(found) == 0:
		return secretKeyRead{Problem: fmt.Sprintf("the %s Secret %s/%s (%s) does not exist", what, ns, ref.Name, field)}, nil
	}
	data, err := secretData(found[0])
	if err != nil {
		return secretKeyRead{Problem: fmt.Sprintf("the %s Secret %s/%s (%s) cannot be read: %v", what, ns, ref.Name, field, err)}, nil
	}
	v, ok := data[ref.Key]
	if !ok {
		return secretKeyRead{Problem: fmt.Sprintf("the %s Secret %s/%s (%s) has no key %s (it has keys %s)", what, ns, ref.Name, field, ref.Key, keyList(data))}, nil
	}
	return secretKeyRead{Value: v}, nil
}

func secretSelector(ns, name string) *fnv1.ResourceSelector {
	return &fnv1.ResourceSelector{
		ApiVersion: "v1",
		Kind:       "Secret",
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: name},
		Namespace:  ptr.To(ns),
	}
}

// readBackupCA reads the S3 endpoint's CA and checks that it is PEM with a
// certificate pgBackRest can load.
func (c *composer) readBackupCA() (secretKeyRead, error) {
	return readCASecret(c.req, c.ds.Namespace, requiredBackupCA, "S3 CA", "spec.percona.backup.caSecretRef", *c.ds.Spec.Percona.Backup.CASecretRef)
}

// readCASecret reads key ref of the required Secret as readSecretKey does,
// and checks that it is PEM with a certificate pgBackRest can load.
func readCASecret(req *fnv1.RunFunctionRequest, ns, required, what, field string, ref v1alpha1.SecretKeySelector) (secretKeyRead, error) {
	r, err := readSecretKey(req, ns, required, what, field, ref)
	if err != nil || r.Value == nil {
		return r, err
	}
	if !holdsCertificate(r.Value) {
		r.Problem = fmt.Sprintf("key %s of the %s Secret %s/%s (%s) holds no PEM certificate: it needs the CA that signed the S3 endpoint's certificate, -----BEGIN CERTIFICATE----- …", ref.Key, what, ns, ref.Name, field)
		r.Value = nil
	}
	return r, nil
}

// holdsCertificate: at least one PEM block that is an X.509 certificate.
func holdsCertificate(b []byte) bool {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(block.Bytes); err == nil {
				return true
			}
		}
	}
}

// readBackupPassphrase reads the repository's passphrase and checks it can
// be a line of cipher.conf.
func (c *composer) readBackupPassphrase() (secretKeyRead, error) {
	return readPassphraseSecret(c.req, c.ds.Namespace, requiredBackupPassphrase, "encryption passphrase", "spec.percona.backup.encryption.passphraseSecretRef", c.ds.Spec.Percona.Backup.Encryption.PassphraseSecretRef)
}

// readPassphraseSecret reads key ref of the required Secret as
// readSecretKey does, and checks it can be a line of cipher.conf.
func readPassphraseSecret(req *fnv1.RunFunctionRequest, ns, required, what, field string, ref v1alpha1.SecretKeySelector) (secretKeyRead, error) {
	r, err := readSecretKey(req, ns, required, what, field, ref)
	if err != nil || r.Value == nil {
		return r, err
	}
	if p := credentialValueProblem(r.Value); p != "" {
		r.Problem = fmt.Sprintf("key %s of the %s Secret %s/%s (%s) %s", ref.Key, what, ns, ref.Name, field, p)
		r.Value = nil
	}
	return r, nil
}

// composeBackupExtras asks for the CA and passphrase Secrets the spec
// names and composes <xr>-pgbackrest-cipher with its Usage. It says
// whether pgBackRest's configuration may project them: false while one
// cannot be read, after saying why in BackupReady (unless the credentials
// already did), with the cipher Secret and its Usage kept as observed.
func (c *composer) composeBackupExtras() (bool, error) {
	b := c.ds.Spec.Percona.Backup
	if !b.Enabled {
		// With backups off the bucket keeps the repository, encrypted with
		// the passphrase in <xr>-pgbackrest-cipher: kept, it is what
		// encryptionGuard checks backups on again against.
		return true, c.keepObserved(resource.ReadyTrue, keyPGBackRestCipher, keyUsageCipher)
	}
	ok := true
	if b.CASecretRef != nil {
		c.require(requiredBackupCA, secretSelector(c.ds.Namespace, b.CASecretRef.Name))
		r, err := c.readBackupCA()
		if err != nil {
			return false, err
		}
		if r.Value == nil {
			c.backupInputAwaited(r, "WaitingForCA", "InvalidCA")
			ok = false
		}
	}
	if b.Encryption == nil {
		return ok, nil
	}
	c.require(requiredBackupPassphrase, secretSelector(c.ds.Namespace, b.Encryption.PassphraseSecretRef.Name))
	r, err := c.readBackupPassphrase()
	if err != nil {
		return false, err
	}
	if r.Value == nil {
		c.backupInputAwaited(r, "WaitingForEncryptionPassphrase", "InvalidEncryptionPassphrase")
		return false, c.keepObserved(resource.ReadyTrue, keyPGBackRestCipher, keyUsageCipher)
	}
	if err := c.add(keyPGBackRestCipher, build.PGBackRestCipherSecret(c.ds, build.PGBackRestCipherConf(r.Value)), c.readyOnceObserved(keyPGBackRestCipher)); err != nil {
		return false, err
	}
	return ok, c.add(keyUsageCipher, build.DatabaseUsesCipher(c.ds), c.readyOnceObserved(keyUsageCipher))
}

// backupInputAwaited says in BackupReady (and, for a problem, a warning)
// what is wrong with a backup input, unless a condition already did.
func (c *composer) backupInputAwaited(r secretKeyRead, waiting, invalid string) {
	if r.Problem != "" {
		response.Warning(c.rsp, errors.New(r.Problem)).TargetCompositeAndClaim()
	}
	if c.hasCondition(conditionBackupReady) {
		return
	}
	if r.Problem != "" {
		response.ConditionFalse(c.rsp, conditionBackupReady, invalid).WithMessage(r.Problem).TargetCompositeAndClaim()
		return
	}
	response.ConditionFalse(c.rsp, conditionBackupReady, waiting).WithMessage(r.Waiting).TargetCompositeAndClaim()
}

// backupEncrypted says whether the spec encrypts the repository.
func backupEncrypted(ds spec.DittoServer) bool {
	return ds.Spec.Percona.Backup.Enabled && ds.Spec.Percona.Backup.Encryption != nil
}

// awaitedBackupSecrets names what a new cluster waits for: its S3
// credentials Secret (credentials not known), or the CA and passphrase
// Secrets.
func awaitedBackupSecrets(credentials string) string {
	if credentials == "" {
		return "its S3 credentials Secret"
	}
	return "the Secrets its pgBackRest projects (the S3 CA, the encryption passphrase)"
}
