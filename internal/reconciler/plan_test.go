package reconciler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// fixed salt, so fingerprints are known to the table.
const salt = "00112233445566778899aabbccddeeff"

func fp(secret string) string { return (&Ledger{Salt: salt}).Fingerprint(secret) }

func emptyObserved() *Observed {
	return &Observed{
		MetadataStores: map[string]apiclient.MetadataStore{}, BlockStores: map[string]apiclient.BlockStore{},
		Shares: map[string]ObservedShare{}, Users: map[string]apiclient.User{}, Groups: map[string]apiclient.Group{},
		Policies: map[string]apiclient.SnapshotPolicy{}, PasswordStale: map[string]bool{},
	}
}

// declaration is one of each: badger and s3 stores, a local fs store, a
// share with NFS options and two grants, a user in a group, a policy.
func declaration() *Desired {
	return &Desired{
		Config: declared.Config{
			MetadataStores: []declared.MetadataStore{{Name: "meta", Type: declared.MetadataBadger, Badger: &declared.BadgerStore{Path: "/data/store/metadata/meta"}}},
			BlockStores: []declared.BlockStore{
				{Name: "local", Kind: declared.KindLocal, Type: declared.BlockFS, FS: &declared.FSBlockStore{Path: "/data/store/block/local"}},
				{Name: "s3", Kind: declared.KindRemote, Type: declared.BlockS3, S3: &declared.S3BlockStore{Bucket: "b", Endpoint: "http://s3:8333", CredentialsDir: "/creds"}},
			},
			Groups: []declared.Group{{Name: "staff", GID: ptr[uint32](2000)}},
			Users:  []declared.User{{Username: "alice", PasswordFile: "/s/alice", UID: ptr[uint32](1000), Groups: []string{"staff"}}},
			Shares: []declared.Share{{
				Name: "/export", MetadataStore: "meta", LocalBlockStore: "local", RemoteBlockStore: "s3",
				Cache: &declared.ShareCache{LocalStoreSize: "1Gi"},
				NFS:   &declared.ShareNFS{Squash: declared.SquashRootToGuest},
				Permissions: []declared.SharePermission{
					{User: "alice", Level: declared.PermissionReadWrite},
					{Group: "staff", Level: declared.PermissionRead},
				},
			}},
			SnapshotPolicies: []declared.SnapshotPolicy{{Share: "/export", Interval: "1h", KeepLast: 3}},
		},
		UserPasswords: map[string]string{"alice": "pw"},
		S3:            map[string]S3Credentials{"s3": {AccessKeyID: "AK", SecretAccessKey: "SK"}},
	}
}

// inStep is what DittoFS has once declaration() was applied: configs as
// DittoFS returns them (secrets redacted), IDs for store references,
// sizes and durations in DittoFS's own format.
func inStep() *Observed {
	o := emptyObserved()
	o.MetadataStores["meta"] = apiclient.MetadataStore{ID: "m-1", Name: "meta", Type: "badger", Config: json.RawMessage(`{"path":"/data/store/metadata/meta"}`)}
	o.BlockStores["local/local"] = apiclient.BlockStore{ID: "l-1", Name: "local", Kind: "local", Type: "fs", Config: json.RawMessage(`{"path":"/data/store/block/local"}`)}
	o.BlockStores["remote/s3"] = apiclient.BlockStore{
		ID: "r-1", Name: "s3", Kind: "remote", Type: "s3",
		Config: json.RawMessage(`{"access_key_id":"AK","bucket":"b","endpoint":"http://s3:8333","secret_access_key":"********"}`),
	}
	o.Groups["staff"] = apiclient.Group{Name: "staff", GID: ptr[uint32](2000)}
	o.Users["alice"] = apiclient.User{Username: "alice", Role: "user", UID: ptr[uint32](1000), Groups: []string{"staff"}, Enabled: true}
	o.Shares["/export"] = ObservedShare{
		Share: apiclient.Share{Name: "/export", MetadataStoreID: "m-1", LocalBlockStoreID: "l-1", RemoteBlockStoreID: ptr("r-1"), DefaultPermission: "none", LocalStoreSize: "1.00GiB"},
		NFS:   &apiclient.ShareNFSConfig{Squash: "root_to_guest"},
		Permissions: []apiclient.SharePermission{
			{Type: "user", Name: "alice", Level: "read-write"},
			{Type: "group", Name: "staff", Level: "read"},
		},
	}
	o.Policies["/export"] = apiclient.SnapshotPolicy{Share: "/export", Enabled: true, Interval: "1h0m0s", KeepLast: 3}
	return o
}

// onClusterStore makes the declaration's metadata store a postgres one,
// on the server's own cluster or not, reached at restored-primary:5433.
func onClusterStore(d *Desired, onCluster bool) {
	d.MetadataStores[0] = declared.MetadataStore{Name: "meta", Type: declared.MetadataPostgres, Postgres: &declared.PostgresStore{Database: "files_meta", SecretDir: "/s/pg", OnCluster: onCluster}}
	d.Postgres = map[string]PostgresConnection{"meta": {Host: "restored-primary", Port: 5433, User: "dittofs", Password: "pw"}}
}

// restoredPostgresStore is DittoFS's record of that store as a restore
// brings it back: at the source's cluster.
func restoredPostgresStore(o *Observed) {
	o.MetadataStores["meta"] = apiclient.MetadataStore{ID: "m-1", Name: "meta", Type: "postgres", Config: json.RawMessage(`{"database":"files_meta","host":"source-primary","port":5432,"user":"dittofs","password":"********","sslmode":"require"}`)}
}

func ownedAll() *Ledger {
	return &Ledger{
		Salt: salt, MetadataStores: []string{"meta"}, BlockStores: []string{"local/local", "remote/s3"}, Shares: []string{"/export"},
		Groups: []string{"staff"}, Users: []string{"alice"}, SnapshotPolicies: []string{"/export"},
		Permissions:  []string{"/export|group|staff", "/export|user|alice"},
		Fingerprints: map[string]string{"block store/remote/s3": fp("SK")},
	}
}

func TestPlan(t *testing.T) {
	cases := map[string]struct {
		desired     func(*Desired)
		observed    func(*Observed)
		ledger      func(*Ledger)
		fresh       bool // nothing observed, nothing owned
		want        []Action
		wantRefused []Problem
	}{
		"nothing declared, nothing owned: nothing to do, hand-made objects untouched": {
			desired: func(d *Desired) { d.Config = declared.Config{} },
			ledger:  func(l *Ledger) { *l = Ledger{Salt: salt} },
		},
		"in step: no writes": {},
		"fresh: everything created, what a share needs first": {
			fresh: true,
			want: []Action{
				{Op: OpCreate, Kind: KindGroup, Name: "staff", Request: &apiclient.CreateGroupRequest{Name: "staff", GID: ptr[uint32](2000)}},
				{Op: OpCreate, Kind: KindUser, Name: "alice", Request: &apiclient.CreateUserRequest{Username: "alice", Password: "pw", UID: ptr[uint32](1000), Groups: []string{"staff"}, Role: "user", Enabled: ptr(true)}},
				{Op: OpCreate, Kind: KindMetadataStore, Name: "meta", Request: &apiclient.CreateStoreRequest{Name: "meta", Type: "badger", Config: map[string]any{"path": "/data/store/metadata/meta"}}},
				{Op: OpCreate, Kind: KindBlockStore, Name: "local/local", Request: BlockStoreRequest{Kind: "local", Create: &apiclient.CreateStoreRequest{Name: "local", Type: "fs", Config: map[string]any{"path": "/data/store/block/local"}}}},
				{Op: OpCreate, Kind: KindBlockStore, Name: "remote/s3", Fingerprint: fp("SK"), Request: BlockStoreRequest{Kind: "remote", Create: &apiclient.CreateStoreRequest{
					Name: "s3", Type: "s3",
					Config: map[string]any{"bucket": "b", "endpoint": "http://s3:8333", "access_key_id": "AK", "secret_access_key": "SK"},
				}}},
				{Op: OpCreate, Kind: KindShare, Name: "/export", Request: &apiclient.CreateShareRequest{Name: "/export", MetadataStoreID: "meta", LocalBlockStore: "local", RemoteBlockStore: ptr("s3"), DefaultPermission: "none", LocalStoreSize: "1Gi"}},
				{Op: OpUpdate, Kind: KindShareNFS, Name: "/export", Changes: []string{"nfs.squash"}, Request: &apiclient.PatchShareNFSConfigRequest{Squash: ptr("root_to_guest")}},
				{Op: OpCreate, Kind: KindPermission, Name: "/export|user|alice", Request: PermissionRequest{"/export", "user", "alice", "read-write"}},
				{Op: OpCreate, Kind: KindPermission, Name: "/export|group|staff", Request: PermissionRequest{"/export", "group", "staff", "read"}},
				{Op: OpCreate, Kind: KindSnapshotPolicy, Name: "/export", Request: apiclient.UpsertSnapshotPolicyRequest{Interval: "1h", KeepLast: 3, Enabled: ptr(true)}},
			},
		},
		"share options differ: one update naming the fields": {
			desired: func(d *Desired) {
				s := &d.Shares[0]
				s.ReadOnly, s.DefaultPermission, s.Quota = true, declared.PermissionRead, "10Gi"
				s.SMB = &declared.ShareSMB{EncryptData: ptr(true)}
			},
			want: []Action{{
				Op: OpUpdate, Kind: KindShare, Name: "/export", Changes: []string{"readOnly", "defaultPermission", "quota", "smb.encryptData"},
				Note:    "DittoFS applies cache and SMB options when its adapters restart",
				Request: &apiclient.UpdateShareRequest{ReadOnly: ptr(true), DefaultPermission: ptr("read"), QuotaBytes: ptr("10Gi"), EncryptData: ptr(true)},
			}},
		},
		"a share moved to other stores is refused, nothing written for it": {
			desired: func(d *Desired) {
				d.MetadataStores = append(d.MetadataStores, declared.MetadataStore{Name: "other", Type: declared.MetadataMemory})
				d.Shares[0].MetadataStore, d.Shares[0].RemoteBlockStore, d.Shares[0].ReadOnly = "other", "", true
			},
			observed: func(o *Observed) {
				o.MetadataStores["other"] = apiclient.MetadataStore{ID: "m-2", Name: "other", Type: "memory"}
			},
			wantRefused: []Problem{
				{KindShare, "/export", `metadataStore is "meta" in DittoFS, declared "other": a share's stores hold its files and are not changed in place; declare a new share (another name) on the new stores`},
				{KindShare, "/export", `remoteBlockStore is "s3" in DittoFS, declared "": a share's stores hold its files and are not changed in place; declare a new share (another name) on the new stores`},
			},
		},
		"grants: a level changes, one is added, an owned one dropped, a hand-made one kept": {
			desired: func(d *Desired) {
				d.Users = append(d.Users, declared.User{Username: "bob", PasswordFile: "/s/bob"})
				d.Shares[0].Permissions = []declared.SharePermission{{User: "alice", Level: declared.PermissionRead}, {User: "bob", Level: declared.PermissionRead}}
				d.UserPasswords["bob"] = "pw2"
			},
			observed: func(o *Observed) {
				o.Users["bob"] = apiclient.User{Username: "bob", Role: "user", Enabled: true}
				s := o.Shares["/export"]
				s.Permissions = append(s.Permissions, apiclient.SharePermission{Type: "user", Name: "carol", Level: "admin"})
				o.Shares["/export"] = s
			},
			want: []Action{
				{Op: OpUpdate, Kind: KindPermission, Name: "/export|user|alice", Changes: []string{"level"}, Request: PermissionRequest{"/export", "user", "alice", "read"}},
				{Op: OpCreate, Kind: KindPermission, Name: "/export|user|bob", Request: PermissionRequest{"/export", "user", "bob", "read"}},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|group|staff"},
			},
		},
		"removed from the declaration: owned objects deleted dependants first, hand-made ones kept, gone ones pruned": {
			desired: func(d *Desired) {
				d.Config = declared.Config{AuthorizeRemoval: &declared.Removals{
					Shares: []string{"/export"}, MetadataStores: []string{"meta"}, LocalBlockStores: []string{"local"}, RemoteBlockStores: []string{"s3"},
				}}
			},
			observed: func(o *Observed) {
				o.Shares["/handmade"] = ObservedShare{Share: apiclient.Share{Name: "/handmade"}}
				o.Users["dave"] = apiclient.User{Username: "dave"}
				delete(o.Groups, "staff") // deleted by hand meanwhile
			},
			want: []Action{
				{Op: OpDelete, Kind: KindSnapshotPolicy, Name: "/export"},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|group|staff", Note: Gone},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|user|alice", Note: Gone},
				{Op: OpDelete, Kind: KindShare, Name: "/export"},
				{Op: OpDelete, Kind: KindBlockStore, Name: "local/local"},
				{Op: OpDelete, Kind: KindBlockStore, Name: "remote/s3"},
				{Op: OpDelete, Kind: KindMetadataStore, Name: "meta"},
				{Op: OpDelete, Kind: KindUser, Name: "alice"},
				{Op: OpDelete, Kind: KindGroup, Name: "staff", Note: Gone},
			},
		},
		"removed without an authorization: the share and the stores are kept as they are, with the share's grants and policy, and reported; users and groups go": {
			desired: func(d *Desired) { d.Config = declared.Config{} },
			want: []Action{
				{Op: OpDelete, Kind: KindUser, Name: "alice"},
				{Op: OpDelete, Kind: KindGroup, Name: "staff"},
			},
			wantRefused: []Problem{
				{KindShare, "/export", fmt.Sprintf(notAuthorized, "shares")},
				{KindBlockStore, "local/local", fmt.Sprintf(notAuthorized, "localBlockStores")},
				{KindBlockStore, "remote/s3", fmt.Sprintf(notAuthorized, "remoteBlockStores")},
				{KindMetadataStore, "meta", fmt.Sprintf(notAuthorized, "metadataStores")},
			},
		},
		"an authorization names one of them: only that one is deleted; an authorization of another kind's name authorizes nothing": {
			desired: func(d *Desired) {
				d.Config = declared.Config{AuthorizeRemoval: &declared.Removals{Shares: []string{"/export"}, RemoteBlockStores: []string{"local"}}}
			},
			want: []Action{
				{Op: OpDelete, Kind: KindSnapshotPolicy, Name: "/export"},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|group|staff", Note: Gone}, // the share takes them
				{Op: OpDelete, Kind: KindPermission, Name: "/export|user|alice", Note: Gone},
				{Op: OpDelete, Kind: KindShare, Name: "/export"},
				{Op: OpDelete, Kind: KindUser, Name: "alice"},
				{Op: OpDelete, Kind: KindGroup, Name: "staff"},
			},
			wantRefused: []Problem{
				{KindBlockStore, "local/local", fmt.Sprintf(notAuthorized, "localBlockStores")},
				{KindBlockStore, "remote/s3", fmt.Sprintf(notAuthorized, "remoteBlockStores")},
				{KindMetadataStore, "meta", fmt.Sprintf(notAuthorized, "metadataStores")},
			},
		},
		"owned objects deleted by hand are pruned from the ledger without an authorization": {
			desired:  func(d *Desired) { d.Config = declared.Config{} },
			observed: func(o *Observed) { *o = *emptyObserved() },
			want: []Action{
				{Op: OpDelete, Kind: KindSnapshotPolicy, Name: "/export", Note: Gone},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|group|staff", Note: Gone},
				{Op: OpDelete, Kind: KindPermission, Name: "/export|user|alice", Note: Gone},
				{Op: OpDelete, Kind: KindShare, Name: "/export", Note: Gone},
				{Op: OpDelete, Kind: KindBlockStore, Name: "local/local", Note: Gone},
				{Op: OpDelete, Kind: KindBlockStore, Name: "remote/s3", Note: Gone},
				{Op: OpDelete, Kind: KindMetadataStore, Name: "meta", Note: Gone},
				{Op: OpDelete, Kind: KindUser, Name: "alice", Note: Gone},
				{Op: OpDelete, Kind: KindGroup, Name: "staff", Note: Gone},
			},
		},
		"a declared object that exists by hand is updated, never owned or deleted": {
			ledger: func(l *Ledger) { l.Groups = nil },
			desired: func(d *Desired) {
				d.Groups[0].Description = "declared"
			},
			want: []Action{{Op: OpUpdate, Kind: KindGroup, Name: "staff", Changes: []string{"description"}, Request: &apiclient.UpdateGroupRequest{Description: ptr("declared")}}},
		},
		"rotated S3 credentials: the store is rewritten with them": {
			desired: func(d *Desired) { d.S3["s3"] = S3Credentials{AccessKeyID: "AK", SecretAccessKey: "SK2"} },
			want: []Action{{
				Op: OpUpdate, Kind: KindBlockStore, Name: "remote/s3", Changes: []string{"credentials"}, Fingerprint: fp("SK2"), Note: restartNote,
				Request: BlockStoreRequest{Kind: "remote", Update: &apiclient.UpdateStoreRequest{Config: map[string]any{"bucket": "b", "endpoint": "http://s3:8333", "access_key_id": "AK", "secret_access_key": "SK2"}}},
			}},
		},
		"a store's public config differs: rewritten, noting DittoFS reads it at start": {
			desired: func(d *Desired) { d.MetadataStores[0].Badger.BlockCacheMB = ptr[int64](64) },
			want: []Action{{
				Op: OpUpdate, Kind: KindMetadataStore, Name: "meta", Changes: []string{"block_cache_mb"}, Note: restartNote,
				Request: &apiclient.UpdateStoreRequest{Config: map[string]any{"path": "/data/store/metadata/meta", "block_cache_mb": int64(64)}},
			}},
		},
		"a postgres store on the server's own cluster, restored into a new cluster: host and port follow it": {
			desired:  func(d *Desired) { onClusterStore(d, true) },
			observed: restoredPostgresStore,
			ledger:   func(l *Ledger) { l.Fingerprints["metadata store/meta"] = fp("pw") },
			want: []Action{{
				Op: OpUpdate, Kind: KindMetadataStore, Name: "meta", Changes: []string{"host", "port"}, Note: restartNote, Fingerprint: fp("pw"),
				Request: &apiclient.UpdateStoreRequest{Config: map[string]any{"database": "files_meta", "host": "restored-primary", "port": 5433, "user": "dittofs", "password": "pw", "sslmode": "require"}},
			}},
		},
		"a postgres store elsewhere, its host changed: a relocation, refused": {
			desired:  func(d *Desired) { onClusterStore(d, false) },
			observed: restoredPostgresStore,
			ledger:   func(l *Ledger) { l.Fingerprints["metadata store/meta"] = fp("pw") },
			wantRefused: []Problem{
				{KindMetadataStore, "meta", "host, port differs from DittoFS's, and share /export keeps its files there: DittoFS would open the store at the new place from its next start and serve the share without them. Keep the store where it is; to move the files, declare a new store and a new share on it and copy them"},
			},
		},
		"a store a share uses moved to another place: refused, nothing written for it": {
			desired: func(d *Desired) {
				d.MetadataStores[0].Badger.Path = "/data/store/metadata/elsewhere"
				d.BlockStores[1].S3.Bucket, d.BlockStores[1].S3.Endpoint = "other", "http://other:8333"
			},
			wantRefused: []Problem{
				{KindMetadataStore, "meta", "path differs from DittoFS's, and share /export keeps its files there: DittoFS would open the store at the new place from its next start and serve the share without them. Keep the store where it is; to move the files, declare a new store and a new share on it and copy them"},
				{KindBlockStore, "remote/s3", "bucket, endpoint differs from DittoFS's, and share /export keeps its files there: DittoFS would open the store at the new place from its next start and serve the share without them. Keep the store where it is; to move the files, declare a new store and a new share on it and copy them"},
			},
		},
		"a store no share uses may move": {
			desired: func(d *Desired) {
				d.MetadataStores[0].Badger.Path = "/data/store/metadata/elsewhere"
				d.Shares, d.SnapshotPolicies = nil, nil
			},
			observed: func(o *Observed) { delete(o.Shares, "/export"); delete(o.Policies, "/export") },
			ledger:   func(l *Ledger) { l.Shares, l.Permissions, l.SnapshotPolicies = nil, nil, nil },
			want: []Action{{
				Op: OpUpdate, Kind: KindMetadataStore, Name: "meta", Changes: []string{"path"}, Note: restartNote,
				Request: &apiclient.UpdateStoreRequest{Config: map[string]any{"path": "/data/store/metadata/elsewhere"}},
			}},
		},
		"a store's type changes: refused": {
			desired: func(d *Desired) {
				d.MetadataStores[0] = declared.MetadataStore{Name: "meta", Type: declared.MetadataMemory}
			},
			wantRefused: []Problem{{KindMetadataStore, "meta", "is a badger store in DittoFS, declared memory: the type of a store that holds metadata is not changed in place; declare a new store under another name"}},
		},
		"user: groups and uid differ, password stale": {
			desired:  func(d *Desired) { d.Users[0].UID, d.Users[0].Groups = ptr[uint32](1100), nil },
			observed: func(o *Observed) { o.PasswordStale["alice"] = true },
			want: []Action{
				{Op: OpUpdate, Kind: KindUser, Name: "alice", Changes: []string{"uid", "groups"}, Request: &apiclient.UpdateUserRequest{UID: ptr[uint32](1100), Groups: &[]string{}}},
				{Op: OpUpdate, Kind: KindUserPassword, Name: "alice", Changes: []string{"passwordFile"}, Request: PasswordRequest{"pw"}},
			},
		},
		"snapshot policy: an @-interval equal to DittoFS's duration is in step; keepLast and enabled differ": {
			desired: func(d *Desired) {
				d.SnapshotPolicies[0] = declared.SnapshotPolicy{Share: "/export", Interval: "@daily", KeepLast: 7, Enabled: ptr(false)}
			},
			observed: func(o *Observed) {
				o.Policies["/export"] = apiclient.SnapshotPolicy{Share: "/export", Enabled: true, Interval: "24h0m0s", KeepLast: 3}
			},
			want: []Action{{
				Op: OpUpdate, Kind: KindSnapshotPolicy, Name: "/export", Changes: []string{"keepLast", "enabled"},
				Request: apiclient.UpsertSnapshotPolicyRequest{Interval: "@daily", KeepLast: 7, Enabled: ptr(false)},
			}},
		},
		"NFS options: only the declared ones that differ are patched": {
			desired: func(d *Desired) {
				d.Shares[0].NFS = &declared.ShareNFS{Squash: declared.SquashRootToGuest, AnonymousUID: ptr[uint32](65534), AllowAuthSys: ptr(true)}
			},
			observed: func(o *Observed) {
				s := o.Shares["/export"]
				s.NFS = &apiclient.ShareNFSConfig{Squash: "root_to_guest", AllowAuthSys: true}
				o.Shares["/export"] = s
			},
			want: []Action{{Op: OpUpdate, Kind: KindShareNFS, Name: "/export", Changes: []string{"nfs.anonymousUID"}, Request: &apiclient.PatchShareNFSConfigRequest{AnonymousUID: ptr[uint32](65534)}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, o, l := declaration(), inStep(), ownedAll()
			if tc.fresh {
				o, l = emptyObserved(), &Ledger{Salt: salt}
			}
			if tc.desired != nil {
				tc.desired(d)
			}
			if tc.observed != nil {
				tc.observed(o)
			}
			if tc.ledger != nil {
				tc.ledger(l)
			}
			got, refused := Plan(d, o, l)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRefused, refused); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanIsDeterministic: the same inputs plan the same writes.
func TestPlanIsDeterministic(t *testing.T) {
	first, _ := Plan(declaration(), emptyObserved(), &Ledger{Salt: salt})
	for range 20 {
		again, _ := Plan(declaration(), emptyObserved(), &Ledger{Salt: salt})
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("plans differ (-first +again):\n%s", diff)
		}
	}
}

// TestActionStringHasNoSecret: what is logged of an action never holds the
// secret its request carries.
func TestActionStringHasNoSecret(t *testing.T) {
	d := declaration()
	d.UserPasswords["alice"] = "user-secret-value"
	d.S3["s3"] = S3Credentials{AccessKeyID: "AK", SecretAccessKey: "s3-secret-value"}
	actions, _ := Plan(d, emptyObserved(), &Ledger{Salt: salt})
	for _, a := range actions {
		for _, secret := range []string{"user-secret-value", "s3-secret-value"} {
			if s := a.String(); strings.Contains(s, secret) {
				t.Errorf("%q holds a secret", s)
			}
		}
	}
}
