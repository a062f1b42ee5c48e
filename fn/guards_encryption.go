package fn

import (
	"bytes"
	"fmt"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// encryptionGuard: a pgBackRest repository is encrypted, or not, with one
// passphrase for its whole life. pgBackRest reads neither an encrypted
// repository without its passphrase nor a plain one with a cipher, so
// encryption added, removed or its passphrase changed on a cluster with a
// repository would stop WAL archiving and every backup and restore. Only
// with backups on: turning them off is backupRemovalGuard's.
func (c *composer) encryptionGuard(cluster *pgv2.PerconaPGCluster) field.ErrorList {
	b := c.ds.Spec.Percona.Backup
	if !b.Enabled {
		return nil
	}
	p := field.NewPath("spec", "percona", "backup", "encryption")
	kept := c.observedKeptRepository()
	var was bool
	switch {
	case hasBackupRepository(cluster):
		was = cluster.Spec.Backups.PGBackRest.Global[build.OptionCipherType] != ""
	case c.observedObject(keyPGBackRestCipher) != nil:
		// Backups turned off and on again: the encrypted repository is
		// still in the bucket at the path they go on at, and the kept
		// cipher Secret says so.
		was = true
	case cluster.Annotations[annotationPlainRepository] == repoPath(c.ds, cluster):
		// The same, for a plain repository: the cluster's record of it.
		was = false
	case kept != nil && kept.RepoPath == repoPath(c.ds, cluster):
		// The XR's status record of it, which holds when the cipher
		// Secret or the annotation was removed by hand.
		was = kept.Encrypted
	default:
		return nil
	}
	if now := b.Encryption != nil; was != now {
		return field.ErrorList{field.Forbidden(p, c.encryptionChanged(cluster, was))}
	}
	if !was {
		return nil
	}
	return c.passphraseGuard(p.Child("passphraseSecretRef"))
}

// annotationPlainRepository records on the cluster the path of the plain
// (unencrypted) pgBackRest repository it writes, or wrote before backups
// were turned off: the bucket keeps that repository, and backups turned on
// again go to the same path (repoPath), where pgBackRest with a cipher
// could not read it. With backups off the cluster's spec names no
// repository, so this record is what encryptionGuard checks encryption
// against, as it checks a kept <xr>-pgbackrest-cipher the other way.
const annotationPlainRepository = "dittofs.io/plain-pgbackrest-repository"

// recordPlainRepository writes annotationPlainRepository onto pc: the
// repository pc is composed with when backups are on without encryption;
// with backups off, the record the observed cluster holds, or the plain
// repository it still has (a cluster composed before the record existed).
func recordPlainRepository(ds spec.DittoServer, pc, observed *pgv2.PerconaPGCluster, repo string) {
	b := ds.Spec.Percona.Backup
	path := ""
	switch {
	case b.Enabled:
		if b.Encryption == nil {
			path = repo
		}
	case observed == nil:
	case observed.Annotations[annotationPlainRepository] != "":
		path = observed.Annotations[annotationPlainRepository]
	case hasBackupRepository(observed) && observed.Spec.Backups.PGBackRest.Global[build.OptionCipherType] == "":
		path, _ = observedRepoPath(observed)
	}
	if path == "" {
		return
	}
	if pc.Annotations == nil {
		pc.Annotations = map[string]string{}
	}
	pc.Annotations[annotationPlainRepository] = path
}

// keptRepository is status.database.keptRepository: while backups are
// off, the repository the cluster wrote, left in the bucket at the path
// backups go on at again. nil with backups on (status.database.backup
// says it then) or when there is none.
func (c *composer) keptRepository(cluster *pgv2.PerconaPGCluster) *v1alpha1.KeptRepositoryStatus {
	if c.ds.Spec.Percona.Backup.Enabled {
		return nil
	}
	if kept := c.observedKeptRepository(); kept != nil {
		return kept
	}
	// A cluster whose backups went off before the XR's status kept the
	// record: its other records, the plain repository's annotation or the
	// kept cipher Secret.
	bucket := c.ds.Spec.Percona.Backup.Bucket
	switch {
	case cluster == nil:
		return nil
	case cluster.Annotations[annotationPlainRepository] != "":
		return &v1alpha1.KeptRepositoryStatus{RepoPath: cluster.Annotations[annotationPlainRepository], Bucket: bucket}
	}
	if conf := c.observedCipherConf(); conf != nil {
		return &v1alpha1.KeptRepositoryStatus{RepoPath: repoPath(c.ds, cluster), Bucket: bucket, Encrypted: true, PassphraseDigest: passphraseDigest(c.ds, conf)}
	}
	return nil
}

// observedKeptRepository is the repository the observed XR's status
// records: keptRepository while backups were off, or backup while they
// were on (on the call that turns them off, and the one record
// passphraseGuard reads with backups on). Only one of the two is ever set.
func (c *composer) observedKeptRepository() *v1alpha1.KeptRepositoryStatus {
	for _, at := range [][]string{{"database", "keptRepository"}, {"database", "backup"}} {
		m := c.observedXRStatus(at...)
		path, _ := m["repoPath"].(string)
		if path == "" {
			continue
		}
		bucket, _ := m["bucket"].(string)
		encrypted, _ := m["encrypted"].(bool)
		digest, _ := m["passphraseDigest"].(string)
		return &v1alpha1.KeptRepositoryStatus{RepoPath: path, Bucket: bucket, Encrypted: encrypted, PassphraseDigest: digest}
	}
	return nil
}

func (c *composer) encryptionChanged(cluster *pgv2.PerconaPGCluster, was bool) string {
	repo := fmt.Sprintf("the pgBackRest repository of PerconaPGCluster %s (s3://%s%s)", c.ds.PerconaClusterName(), c.ds.Spec.Percona.Backup.Bucket, repoPath(c.ds, cluster))
	if was {
		return "unsafe change: " + repo + " is encrypted (" + build.OptionCipherType + " " + build.CipherType + "); without encryption pgBackRest can no longer read it, archive WAL into it or restore from it. Put encryption back with the same passphraseSecretRef; a plain repository needs a new DittoServer (restore into it from this one)"
	}
	return "unsafe change: " + repo + " is not encrypted; pgBackRest cannot encrypt an existing repository, and with a cipher it could no longer read this one, archive WAL into it or restore from it. Remove encryption; an encrypted repository needs a new DittoServer (restore into it from this one)"
}

// passphraseGuard: the passphrase read now must be the one in the observed
// <xr>-pgbackrest-cipher, which the repository was written with, or, with
// that Secret gone (deleted by hand), the one the XR's status records the
// digest of (passphrase_digest.go). A passphrase not readable yet changes
// nothing (the cipher Secret is kept). Neither value is ever in the
// message.
func (c *composer) passphraseGuard(p *field.Path) field.ErrorList {
	was := c.observedCipherConf()
	recorded := c.recordedPassphraseDigest()
	if was == nil && recorded == "" {
		return nil
	}
	r, err := c.readBackupPassphrase()
	if err != nil || r.Value == nil {
		return nil
	}
	now := build.PGBackRestCipherConf(r.Value)
	var kept string
	switch {
	case was != nil && bytes.Equal(was, now):
		return nil
	case was != nil:
		kept = "kept in Secret " + c.ds.PGBackRestCipherSecretName()
	case passphraseDigest(c.ds, now) == recorded:
		return nil
	default:
		kept = "whose digest the XR's status.database records; Secret " + c.ds.PGBackRestCipherSecretName() + ", its copy, is gone"
	}
	ref := c.ds.Spec.Percona.Backup.Encryption.PassphraseSecretRef
	return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
		"unsafe change: key %s of Secret %s/%s holds another passphrase than the one the pgBackRest repository of PerconaPGCluster %s is encrypted with (%s); with it pgBackRest could no longer read the repository, archive WAL into it or restore from it. Put the old passphrase back in the Secret (or point passphraseSecretRef at a Secret holding it)",
		ref.Key, c.ds.Namespace, ref.Name, c.ds.PerconaClusterName(), kept))}
}
