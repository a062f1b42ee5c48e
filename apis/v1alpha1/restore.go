package v1alpha1

// PerconaRestoreConfig creates the cluster's database from another
// pgBackRest repository: Percona's spec.dataSource.pgbackrest. It is read
// only when the cluster is created; on an existing cluster a change has no
// effect (the function warns).
type PerconaRestoreConfig struct {
	// From is the repository to restore from.
	From RestoreSource `json:"from"`

	// PointInTime restores to this moment (RFC 3339, e.g.
	// 2026-12-01T18:30:00Z) instead of the end of the archived WAL:
	// pgBackRest's --type=time --target.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$')",message="spec.percona.restore.pointInTime: must be an RFC 3339 time such as 2026-12-01T18:30:00Z"
	// +optional
	PointInTime string `json:"pointInTime,omitempty"`
}

// RestoreSource is another DittoServer of the XR's own namespace, or the raw
// coordinates of a pgBackRest repository on S3.
//
// +kubebuilder:validation:XValidation:rule="has(self.dittoServer) != has(self.repoPath)",message="spec.percona.restore.from: name either dittoServer (a DittoServer in this namespace) or repoPath with bucket and endpoint (a repository's raw coordinates)"
// +kubebuilder:validation:XValidation:rule="!has(self.dittoServer) || (!has(self.bucket) && !has(self.endpoint) && !has(self.region))",message="spec.percona.restore.from: bucket, endpoint and region come from the DittoServer's status.database.backup when dittoServer is set; leave them out"
// +kubebuilder:validation:XValidation:rule="!has(self.dittoServer) || (!has(self.caSecretRef) && !has(self.encryption))",message="spec.percona.restore.from: caSecretRef and encryption come from the source DittoServer (its spec.percona.backup.caSecretRef and its <source>-pgbackrest-cipher Secret) when dittoServer is set; leave them out"
// +kubebuilder:validation:XValidation:rule="!has(self.repoPath) || (has(self.bucket) && has(self.endpoint))",message="spec.percona.restore.from: bucket and endpoint are required with repoPath"
// +kubebuilder:validation:XValidation:rule="!has(self.endpoint) || !self.endpoint.startsWith('http://')",message="spec.percona.restore.from.endpoint: plain http:// is refused; serve the S3 endpoint over TLS"
type RestoreSource struct {
	// DittoServer names a DittoServer in this XR's namespace whose backups
	// to restore: its status.database.backup says where they are.
	// +kubebuilder:validation:MinLength=1
	// +optional
	DittoServer string `json:"dittoServer,omitempty"`

	// RepoPath is the source repository's repo1-path in the bucket, as the
	// source's status.database.backup.repoPath says.
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9._/-]+$`
	// +optional
	RepoPath string `json:"repoPath,omitempty"`

	// Bucket holding the source repository.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	// +optional
	Bucket string `json:"bucket,omitempty"`

	// Endpoint of the S3 service: [https://]host[:port].
	// +kubebuilder:validation:Pattern=`^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$`
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// Region of the bucket. Defaults to spec.percona.backup.region.
	// +optional
	Region string `json:"region,omitempty"`

	// URIStyle of S3 requests to the source. Defaults to the source
	// DittoServer's, else spec.percona.backup.uriStyle.
	// +kubebuilder:validation:Enum=path;host
	// +optional
	URIStyle string `json:"uriStyle,omitempty"`

	// VerifyTLS of the source's S3 endpoint. Defaults to the source
	// DittoServer's, else spec.percona.backup.verifyTLS.
	// +optional
	VerifyTLS *bool `json:"verifyTLS,omitempty"`

	// CredentialsSecretRef names a Secret in this XR's namespace with the S3
	// keys that read the source bucket, in the same forms as
	// spec.percona.backup.credentialsSecretRef. Defaults to
	// spec.percona.backup.credentialsSecretRef. Never another namespace's.
	// +optional
	CredentialsSecretRef *LocalObjectReference `json:"credentialsSecretRef,omitempty"`

	// CASecretRef names the Secret key (default ca.crt), in this XR's
	// namespace, holding the PEM certificate authority that signed the
	// source's S3 endpoint certificate, as spec.percona.backup.caSecretRef
	// does for the backups. It is projected into the restore Job's
	// pgBackRest configuration and set as repo1-storage-ca-file. Only with
	// repoPath: a source DittoServer's CA is its own caSecretRef.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`

	// Encryption says the source repository is encrypted, and names the
	// Secret key (default passphrase), in this XR's namespace, holding its
	// passphrase, as spec.percona.backup.encryption does for the backups.
	// The function copies it into <xr>-pgbackrest-restore-cipher, which the
	// restore Job's pgBackRest configuration projects (repo1-cipher-type
	// aes-256-cbc); it never appears in the spec, a ConfigMap or the
	// status. Only with repoPath: a source DittoServer's passphrase is its
	// <source>-pgbackrest-cipher.
	// +optional
	Encryption *BackupEncryption `json:"encryption,omitempty"`

	// AdminSecretRef names the Secret key, in this XR's namespace, holding
	// the source's DittoFS admin password. The restored database keeps the
	// source's users, admin included, so the function copies this password
	// into <xr>-admin (once, when it creates it) and the connection Secret
	// tells the truth. Defaults, for a dittoServer source, to the Secret
	// its function generated (<source>-admin, key password); name the
	// source's own Secret here when it set
	// spec.identity.admin.passwordSecretRef. Required with repoPath, unless
	// spec.identity.admin.passwordSecretRef is set: then that password is
	// the admin's, and this is ignored.
	// +optional
	AdminSecretRef *SecretKeySelector `json:"adminSecretRef,omitempty"`
}

// PerconaRecoveryConfig asks for one in-place point-in-time recovery of the
// live cluster: a PerconaPGRestore <cluster>-recovery-<id>, composed once
// DittoFS has stopped. A new id is a new recovery; an id already recovered
// (its restore observed, or recorded in status.database.restore.recovery)
// never runs again.
type PerconaRecoveryConfig struct {
	// ID names this recovery: any new token (e.g. the date) asks for a new
	// one.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$`
	ID string `json:"id"`

	// PointInTime to recover to, RFC 3339. It must not be later than the
	// latestRestorableTime Percona reports for the cluster's backups.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$')",message="spec.percona.recovery.pointInTime: must be an RFC 3339 time such as 2026-12-01T18:30:00Z"
	PointInTime string `json:"pointInTime"`
}

// RestoreStatus reports a restore into a new cluster and in-place
// recoveries.
type RestoreStatus struct {
	// Source is the repository the cluster was created from
	// (spec.percona.restore), as composed in its dataSource.
	// +optional
	Source *RestoreSourceStatus `json:"source,omitempty"`
	// Recovery is the last in-place recovery asked for.
	// +optional
	Recovery *RecoveryStatus `json:"recovery,omitempty"`
}

// RestoreSourceStatus locates the repository a cluster was restored from.
type RestoreSourceStatus struct {
	// RepoPath of the source repository.
	// +optional
	RepoPath string `json:"repoPath,omitempty"`
	// Bucket of the source repository.
	// +optional
	Bucket string `json:"bucket,omitempty"`
	// Endpoint of the source's S3 service.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Target is pgBackRest's --target, when restored to a point in time.
	// +optional
	Target string `json:"target,omitempty"`
	// State of the restore: Restoring while Percona fills the new cluster
	// (DittoFS waits), Restored once the cluster came up with the restored
	// data. Restored is kept from then on, read back from this status, so
	// a restored cluster that is briefly not ready later (a failover, an
	// upgrade) is not reported as restoring again.
	// +optional
	State string `json:"state,omitempty"`
}

// RecoveryStatus is one in-place recovery's progress.
type RecoveryStatus struct {
	// ID of the recovery (spec.percona.recovery.id).
	// +optional
	ID string `json:"id,omitempty"`
	// PointInTime recovered to.
	// +optional
	PointInTime string `json:"pointInTime,omitempty"`
	// RestoreName is the PerconaPGRestore.
	// +optional
	RestoreName string `json:"restoreName,omitempty"`
	// State: StoppingDittoFS, Restoring, Succeeded, Failed or Refused.
	// +optional
	State string `json:"state,omitempty"`
}
