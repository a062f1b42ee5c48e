// Package reconciler applies a declared file service (internal/declared) to
// a DittoFS server through its own Go client (pkg/apiclient), from inside
// the DittoFS pod. A pass gathers what DittoFS has (Observed) and what this
// reconciler owns (Ledger), plans the difference (Plan, a pure function) and
// executes it, recording ownership in DittoFS itself before it creates.
package reconciler

import (
	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// Observed is what DittoFS has, keyed by name (block stores by kind/name,
// snapshot policies by share).
type Observed struct {
	MetadataStores map[string]apiclient.MetadataStore
	BlockStores    map[string]apiclient.BlockStore
	Shares         map[string]ObservedShare
	Users          map[string]apiclient.User
	Groups         map[string]apiclient.Group
	Policies       map[string]apiclient.SnapshotPolicy
	// PasswordStale names the declared users whose password file no longer
	// logs them in (or that were never checked against it).
	PasswordStale map[string]bool
}

// ObservedShare is a share with its NFS config and permissions.
type ObservedShare struct {
	apiclient.Share

	NFS         *apiclient.ShareNFSConfig
	Permissions []apiclient.SharePermission
}

// Desired is the declaration with the values of the files it references,
// read by the reconciler. It lives in memory only: nothing of it is logged.
type Desired struct {
	declared.Config

	// UserPasswords by username.
	UserPasswords map[string]string
	// S3 credentials by block store name.
	S3 map[string]S3Credentials
	// Postgres connections by metadata store name.
	Postgres map[string]PostgresConnection
}

// S3Credentials are a remote block store's keys.
type S3Credentials struct{ AccessKeyID, SecretAccessKey string }

// PostgresConnection is where a postgres metadata store connects.
type PostgresConnection struct {
	Host     string
	Port     int
	User     string
	Password string
}

func blockKey(kind, name string) string { return kind + "/" + name }
