package spec

import (
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// recoveryIDPattern is spec.percona.recovery.id's: a DNS label of at most
// 20 characters, so <xr>-recovery-<id> stays a valid name.
var recoveryIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$`)

// validateRestore checks spec.percona.restore and spec.percona.recovery as
// the XRD's CEL rules do, and what they cannot: a parseable time, a source
// that is not this XR, credentials to read the source with.
func validateRestore(ds DittoServer) field.ErrorList {
	p := field.NewPath("spec", "percona")
	pc := ds.Spec.Percona
	var errs field.ErrorList
	if r := pc.Restore; r != nil {
		rp := p.Child("restore")
		if !pc.Enabled {
			errs = append(errs, field.Forbidden(rp, "a restore fills the composed Percona cluster: set spec.percona.enabled too"))
		}
		errs = append(errs, validateRestoreSource(rp.Child("from"), ds, r.From)...)
		errs = append(errs, validatePointInTime(rp.Child("pointInTime"), r.PointInTime, false)...)
	}
	if r := pc.Recovery; r != nil {
		rp := p.Child("recovery")
		if !pc.Backup.Enabled {
			errs = append(errs, field.Forbidden(rp, "an in-place recovery restores from the cluster's own backups: it requires spec.percona.backup.enabled"))
		}
		if !recoveryIDPattern.MatchString(r.ID) {
			errs = append(errs, field.Invalid(rp.Child("id"), r.ID, "must be a lowercase DNS label of at most 20 characters, e.g. 2026-12-01a: the PerconaPGRestore is named <xr>-recovery-<id>"))
		}
		errs = append(errs, validatePointInTime(rp.Child("pointInTime"), r.PointInTime, true)...)
	}
	return errs
}

func validateRestoreSource(p *field.Path, ds DittoServer, from v1alpha1.RestoreSource) field.ErrorList {
	var errs field.ErrorList
	switch {
	case from.DittoServer != "" && from.RepoPath != "":
		errs = append(errs, field.Invalid(p, "dittoServer and repoPath", "name either dittoServer (a DittoServer in this namespace) or repoPath with bucket and endpoint, not both"))
	case from.DittoServer == "" && from.RepoPath == "":
		errs = append(errs, field.Required(p, "name dittoServer (a DittoServer in this namespace) or repoPath with bucket and endpoint (a repository's raw coordinates)"))
	case from.DittoServer == ds.Name:
		errs = append(errs, field.Invalid(p.Child("dittoServer"), from.DittoServer, "is this DittoServer itself: a new server restores from another one's backups; to rewind this one, use spec.percona.recovery"))
	case from.DittoServer != "" && (from.Bucket != "" || from.Endpoint != "" || from.Region != ""):
		errs = append(errs, field.Forbidden(p, "bucket, endpoint and region come from the DittoServer's status.database.backup when dittoServer is set; leave them out"))
	case from.RepoPath != "":
		if from.Bucket == "" {
			errs = append(errs, field.Required(p.Child("bucket"), "required with repoPath"))
		}
		if from.Endpoint == "" {
			errs = append(errs, field.Required(p.Child("endpoint"), "required with repoPath"))
		} else if _, err := parseS3Endpoint(from.Endpoint); err != nil {
			errs = append(errs, field.Invalid(p.Child("endpoint"), from.Endpoint, err.Error()))
		}
	}
	errs = append(errs, validateRestoreSourceSecrets(p, ds, from)...)
	if ds.RestoreCredentialsSecret() == "" {
		errs = append(errs, field.Required(p.Child("credentialsSecretRef"), "the Secret with the S3 keys that read the source; required when spec.percona.backup.credentialsSecretRef is not set"))
	}
	return errs
}

// validateRestoreSourceSecrets checks the references to the source's CA,
// passphrase and admin Secrets: with raw coordinates the spec names them
// (the admin's is required: no source DittoServer names it); a source
// DittoServer brings its own CA and passphrase.
func validateRestoreSourceSecrets(p *field.Path, ds DittoServer, from v1alpha1.RestoreSource) field.ErrorList {
	if from.DittoServer != "" {
		if from.CASecretRef != nil || from.Encryption != nil {
			return field.ErrorList{field.Forbidden(p, "caSecretRef and encryption come from the source DittoServer (its spec.percona.backup.caSecretRef and its <source>-pgbackrest-cipher Secret) when dittoServer is set; leave them out")}
		}
		return nil
	}
	if from.RepoPath == "" {
		return nil
	}
	errs := validateSecretKeyRef(p.Child("caSecretRef"), from.CASecretRef)
	if from.Encryption != nil {
		errs = append(errs, validateSecretKeyRef(p.Child("encryption", "passphraseSecretRef"), &from.Encryption.PassphraseSecretRef)...)
	}
	if from.AdminSecretRef == nil && !adminPasswordGiven(ds) {
		errs = append(errs, field.Required(p.Child("adminSecretRef"), "the Secret key (default key password) holding the source's DittoFS admin password: the restored database keeps the source's users, admin included, so the new server's admin logs in with it. Required with repoPath, unless spec.identity.admin.passwordSecretRef is set"))
	}
	return errs
}

func validatePointInTime(p *field.Path, v string, required bool) field.ErrorList {
	if v == "" {
		if required {
			return field.ErrorList{field.Required(p, "the RFC 3339 time to recover to, e.g. 2026-12-01T18:30:00Z")}
		}
		return nil
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		return field.ErrorList{field.Invalid(p, v, "must be an RFC 3339 time such as 2026-12-01T18:30:00Z")}
	}
	return nil
}

// adminPasswordGiven: spec.identity.admin.passwordSecretRef is set.
func adminPasswordGiven(ds DittoServer) bool {
	i := ds.Spec.Identity
	return i != nil && i.Admin != nil && i.Admin.PasswordSecretRef != nil
}
