package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

func TestOnDemandMaxLength(t *testing.T) {
	// The longest XR name Percona accepts makes a 37-character cluster name.
	longest := DittoServer{Name: "abcdefghijklmnopqrstuvwxyz01"}
	if n := len(longest.PerconaClusterName()) + len(perconaInstanceSet); n != perconaMaxNameLength {
		t.Fatalf("the test's XR name gives %d characters, not Percona's limit %d", n, perconaMaxNameLength)
	}
	name := longest.PerconaBackupName("abcdefghijklmnopqr")
	if OnDemandMaxLength != 18 || len(name) != 63 {
		t.Errorf("OnDemandMaxLength %d: the longest backup name %q has %d characters, want 63", OnDemandMaxLength, name, len(name))
	}
}

func TestBackupExtrasDefaults(t *testing.T) {
	b := &v1alpha1.PerconaBackupConfig{
		CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca"},
		Encryption:  &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "pass"}},
	}
	backupExtrasDefaults(b)
	want := &v1alpha1.PerconaBackupConfig{
		CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "ca.crt"},
		Encryption:  &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "pass", Key: "passphrase"}},
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	keys := &v1alpha1.PerconaBackupConfig{CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "root.pem"}}
	backupExtrasDefaults(keys)
	if keys.CASecretRef.Key != "root.pem" {
		t.Errorf("a written key was replaced: %q", keys.CASecretRef.Key)
	}
}

func TestValidateBackupExtras(t *testing.T) {
	p := field.NewPath("spec", "percona", "backup")
	on := func(f func(*v1alpha1.PerconaBackupConfig)) *v1alpha1.PerconaBackupConfig {
		b := &v1alpha1.PerconaBackupConfig{Enabled: true}
		f(b)
		return b
	}
	cases := map[string]struct {
		reason string
		b      *v1alpha1.PerconaBackupConfig
		want   field.ErrorList
	}{
		"Nothing": {reason: "Backups on with no extras is the common case and must not be refused.", b: on(func(*v1alpha1.PerconaBackupConfig) {})},
		"Token":   {reason: "A date is the documented on-demand token: it must be accepted as it is.", b: on(func(b *v1alpha1.PerconaBackupConfig) { b.OnDemand = "2026-12-01" })},
		"TokenWithBackupsOff": {
			reason: "An on-demand backup without backups on would silently never run; the error says the two ways out.",
			b:      &v1alpha1.PerconaBackupConfig{OnDemand: "now"},
			want:   field.ErrorList{field.Forbidden(p.Child("onDemand"), "an on-demand backup needs backups on: set spec.percona.backup.enabled: true, or remove onDemand")},
		},
		"TokenNotALabel": {
			reason: "The token becomes part of the PerconaPGBackup's name; one that is not a DNS label would fail only at the API server, so it is refused with the limit and examples.",
			b:      on(func(b *v1alpha1.PerconaBackupConfig) { b.OnDemand = "-now" }),
			want:   field.ErrorList{field.Invalid(p.Child("onDemand"), "-now", "must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit) of at most 18 characters, e.g. 2026-12-01 or before-upgrade: the PerconaPGBackup is named <xr>-postgres-backup-<token>")},
		},
		"BadRefs": {
			reason: "A bad Secret name or key would leave pgBackRest without its CA or passphrase only once the pod starts; both are named at once, each with its path.",
			b: on(func(b *v1alpha1.PerconaBackupConfig) {
				b.CASecretRef = &v1alpha1.SecretKeySelector{Name: "Bad_Name", Key: "ca.crt"}
				b.Encryption = &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "pass", Key: "a/b"}}
			}),
			want: field.ErrorList{
				field.Invalid(p.Child("caSecretRef", "name"), "Bad_Name", "must name a Secret in the XR's namespace"),
				field.Invalid(p.Child("encryption", "passphraseSecretRef", "key"), "a/b", "must be a Secret key (letters, digits, '-', '_', '.')"),
			},
		},
		"RefsIgnoredWithBackupsOff": {
			reason: "With backups off the refs are not used: refusing them would block an XR for a setting that has no effect.",
			b:      &v1alpha1.PerconaBackupConfig{CASecretRef: &v1alpha1.SecretKeySelector{Name: "Bad_Name"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, validateBackupExtras(p, tc.b)); diff != "" {
				t.Errorf("%s\nvalidateBackupExtras(path, backup): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
