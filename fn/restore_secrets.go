package fn

import (
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
)

// The CA and the passphrase of a source given by its raw coordinates
// (spec.percona.restore.from.caSecretRef, .encryption): Secrets of the XR's
// own namespace, read as required resources. They end up in the same
// build.RestoreRepo fields a source DittoServer's CA and cipher Secret do,
// so build.RestoreDataSource projects both kinds of source alike.
const (
	requiredRestoreCA         = "restore-s3-ca"
	requiredRestorePassphrase = "restore-passphrase"
)

// requireRawSourceSecrets asks for the CA and passphrase Secrets a source
// given by its raw coordinates names.
func (c *composer) requireRawSourceSecrets() {
	from := c.ds.Spec.Percona.Restore.From
	if from.DittoServer != "" {
		return
	}
	if ref := from.CASecretRef; ref != nil {
		c.require(requiredRestoreCA, secretSelector(c.ds.Namespace, ref.Name))
	}
	if e := from.Encryption; e != nil {
		c.require(requiredRestorePassphrase, secretSelector(c.ds.Namespace, e.PassphraseSecretRef.Name))
	}
}

// rawSourceSecrets sets repo's CA and cipher Secret for a source given by
// its raw coordinates: the CA Secret the spec names, projected as it is,
// and <xr>-pgbackrest-restore-cipher, composed from the passphrase Secret
// (pgBackRest reads the passphrase from a cipher.conf, as the source's own
// <source>-pgbackrest-cipher holds it). It returns a wait while one cannot
// be read or is not what pgBackRest needs: the restore Job could not start,
// or not read the repository.
func (c *composer) rawSourceSecrets(repo *build.RestoreRepo) (*restoreWait, error) {
	from := c.ds.Spec.Percona.Restore.From
	if from.DittoServer != "" {
		return nil, nil
	}
	if ref := from.CASecretRef; ref != nil {
		r, err := readCASecret(c.req, c.ds.Namespace, requiredRestoreCA, "source's S3 CA", "spec.percona.restore.from.caSecretRef", *ref)
		if err != nil || r.Value == nil {
			return secretWait(r, "WaitingForSourceCA", "InvalidSourceCA"), err
		}
		repo.CASecret, repo.CAKey = ref.Name, ref.Key
	}
	if e := from.Encryption; e != nil {
		r, err := readPassphraseSecret(c.req, c.ds.Namespace, requiredRestorePassphrase, "source's encryption passphrase", "spec.percona.restore.from.encryption.passphraseSecretRef", e.PassphraseSecretRef)
		if err != nil || r.Value == nil {
			return secretWait(r, "WaitingForSourcePassphrase", "InvalidSourcePassphrase"), err
		}
		s := build.RestoreCipherSecret(c.ds, build.PGBackRestCipherConf(r.Value))
		if err := c.add(keyRestoreCipher, s, c.readyOnceObserved(keyRestoreCipher)); err != nil {
			return nil, err
		}
		repo.CipherSecret = s.Name
	}
	return nil, nil
}

// secretWait is the restore's wait for a Secret read as r: a warning for a
// problem, a plain wait while it is not fetched yet.
func secretWait(r secretKeyRead, waiting, invalid string) *restoreWait {
	if r.Problem != "" {
		return &restoreWait{Reason: invalid, Message: r.Problem, Warn: true}
	}
	return &restoreWait{Reason: waiting, Message: r.Waiting}
}

// keepRestoreSecrets keeps the restore's composed Secrets
// (<xr>-pgbackrest-restore-s3, <xr>-pgbackrest-restore-cipher) as observed
// while the observed cluster's dataSource projects them: Percona runs the
// restore Job after the cluster is created, so the Secrets its pod mounts
// must outlive the reconcile that first observes the cluster. They are no
// longer rebuilt: the restore reads what it was created with.
func (c *composer) keepRestoreSecrets(observed *pgv2.PerconaPGCluster) error {
	ds := observed.Spec.DataSource
	if ds == nil || ds.PGBackRest == nil {
		return nil
	}
	projected := map[string]bool{}
	for _, p := range ds.PGBackRest.Configuration {
		if p.Secret != nil {
			projected[p.Secret.Name] = true
		}
	}
	for _, key := range []resource.Name{keyRestoreS3, keyRestoreCipher} {
		if o := c.observedObject(key); o != nil && projected[o.GetName()] {
			if err := c.keepObserved(resource.ReadyTrue, key); err != nil {
				return err
			}
		}
	}
	return nil
}
