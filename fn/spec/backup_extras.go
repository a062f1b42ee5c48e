package spec

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// The keys the backup's Secret references read when they name none.
const (
	DefaultBackupCAKey         = "ca.crt"
	DefaultBackupPassphraseKey = "passphrase"
)

// OnDemandMaxLength keeps the on-demand PerconaPGBackup's name,
// <xr>-postgres-backup-<token>, a DNS label (63 characters) for the longest
// cluster name Percona accepts: perconaMaxNameLength minus the instance
// set's name, 46 - 9 = 37 characters, plus "-backup-".
const OnDemandMaxLength = 63 - (perconaMaxNameLength - len(perconaInstanceSet)) - len("-backup-")

// backupExtrasDefaults fills the keys of the CA and passphrase references.
func backupExtrasDefaults(b *v1alpha1.PerconaBackupConfig) {
	if b.CASecretRef != nil && b.CASecretRef.Key == "" {
		ref := *b.CASecretRef
		ref.Key = DefaultBackupCAKey
		b.CASecretRef = &ref
	}
	if b.Encryption != nil && b.Encryption.PassphraseSecretRef.Key == "" {
		e := *b.Encryption
		e.PassphraseSecretRef.Key = DefaultBackupPassphraseKey
		b.Encryption = &e
	}
}

// validateBackupExtras checks onDemand, caSecretRef and encryption, the
// first even with backups off: a backup asked for there cannot run.
func validateBackupExtras(p *field.Path, b *v1alpha1.PerconaBackupConfig) field.ErrorList {
	var errs field.ErrorList
	if b.OnDemand != "" {
		if !b.Enabled {
			errs = append(errs, field.Forbidden(p.Child("onDemand"), "an on-demand backup needs backups on: set spec.percona.backup.enabled: true, or remove onDemand"))
		}
		if msgs := validation.IsDNS1123Label(b.OnDemand); len(msgs) > 0 || len(b.OnDemand) > OnDemandMaxLength {
			errs = append(errs, field.Invalid(p.Child("onDemand"), b.OnDemand, fmt.Sprintf(
				"must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit) of at most %d characters, e.g. 2026-12-01 or before-upgrade: the PerconaPGBackup is named <xr>-postgres-backup-<token>", OnDemandMaxLength)))
		}
	}
	if !b.Enabled {
		return errs
	}
	errs = append(errs, validateSecretKeyRef(p.Child("caSecretRef"), b.CASecretRef)...)
	if b.Encryption != nil {
		errs = append(errs, validateSecretKeyRef(p.Child("encryption", "passphraseSecretRef"), &b.Encryption.PassphraseSecretRef)...)
	}
	return errs
}

func validateSecretKeyRef(p *field.Path, ref *v1alpha1.SecretKeySelector) field.ErrorList {
	if ref == nil {
		return nil
	}
	var errs field.ErrorList
	if msgs := validation.IsDNS1123Subdomain(ref.Name); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("name"), ref.Name, "must name a Secret in the XR's namespace"))
	}
	if msgs := validation.IsConfigMapKey(ref.Key); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("key"), ref.Key, "must be a Secret key (letters, digits, '-', '_', '.')"))
	}
	return errs
}
