package fn

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// The passphrase digest is the XR status's record of which passphrase an
// encrypted repository is encrypted with. passphraseGuard checks the
// passphrase read now against <xr>-pgbackrest-cipher, the copy the cluster
// projects; that Secret is itself the function's record, and deleted by
// hand it would be composed again from whatever passphraseSecretRef holds
// then, locking pgBackRest out of the repository. The digest holds when
// the Secret is gone.
//
// PBKDF2-SHA256 of the cipher.conf line, salted with the XR's UID
// (namespace and name without one), so it is not a plain hash of the
// passphrase anyone who reads the XR could test guesses against quickly;
// a random passphrase (as the README recommends) is out of reach anyway.
// It is computed once per repository and carried in the status after.
const (
	passphraseDigestIterations = 10000
	passphraseDigestScheme     = "pbkdf2-sha256"
)

// passphraseDigest is the digest of cipherConf for ds.
func passphraseDigest(ds spec.DittoServer, cipherConf []byte) string {
	salt := "function-dittofs/" + ds.Namespace + "/" + ds.Name + "/" + ds.UID
	key, err := pbkdf2.Key(sha256.New, string(cipherConf), []byte(salt), passphraseDigestIterations, sha256.Size)
	if err != nil {
		return "" // only for a key length FIPS mode refuses; 32 bytes is not one
	}
	return passphraseDigestScheme + ":" + strconv.Itoa(passphraseDigestIterations) + ":" + base64.RawStdEncoding.EncodeToString(key)
}

// recordedPassphraseDigest is the digest the observed XR's status records,
// with backups on (backup) or off (keptRepository); "" when none.
func (c *composer) recordedPassphraseDigest() string {
	if kept := c.observedKeptRepository(); kept != nil {
		return kept.PassphraseDigest
	}
	return ""
}

// observedCipherConf is the cipher.conf of the observed
// <xr>-pgbackrest-cipher: what the repository was written with. nil when
// it is not observed.
func (c *composer) observedCipherConf() []byte {
	o := c.observedObject(keyPGBackRestCipher)
	if o == nil {
		return nil
	}
	encoded, _, _ := unstructured.NestedString(o.Object, "data", build.CipherConfKey)
	conf, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(conf) == 0 {
		return nil
	}
	return conf
}

// statusPassphraseDigest is status.database.backup.passphraseDigest of an
// encrypted repository: the recorded one; else the observed cipher
// Secret's (a repository of a release before the record); else the
// passphrase composed now (a new repository). "" when none is known yet.
func (c *composer) statusPassphraseDigest() string {
	if d := c.recordedPassphraseDigest(); d != "" {
		return d
	}
	if conf := c.observedCipherConf(); conf != nil {
		return passphraseDigest(c.ds, conf)
	}
	r, err := c.readBackupPassphrase()
	if err != nil || r.Value == nil {
		return ""
	}
	return passphraseDigest(c.ds, build.PGBackRestCipherConf(r.Value))
}
