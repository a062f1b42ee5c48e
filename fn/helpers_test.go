package fn

import (
	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// testInput is the Input with every default, as a Composition without input
// fields gets it.
func testInput() v1beta1.Input { return withInputDefaults(v1beta1.Input{}) }

// testDittoServer is a namespaced XR "files" in "storage" with spec s
// defaulted, as parseDittoServer returns it.
func testDittoServer(s v1alpha1.DittoServerSpec) dittoServer {
	return dittoServer{Name: "files", Namespace: "storage", UID: "uid-1", Spec: withSpecDefaults(s, testInput())}
}

func minimalSpec() v1alpha1.DittoServerSpec {
	return v1alpha1.DittoServerSpec{Storage: v1alpha1.StorageSpec{MetadataSize: "10Gi"}}
}

func perconaSpec(backup *v1alpha1.PerconaBackupConfig) v1alpha1.DittoServerSpec {
	s := minimalSpec()
	s.Percona = &v1alpha1.PerconaConfig{Enabled: true, Backup: backup}
	return s
}

func s3Backup() *v1alpha1.PerconaBackupConfig {
	return &v1alpha1.PerconaBackupConfig{
		Enabled:              true,
		CredentialsSecretRef: &v1alpha1.LocalObjectReference{Name: "backup-s3"},
		Bucket:               "dittofs-backups",
		Endpoint:             "s3.eu-west-1.amazonaws.com",
	}
}
