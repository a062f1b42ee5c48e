package spec

import "github.com/dittofs/function-dittofs/apis/v1alpha1"

// adminPasswordKey is the key of the admin password in <xr>-admin.
const adminPasswordKey = "password"

// restoreDefaults fills the keys of the source's CA and passphrase
// references, as backupExtrasDefaults does for the backups'. It copies
// what it changes: the parsed XR's pointers are never written through.
func restoreDefaults(r *v1alpha1.PerconaRestoreConfig) *v1alpha1.PerconaRestoreConfig {
	if r == nil {
		return nil
	}
	out := *r
	if ca := r.From.CASecretRef; ca != nil && ca.Key == "" {
		out.From.CASecretRef = &v1alpha1.SecretKeySelector{Name: ca.Name, Key: DefaultBackupCAKey}
	}
	if e := r.From.Encryption; e != nil && e.PassphraseSecretRef.Key == "" {
		out.From.Encryption = &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: e.PassphraseSecretRef.Name, Key: DefaultBackupPassphraseKey}}
	}
	return &out
}

// RestoreCredentialsSecret is the Secret holding the S3 keys the restore
// reads its source with: spec.percona.restore.from.credentialsSecretRef,
// else the backups' own (spec.percona.backup.credentialsSecretRef); "" when
// neither is set. Always a Secret of the XR's own namespace.
func (ds DittoServer) RestoreCredentialsSecret() string {
	if r := ds.Spec.Percona.Restore; r != nil && r.From.CredentialsSecretRef != nil {
		return r.From.CredentialsSecretRef.Name
	}
	if r := ds.Spec.Percona.Backup.CredentialsSecretRef; r != nil {
		return r.Name
	}
	return ""
}

// RestoreAdminSecret is the Secret key holding the source's DittoFS admin
// password: spec.percona.restore.from.adminSecretRef (key password when
// unset), else the source DittoServer's <source>-admin, key password.
func (ds DittoServer) RestoreAdminSecret() v1alpha1.SecretKeySelector {
	from := ds.Spec.Percona.Restore.From
	if from.AdminSecretRef != nil {
		ref := *from.AdminSecretRef
		if ref.Key == "" {
			ref.Key = adminPasswordKey
		}
		return ref
	}
	return v1alpha1.SecretKeySelector{Name: DittoServer{Name: from.DittoServer}.AdminSecretName(), Key: adminPasswordKey}
}
