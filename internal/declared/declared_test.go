package declared

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func valid() Config {
	return Config{
		APIVersion: APIVersion, Kind: Kind,
		MetadataStores: []MetadataStore{
			{Name: "meta", Type: MetadataBadger, Badger: &BadgerStore{Path: "/data/store/metadata/meta"}},
			{Name: "pg", Type: MetadataPostgres, Postgres: &PostgresStore{Database: "dittofs_meta", SecretDir: "/etc/dittofs-declared/postgres"}},
		},
		BlockStores: []BlockStore{
			{Name: "local", Kind: KindLocal, Type: BlockFS, FS: &FSBlockStore{Path: "/data/store/block/local"}},
			{Name: "s3", Kind: KindRemote, Type: BlockS3, S3: &S3BlockStore{Bucket: "b", CredentialsDir: "/etc/dittofs-declared/s3"}},
		},
		Groups: []Group{{Name: "staff"}},
		Users:  []User{{Username: "alice", PasswordFile: "/etc/dittofs-declared/users/alice", Groups: []string{"staff"}}},
		Shares: []Share{{
			Name: "/export", MetadataStore: "meta", LocalBlockStore: "local", RemoteBlockStore: "s3",
			Cache:       &ShareCache{LocalStoreSize: "20Gi"},
			Permissions: []SharePermission{{User: "alice", Level: PermissionReadWrite}, {Group: "staff", Level: PermissionRead}},
		}},
		SnapshotPolicies: []SnapshotPolicy{{Share: "/export", Interval: "@daily", KeepLast: 7, TTL: "168h"}},
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		change func(*Config)
		want   FieldErrors
	}{
		"valid":                      {},
		"empty declaration is valid": {change: func(c *Config) { *c = Config{APIVersion: APIVersion, Kind: Kind} }},
		"wrong header": {
			change: func(c *Config) { c.APIVersion, c.Kind = "v1", "" },
			want: FieldErrors{
				{"apiVersion", `must be fileservice.dittofs.com/v1alpha1, got "v1"`},
				{"kind", `must be DeclaredFileService, got ""`},
			},
		},
		"every broken reference at once, each with its path": {
			change: func(c *Config) {
				c.Shares = append(c.Shares, Share{Name: "/export", MetadataStore: "nope", LocalBlockStore: "s3", RemoteBlockStore: "local"})
				c.Users[0].Groups = []string{"ghosts"}
				c.Shares[0].Permissions = append(c.Shares[0].Permissions, SharePermission{User: "bob", Level: "write"})
				c.SnapshotPolicies = append(c.SnapshotPolicies, SnapshotPolicy{Share: "/other", Interval: "daily"})
			},
			want: FieldErrors{
				{"users[0].groups[0]", `no group "ghosts" is declared in groups`},
				{"shares[0].permissions[2].user", `no user "bob" is declared in users`},
				{"shares[0].permissions[2].level", `must be one of none, read, read-write, admin, got "write"`},
				{"shares[1].name", `two shares with the path "/export"`},
				{"shares[1].metadataStore", `no metadata store "nope" is declared in metadataStores`},
				{"shares[1].localBlockStore", `no local block store "s3" is declared in blockStores`},
				{"shares[1].remoteBlockStore", `no remote block store "local" is declared in blockStores`},
				{"snapshotPolicies[1].share", `no share "/other" is declared in shares`},
				{"snapshotPolicies[1].interval", `must be a positive Go duration (6h) or @hourly, @daily, @weekly, got "daily"`},
			},
		},
		"secrets are files, and paths are absolute": {
			change: func(c *Config) {
				c.Users[0].PasswordFile = ""
				c.BlockStores[1].S3.CredentialsDir = "creds"
				c.MetadataStores[1].Postgres.SecretDir = ""
				c.MetadataStores[0].Badger.Path = "/data/../etc"
			},
			want: FieldErrors{
				{"metadataStores[0].badger.path", `must be a clean absolute path, got "/data/../etc"`},
				{"metadataStores[1].postgres.secretDir", "required"},
				{"blockStores[1].s3.credentialsDir", `must be a clean absolute path, got "creds"`},
				{"users[0].passwordFile", "required"},
			},
		},
		"type and its block must agree": {
			change: func(c *Config) {
				c.MetadataStores[0].Type = MetadataMemory
				c.BlockStores[0].Type = BlockS3
			},
			want: FieldErrors{
				{"metadataStores[0].badger", "set exactly when type is badger"},
				{"blockStores[0].type", `must be one of fs, memory, got "s3"`},
				{"blockStores[0].fs", "set exactly when type is fs"},
				{"blockStores[0].s3", "set exactly when type is s3"},
			},
		},
		"admin is not declared; share names and sizes": {
			change: func(c *Config) {
				c.Users = append(c.Users, User{Username: "admin", PasswordFile: "/p"})
				c.Shares[0].Name = "export"
				c.Shares[0].Cache.LocalStoreSize = "lots"
				c.Shares[0].Permissions[1] = SharePermission{User: "alice", Group: "staff", Level: PermissionRead}
			},
			want: FieldErrors{
				{"users[1].username", "admin is DittoFS's bootstrap administrator, kept by the admin Secret; declare another user"},
				{"shares[0].name", `must be a slash and a name of letters, digits, '.', '_' or '-' (/export), got "export"`},
				{"shares[0].cache.localStoreSize", `invalid byte size "lots" (use a size such as 512Mi or 20Gi)`},
				{"shares[0].permissions[1]", "set exactly one of user and group"},
				{"snapshotPolicies[0].share", `no share "/export" is declared in shares`},
			},
		},
		"an authorized removal names what is no longer declared": {
			change: func(c *Config) {
				c.AuthorizeRemoval = &Removals{Shares: []string{"/old"}, MetadataStores: []string{"old-meta"}, LocalBlockStores: []string{"s3"}, RemoteBlockStores: []string{"local"}}
			},
		},
		"an authorization for a declared object, or listed twice, is refused": {
			change: func(c *Config) {
				c.AuthorizeRemoval = &Removals{Shares: []string{"/export", "/old", "/old"}, MetadataStores: []string{"pg"}, LocalBlockStores: []string{"local"}, RemoteBlockStores: []string{"s3"}}
			},
			want: FieldErrors{
				{"authorizeRemoval.shares[0]", `share "/export" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the share from the declaration)`},
				{"authorizeRemoval.shares[2]", `"/old" is listed twice`},
				{"authorizeRemoval.metadataStores[0]", `metadata store "pg" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the metadata store from the declaration)`},
				{"authorizeRemoval.localBlockStores[0]", `local block store "local" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the local block store from the declaration)`},
				{"authorizeRemoval.remoteBlockStores[0]", `remote block store "s3" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the remote block store from the declaration)`},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := valid()
			if tc.change != nil {
				tc.change(&c)
			}
			if diff := cmp.Diff(tc.want, c.Validate()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIsStrict(t *testing.T) {
	_, err := Parse([]byte("apiVersion: " + APIVersion + "\nkind: " + Kind + "\nshares:\n- name: /x\n  readonly: true\n"))
	if err == nil {
		t.Fatal("an unknown field (readonly for readOnly) was accepted")
	}
}

func TestByteSizeMatchesDittoFS(t *testing.T) {
	for in, want := range map[string]string{"1Gi": "1.00GiB", "20GiB": "20.00GiB", "512Mi": "512.00MiB", "1048576": "1.00MiB", "100": "100B", "1.5G": "1.40GiB"} {
		n, err := ParseByteSize(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := FormatByteSize(n); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestDocumentedExampleParses keeps docs/fileservice.md's example true: it
// is the first yaml block there, and it must Parse (strictly) and Validate.
func TestDocumentedExampleParses(t *testing.T) {
	doc, err := os.ReadFile("../../docs/fileservice.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/fileservice.md has no yaml block")
	}
	c, err := Parse([]byte(block))
	if err != nil {
		t.Fatalf("the documented example: %v", err)
	}
	if len(c.Shares) == 0 || len(c.Shares[0].Permissions) != 2 || c.Shares[0].NFS == nil || c.Users[0].Username != "alice" {
		t.Errorf("the documented example lost parts: %+v", c)
	}
}
