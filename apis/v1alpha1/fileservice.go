package v1alpha1

// FileServiceSpec declares the file service DittoFS serves: metadata and
// block stores, shares, users, groups and snapshot policies. The function
// renders it (without secret values) into the ConfigMap <name>-fileservice;
// the reconciler in the DittoFS pod applies it through DittoFS's API and
// deletes only what it created (docs/fileservice.md). A DittoServer that
// declares nothing keeps its hand-made stores and shares untouched.
type FileServiceSpec struct {
	// MetadataStores hold the shares' file-system metadata.
	// +listType=map
	// +listMapKey=name
	// +optional
	MetadataStores []FileMetadataStore `json:"metadataStores,omitempty"`

	// BlockStores hold the shares' file content: local (on the content
	// volume) and remote (S3).
	// +optional
	BlockStores []FileBlockStore `json:"blockStores,omitempty"`

	// Shares are the exports NFS and SMB clients mount.
	// +listType=map
	// +listMapKey=name
	// +optional
	Shares []FileShare `json:"shares,omitempty"`

	// Groups of DittoFS users.
	// +listType=map
	// +listMapKey=name
	// +optional
	Groups []FileGroup `json:"groups,omitempty"`

	// Users log in over SMB with their password; NFS maps their uid and gid.
	// +listType=map
	// +listMapKey=username
	// +optional
	Users []FileUser `json:"users,omitempty"`

	// SnapshotPolicies take snapshots of a share on a schedule (the DittoFS
	// operator's snapshotPolicies).
	// +listType=map
	// +listMapKey=share
	// +optional
	SnapshotPolicies []FileSnapshotPolicy `json:"snapshotPolicies,omitempty"`

	// AuthorizeRemoval names the shares and stores whose removal from this
	// declaration the user authorizes. Without it, removing a share or a
	// store the server's declaration held is refused and nothing is
	// applied: deleting a share wipes its snapshots and strands its files.
	// Names, not a switch, so one authorization cannot cover a later
	// removal; a name that is declared again is refused until it leaves
	// this list (docs/fileservice.md).
	// +optional
	AuthorizeRemoval *FileServiceRemovals `json:"authorizeRemoval,omitempty"`
}

// FileServiceRemovals names shares and stores, by kind, whose removal is
// authorized.
type FileServiceRemovals struct {
	// Shares by name (/export).
	// +listType=set
	// +optional
	Shares []string `json:"shares,omitempty"`
	// MetadataStores by name.
	// +listType=set
	// +optional
	MetadataStores []string `json:"metadataStores,omitempty"`
	// LocalBlockStores by name.
	// +listType=set
	// +optional
	LocalBlockStores []string `json:"localBlockStores,omitempty"`
	// RemoteBlockStores by name.
	// +listType=set
	// +optional
	RemoteBlockStores []string `json:"remoteBlockStores,omitempty"`
}

// FileMetadataStore is one metadata store.
type FileMetadataStore struct {
	// Name of the store, which shares name in metadataStore.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	Name string `json:"name"`

	// Type: memory (lost on restart), badger (a directory of the metadata
	// volume) or postgres.
	// +kubebuilder:validation:Enum=memory;badger;postgres
	Type string `json:"type"`

	// Badger settings (type badger).
	// +optional
	Badger *FileBadgerStore `json:"badger,omitempty"`

	// Postgres settings (type postgres).
	// +optional
	Postgres *FilePostgresStore `json:"postgres,omitempty"`
}

// FileBadgerStore is a badger database on the metadata volume.
type FileBadgerStore struct {
	// Directory under /data/store/metadata. Defaults to the store's name.
	// +optional
	Directory string `json:"directory,omitempty"`

	// BlockCacheMegabytes and IndexCacheMegabytes size badger's caches
	// (0: auto).
	// +kubebuilder:validation:Minimum=0
	// +optional
	BlockCacheMegabytes *int64 `json:"blockCacheMegabytes,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +optional
	IndexCacheMegabytes *int64 `json:"indexCacheMegabytes,omitempty"`
}

// FilePostgresStore is a PostgreSQL database holding the metadata tables.
type FilePostgresStore struct {
	// Database of the store, never the control plane's. With
	// spec.percona.enabled it defaults to <percona.databaseName>_meta, which
	// the function adds to the Percona user's databases.
	// +optional
	Database string `json:"database,omitempty"`

	// SecretName names a Secret shaped like Percona's pguser Secret (keys
	// host, port, user, password). Defaults to the composed Percona
	// cluster's user Secret with spec.percona.enabled.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// SSLMode of the connection. Defaults to require: Percona's PostgreSQL
	// accepts TLS only.
	// +kubebuilder:validation:Enum=disable;allow;prefer;require;verify-ca;verify-full
	// +optional
	SSLMode string `json:"sslMode,omitempty"`
}

// FileBlockStore is one block store.
type FileBlockStore struct {
	// Name of the store, which shares name in localBlockStore or
	// remoteBlockStore.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	Name string `json:"name"`

	// Kind: local (the cache tier, on the content volume) or remote (the
	// durable tier behind a local one).
	// +kubebuilder:validation:Enum=local;remote
	Kind string `json:"kind"`

	// Type: fs or memory (local), s3 or memory (remote).
	// +kubebuilder:validation:Enum=fs;memory;s3
	Type string `json:"type"`

	// FS settings (type fs).
	// +optional
	FS *FileFSBlockStore `json:"fs,omitempty"`

	// S3 settings (type s3).
	// +optional
	S3 *FileS3BlockStore `json:"s3,omitempty"`
}

// FileFSBlockStore is a directory of the content volume.
type FileFSBlockStore struct {
	// Directory under /data/store/block. Defaults to the store's name.
	// +optional
	Directory string `json:"directory,omitempty"`
}

// FileS3BlockStore is a bucket on S3 or an S3-compatible server.
type FileS3BlockStore struct {
	// Bucket holding the content.
	// +kubebuilder:validation:MinLength=1
	Bucket string `json:"bucket"`
	// Region (DittoFS's default: us-east-1).
	// +optional
	Region string `json:"region,omitempty"`
	// Endpoint of an S3-compatible server (https://host:port).
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Prefix of every object key.
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// ForcePathStyle addressing (DittoFS's default with an endpoint: true).
	// +optional
	ForcePathStyle *bool `json:"forcePathStyle,omitempty"`
	// AllowPrivateEndpoint lets the endpoint be a private address (an
	// in-cluster S3 server); DittoFS refuses one otherwise.
	// +optional
	AllowPrivateEndpoint bool `json:"allowPrivateEndpoint,omitempty"`
	// CredentialsSecretName names the Secret holding the access keys.
	// +kubebuilder:validation:MinLength=1
	CredentialsSecretName string `json:"credentialsSecretName"`
	// AccessKeyIDKey in that Secret. Defaults to access_key_id.
	// +optional
	AccessKeyIDKey string `json:"accessKeyIDKey,omitempty"`
	// SecretAccessKeyKey in that Secret. Defaults to secret_access_key.
	// +optional
	SecretAccessKeyKey string `json:"secretAccessKeyKey,omitempty"`
	// ParallelUploads bounds concurrent uploads (0: DittoFS's default).
	// +kubebuilder:validation:Minimum=0
	// +optional
	ParallelUploads *int `json:"parallelUploads,omitempty"`
	// Compression of uploaded blocks.
	// +kubebuilder:validation:Enum=zstd;lz4
	// +optional
	Compression string `json:"compression,omitempty"`
}

// FileShare is one share: NFS clients mount its name, SMB clients the name
// without its slash.
type FileShare struct {
	// Name is the export path: a slash and a name (/export).
	// +kubebuilder:validation:Pattern=`^/[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	Name string `json:"name"`
	// MetadataStore names a declared metadata store.
	MetadataStore string `json:"metadataStore"`
	// LocalBlockStore names a declared local block store.
	LocalBlockStore string `json:"localBlockStore"`
	// RemoteBlockStore names a declared remote block store.
	// +optional
	RemoteBlockStore string `json:"remoteBlockStore,omitempty"`
	// ReadOnly refuses every write.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`
	// DefaultPermission of a user without a grant and of anonymous NFS
	// clients. Defaults to none.
	// +kubebuilder:validation:Enum=none;read;read-write;admin
	// +optional
	DefaultPermission string `json:"defaultPermission,omitempty"`
	// Owner is the declared user owning the share's root directory (set at
	// creation only).
	// +optional
	Owner string `json:"owner,omitempty"`
	// Cache sizes the share's local tier and read buffer.
	// +optional
	Cache *FileShareCache `json:"cache,omitempty"`
	// Quota of the share (10Gi); unset: none.
	// +optional
	Quota string `json:"quota,omitempty"`
	// NFS options of the share.
	// +optional
	NFS *FileShareNFS `json:"nfs,omitempty"`
	// SMB options of the share (applied when DittoFS's SMB adapter restarts).
	// +optional
	SMB *FileShareSMB `json:"smb,omitempty"`
	// Permissions grant declared users and groups a level on the share.
	// +optional
	Permissions []FileSharePermission `json:"permissions,omitempty"`
}

// FileShareCache sizes the share's cache.
type FileShareCache struct {
	// LocalStoreSize bounds the local block tier (20Gi).
	// +optional
	LocalStoreSize string `json:"localStoreSize,omitempty"`
	// ReadBufferSize bounds the read buffer (256Mi).
	// +optional
	ReadBufferSize string `json:"readBufferSize,omitempty"`
}

// FileShareNFS holds the share's NFS options; unset ones keep DittoFS's.
type FileShareNFS struct {
	// Squash maps root or every user to the admin or the guest identity.
	// +kubebuilder:validation:Enum=none;root_to_admin;root_to_guest;all_to_admin;all_to_guest
	// +optional
	Squash string `json:"squash,omitempty"`
	// AnonymousUID is the uid squashed users get.
	// +optional
	AnonymousUID *uint32 `json:"anonymousUID,omitempty"`
	// AnonymousGID is the gid squashed users get.
	// +optional
	AnonymousGID *uint32 `json:"anonymousGID,omitempty"` //nolint:tagliatelle // the initialism as in anonymousUID
	// AllowAuthSys accepts AUTH_SYS (uid/gid) clients.
	// +optional
	AllowAuthSys *bool `json:"allowAuthSys,omitempty"`
	// RequireKerberos refuses clients without Kerberos.
	// +optional
	RequireKerberos *bool `json:"requireKerberos,omitempty"`
}

// FileShareSMB holds the share's SMB options; unset ones keep DittoFS's.
type FileShareSMB struct {
	// EncryptData requires SMB3 encryption.
	// +optional
	EncryptData *bool `json:"encryptData,omitempty"`
	// AccessBasedEnumeration hides what a user cannot read.
	// +optional
	AccessBasedEnumeration *bool `json:"accessBasedEnumeration,omitempty"`
}

// FileSharePermission grants one user or one group a level on a share.
//
// +kubebuilder:validation:XValidation:rule="has(self.user) != has(self.group)",message="set exactly one of user and group"
type FileSharePermission struct {
	// User is a declared username.
	// +optional
	User string `json:"user,omitempty"`
	// Group is a declared group name.
	// +optional
	Group string `json:"group,omitempty"`
	// Level granted.
	// +kubebuilder:validation:Enum=none;read;read-write;admin
	Level string `json:"level"`
}

// FileGroup is a DittoFS group.
type FileGroup struct {
	// Name of the group.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	Name string `json:"name"`
	// GID of the group.
	// +optional
	GID *uint32 `json:"gid,omitempty"`
	// Description of the group.
	// +optional
	Description string `json:"description,omitempty"`
}

// FileUser is a DittoFS user.
type FileUser struct {
	// Username, not admin (DittoFS's bootstrap admin, kept by the admin
	// Secret).
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	Username string `json:"username"`
	// PasswordSecretRef names the Secret key holding the user's password.
	// A change to it is applied without restarting DittoFS.
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef"`
	// UID NFS maps the user to.
	// +optional
	UID *uint32 `json:"uid,omitempty"`
	// GID NFS maps the user to.
	// +optional
	GID *uint32 `json:"gid,omitempty"`
	// Groups is the user's whole membership (declared groups).
	// +optional
	Groups []string `json:"groups,omitempty"`
	// Role in DittoFS's API. Defaults to user.
	// +kubebuilder:validation:Enum=user;operator;admin
	// +optional
	Role string `json:"role,omitempty"`
	// Enabled: a disabled user cannot log in. Defaults to true.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// FileSnapshotPolicy takes snapshots of one share on a schedule.
type FileSnapshotPolicy struct {
	// Share is a declared share's name.
	Share string `json:"share"`
	// Interval between snapshots: a Go duration (6h) or @hourly, @daily,
	// @weekly.
	Interval string `json:"interval"`
	// KeepLast keeps the newest N snapshots (0: no count bound).
	// +kubebuilder:validation:Minimum=0
	// +optional
	KeepLast int `json:"keepLast,omitempty"`
	// TTL drops snapshots older than a Go duration (168h).
	// +optional
	TTL string `json:"ttl,omitempty"`
	// Enabled defaults to true.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// NamePrefix names the snapshots the policy takes.
	// +optional
	NamePrefix string `json:"namePrefix,omitempty"`
}

// ShareStatus is one declared share as clients reach it.
type ShareStatus struct {
	// Name of the share (its export path, /export).
	Name string `json:"name"`
	// NFS is the share's NFS URL (RFC 2224: nfs://host:port/export), from
	// the NFS Service's in-cluster name and port; mount it as
	// host:/export with -o port=<port>,mountport=<port>,nfsvers=3. Empty
	// when the NFS adapter is off.
	// +optional
	NFS string `json:"nfs,omitempty"`
	// SMB is the share's SMB URL (smb://host:port/export: the SMB share
	// name is the share's name without its leading slash), from the SMB
	// Service. Empty when the SMB adapter is off.
	// +optional
	SMB string `json:"smb,omitempty"`
	// Applied is true when the reconciler's last report names the share
	// as applied: it exists on the server as the reconciler last applied
	// it. A share just declared, or one DittoFS refused, is false.
	// +optional
	Applied bool `json:"applied,omitempty"`
}
