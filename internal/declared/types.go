// Package declared is the file service a DittoServer declares: the metadata
// stores, block stores, shares, users, groups and snapshot policies the
// in-pod reconciler (cmd/reconciler) applies to DittoFS through its REST API.
//
// The function renders a Config into a ConfigMap (config.yaml), so a Config
// holds no secret values: every password or key is a path to a file that a
// Secret volume projects into the reconciler's container. The JSON names are
// the XR's (camelCase); sigs.k8s.io/yaml reads the same names from YAML.
package declared

// APIVersion and Kind head a rendered config.yaml, so a reconciler can refuse
// a format it does not know instead of misreading it.
const (
	APIVersion = "fileservice.dittofs.com/v1alpha1"
	Kind       = "DeclaredFileService"
)

// Config is the whole declaration. Every list is keyed by name (block stores
// by kind and name, snapshot policies by share); an empty Config declares
// nothing, and the reconciler then leaves DittoFS as it is.
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`

	MetadataStores   []MetadataStore  `json:"metadataStores,omitempty"`
	BlockStores      []BlockStore     `json:"blockStores,omitempty"`
	Shares           []Share          `json:"shares,omitempty"`
	Groups           []Group          `json:"groups,omitempty"`
	Users            []User           `json:"users,omitempty"`
	SnapshotPolicies []SnapshotPolicy `json:"snapshotPolicies,omitempty"`

	// AuthorizeRemoval names the shares and stores the reconciler may
	// delete once they are no longer declared (removals.go).
	AuthorizeRemoval *Removals `json:"authorizeRemoval,omitempty"`
}

// Metadata store types DittoFS v0.29.0 accepts (pkg/controlplane/runtime
// CreateMetadataStoreFromConfig; sqlite is left out: the pod's metadata is
// either on its volume in badger or in PostgreSQL).
const (
	MetadataMemory   = "memory"
	MetadataBadger   = "badger"
	MetadataPostgres = "postgres"
)

// MetadataStore is where a share's file-system metadata lives.
type MetadataStore struct {
	Name string `json:"name"`
	// Type is memory, badger or postgres; exactly the matching block below
	// is set (none for memory).
	Type     string         `json:"type"`
	Badger   *BadgerStore   `json:"badger,omitempty"`
	Postgres *PostgresStore `json:"postgres,omitempty"`
}

// BadgerStore is a badger database in a directory of the metadata volume.
type BadgerStore struct {
	// Path is absolute, in the dfs container (e.g. /data/store/metadata/main).
	Path string `json:"path"`
	// BlockCacheMB and IndexCacheMB size badger's caches (0 or unset: auto).
	BlockCacheMB *int64 `json:"blockCacheMegabytes,omitempty"`
	IndexCacheMB *int64 `json:"indexCacheMegabytes,omitempty"`
	// RelaxedDurability trades the last writes on a crash for speed
	// (DittoFS's default: true).
	RelaxedDurability *bool `json:"relaxedDurability,omitempty"`
}

// PostgresStore is a PostgreSQL database holding the metadata tables.
type PostgresStore struct {
	// Database is the store's own database (never the control plane's).
	Database string `json:"database"`
	// SecretDir is where a Secret shaped like Percona's pguser Secret is
	// mounted in the reconciler: files host, port, user, password. Host and
	// Port below win over the files when set.
	SecretDir string `json:"secretDir"`
	Host      string `json:"host,omitempty"`
	Port      int    `json:"port,omitempty"`
	// SSLMode is libpq's (disable, allow, prefer, require, verify-ca,
	// verify-full). Default require: Percona's PostgreSQL is TLS-only.
	SSLMode string `json:"sslMode,omitempty"`
	// OnCluster: the database is on the DittoServer's own Percona cluster
	// (SecretDir holds the cluster's user Secret), so it is backed up and
	// restored with the control plane's. Its host and port follow the
	// cluster: a change of them is no relocation, and before DittoFS starts
	// the reconciler's pre-start step points DittoFS's record of the store
	// at them (internal/reconciler/prestart.go), which a server restored
	// into a new cluster needs: its record names the source's cluster.
	OnCluster         bool   `json:"onCluster,omitempty"`
	MaxConns          *int32 `json:"maxConns,omitempty"`
	MinConns          *int32 `json:"minConns,omitempty"`
	RelaxedDurability *bool  `json:"relaxedDurability,omitempty"`
}

// Block store kinds and types DittoFS v0.29.0 accepts
// (validateBlockStoreType): local fs|memory, remote s3|memory.
const (
	KindLocal  = "local"
	KindRemote = "remote"

	BlockFS     = "fs"
	BlockMemory = "memory"
	BlockS3     = "s3"
)

// BlockStore holds file content: local (on the content volume, the cache
// tier) or remote (S3, the durable tier behind a local one).
type BlockStore struct {
	Name string `json:"name"`
	// Kind is local or remote.
	Kind string `json:"kind"`
	// Type is fs or memory (local), s3 or memory (remote).
	Type string        `json:"type"`
	FS   *FSBlockStore `json:"fs,omitempty"`
	S3   *S3BlockStore `json:"s3,omitempty"`
}

// FSBlockStore is a directory of the content volume.
type FSBlockStore struct {
	// Path is absolute, in the dfs container (e.g. /data/store/block/main).
	Path string `json:"path"`
}

// S3BlockStore is a bucket on S3 or an S3-compatible server.
type S3BlockStore struct {
	Bucket string `json:"bucket"`
	// Region defaults to DittoFS's us-east-1.
	Region   string `json:"region,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	// Prefix is prepended to every object key.
	Prefix string `json:"prefix,omitempty"`
	// ForcePathStyle: DittoFS defaults to path style when Endpoint is set.
	ForcePathStyle *bool `json:"forcePathStyle,omitempty"`
	// AllowPrivateEndpoint lets Endpoint be a private or loopback address
	// (an in-cluster S3 server); DittoFS refuses those otherwise.
	AllowPrivateEndpoint bool `json:"allowPrivateEndpoint,omitempty"`
	// CredentialsDir is where the credentials Secret is mounted: files
	// AccessKeyIDKey and SecretAccessKeyKey.
	CredentialsDir     string `json:"credentialsDir"`
	AccessKeyIDKey     string `json:"accessKeyIDKey,omitempty"`     // default access_key_id
	SecretAccessKeyKey string `json:"secretAccessKeyKey,omitempty"` // default secret_access_key
	// ParallelUploads bounds concurrent uploads (0: DittoFS's default).
	ParallelUploads *int `json:"parallelUploads,omitempty"`
	// Compression is zstd or lz4 (unset: none).
	Compression string `json:"compression,omitempty"`
	// Durable overrides the store's durability mode.
	Durable *bool `json:"durable,omitempty"`
}

// Share permission levels (models.SharePermission).
const (
	PermissionNone      = "none"
	PermissionRead      = "read"
	PermissionReadWrite = "read-write"
	PermissionAdmin     = "admin"
)

// Share is an export: NFS mounts its Name, SMB its Name without the slash.
type Share struct {
	// Name starts with a slash (/export).
	Name             string `json:"name"`
	MetadataStore    string `json:"metadataStore"`
	LocalBlockStore  string `json:"localBlockStore"`
	RemoteBlockStore string `json:"remoteBlockStore,omitempty"`
	ReadOnly         bool   `json:"readOnly,omitempty"`
	// DefaultPermission applies to a user with no grant of their own and to
	// anonymous NFS clients. Default none: DittoFS's, closed.
	DefaultPermission string `json:"defaultPermission,omitempty"`
	// Owner is the username whose uid/gid own the share's root directory
	// (only at creation: DittoFS does not change it later).
	Owner string `json:"owner,omitempty"`
	// Cache sizes the share's local tier and read buffer.
	Cache *ShareCache `json:"cache,omitempty"`
	// Quota is a byte size (10Gi); unset or 0: none.
	Quota       string            `json:"quota,omitempty"`
	NFS         *ShareNFS         `json:"nfs,omitempty"`
	SMB         *ShareSMB         `json:"smb,omitempty"`
	Permissions []SharePermission `json:"permissions,omitempty"`
}

// ShareCache is the per-share cache DittoFS v0.29.0 supports.
type ShareCache struct {
	// LocalStoreSize bounds the local block tier (byte size, e.g. 20Gi).
	LocalStoreSize string `json:"localStoreSize,omitempty"`
	// ReadBufferSize bounds the read buffer (byte size, e.g. 256Mi).
	ReadBufferSize string `json:"readBufferSize,omitempty"`
}

// NFS squash modes (models.SquashMode).
const (
	SquashNone        = "none"
	SquashRootToAdmin = "root_to_admin"
	SquashRootToGuest = "root_to_guest"
	SquashAllToAdmin  = "all_to_admin"
	SquashAllToGuest  = "all_to_guest"
)

// ShareNFS is the share's NFS adapter config; unset fields keep DittoFS's.
type ShareNFS struct {
	Squash             string  `json:"squash,omitempty"`
	AnonymousUID       *uint32 `json:"anonymousUID,omitempty"`
	AnonymousGID       *uint32 `json:"anonymousGID,omitempty"` //nolint:tagliatelle // the initialism as in anonymousUID
	AllowAuthSys       *bool   `json:"allowAuthSys,omitempty"`
	RequireKerberos    *bool   `json:"requireKerberos,omitempty"`
	MinKerberosLevel   string  `json:"minKerberosLevel,omitempty"`
	DisableReaddirplus *bool   `json:"disableReaddirplus,omitempty"`
}

// ShareSMB holds the share's SMB options; unset fields keep DittoFS's.
// DittoFS applies them when its SMB adapter restarts.
type ShareSMB struct {
	EncryptData            *bool `json:"encryptData,omitempty"`
	AccessBasedEnumeration *bool `json:"accessBasedEnumeration,omitempty"`
	StreamsDisabled        *bool `json:"streamsDisabled,omitempty"`
	ChangeNotifyDisabled   *bool `json:"changeNotifyDisabled,omitempty"`
}

// SharePermission grants one user or one group (exactly one is set) a level
// on the share.
type SharePermission struct {
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	Level string `json:"level"`
}

// Group is a DittoFS group.
type Group struct {
	Name        string  `json:"name"`
	GID         *uint32 `json:"gid,omitempty"`
	Description string  `json:"description,omitempty"`
}

// User roles (models.UserRole).
const (
	RoleUser     = "user"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// User is a DittoFS user: NFS maps its uid/gid, SMB logs in with its password.
type User struct {
	Username string `json:"username"`
	// PasswordFile is where the user's password Secret key is mounted.
	PasswordFile string  `json:"passwordFile"`
	UID          *uint32 `json:"uid,omitempty"`
	GID          *uint32 `json:"gid,omitempty"`
	// Groups is the user's whole membership.
	Groups      []string `json:"groups,omitempty"`
	Role        string   `json:"role,omitempty"` // default user
	DisplayName string   `json:"displayName,omitempty"`
	Email       string   `json:"email,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
}

// SnapshotPolicy takes snapshots of one share on a schedule (the DittoFS
// operator's snapshotPolicies, by the same names).
type SnapshotPolicy struct {
	Share string `json:"share"`
	// Interval is a Go duration (6h) or @hourly, @daily, @weekly.
	Interval string `json:"interval"`
	// KeepLast keeps the newest N (0: no count bound).
	KeepLast int `json:"keepLast,omitempty"`
	// TTL drops snapshots older than a Go duration (unset: no age bound).
	TTL string `json:"ttl,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// NamePrefix names the snapshots it takes.
	NamePrefix string `json:"namePrefix,omitempty"`
}
