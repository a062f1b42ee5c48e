package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// fileService declares one of each part, with Secrets by reference.
func fileService() *v1alpha1.FileServiceSpec {
	return &v1alpha1.FileServiceSpec{
		MetadataStores: []v1alpha1.FileMetadataStore{
			{Name: "main", Type: "badger"},
			{Name: "pg", Type: "postgres"},
		},
		BlockStores: []v1alpha1.FileBlockStore{
			{Name: "main", Kind: "local", Type: "fs"},
			{Name: "s3", Kind: "remote", Type: "s3", S3: &v1alpha1.FileS3BlockStore{Bucket: "files", Endpoint: "https://s3:8333", CredentialsSecretName: "files-s3"}},
		},
		Groups: []v1alpha1.FileGroup{{Name: "staff", GID: ptr.To[uint32](2000)}},
		Users:  []v1alpha1.FileUser{{Username: "alice", PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "alice", Key: "password"}, UID: ptr.To[uint32](1000), Groups: []string{"staff"}}},
		Shares: []v1alpha1.FileShare{{
			Name: "/export", MetadataStore: "pg", LocalBlockStore: "main", RemoteBlockStore: "s3",
			NFS:         &v1alpha1.FileShareNFS{Squash: "root_to_guest"},
			Permissions: []v1alpha1.FileSharePermission{{User: "alice", Level: "read-write"}, {Group: "staff", Level: "read"}},
		}},
		SnapshotPolicies: []v1alpha1.FileSnapshotPolicy{{Share: "/export", Interval: "@daily", KeepLast: 7}},
	}
}

func withFileService(s v1alpha1.DittoServerSpec, f *v1alpha1.FileServiceSpec) spec.DittoServer {
	s.FileService = f
	return fixture.DittoServer(s)
}

func TestDeclared(t *testing.T) {
	ds := withFileService(fixture.PerconaSpec(nil), fileService())
	want := &declared.Config{
		APIVersion: declared.APIVersion, Kind: declared.Kind,
		MetadataStores: []declared.MetadataStore{
			{Name: "main", Type: "badger", Badger: &declared.BadgerStore{Path: "/data/store/metadata/main"}},
			{Name: "pg", Type: "postgres", Postgres: &declared.PostgresStore{Database: "dittofs_meta", SecretDir: "/etc/dittofs-declared-secrets/files-postgres-pguser-dittofs", OnCluster: true}},
		},
		BlockStores: []declared.BlockStore{
			{Name: "main", Kind: "local", Type: "fs", FS: &declared.FSBlockStore{Path: "/data/store/block/main"}},
			{Name: "s3", Kind: "remote", Type: "s3", S3: &declared.S3BlockStore{Bucket: "files", Endpoint: "https://s3:8333", CredentialsDir: "/etc/dittofs-declared-secrets/files-s3"}},
		},
		Groups: []declared.Group{{Name: "staff", GID: ptr.To[uint32](2000)}},
		Users:  []declared.User{{Username: "alice", PasswordFile: "/etc/dittofs-declared-secrets/alice/password", UID: ptr.To[uint32](1000), Groups: []string{"staff"}}},
		Shares: []declared.Share{{
			Name: "/export", MetadataStore: "pg", LocalBlockStore: "main", RemoteBlockStore: "s3",
			NFS:         &declared.ShareNFS{Squash: "root_to_guest"},
			Permissions: []declared.SharePermission{{User: "alice", Level: "read-write"}, {Group: "staff", Level: "read"}},
		}},
		SnapshotPolicies: []declared.SnapshotPolicy{{Share: "/export", Interval: "@daily", KeepLast: 7}},
	}
	if diff := cmp.Diff(want, ds.Declared()); diff != "" {
		t.Errorf("Declared() (-want +got):\n%s", diff)
	}
	if errs := want.Validate(); len(errs) > 0 {
		t.Errorf("the rendered declaration does not validate: %v", errs)
	}
	if diff := cmp.Diff([]string{"alice", "files-postgres-pguser-dittofs", "files-s3"}, ds.FileServiceSecrets()); diff != "" {
		t.Errorf("FileServiceSecrets() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dittofs_meta"}, ds.FileServiceDatabases()); diff != "" {
		t.Errorf("FileServiceDatabases() (-want +got):\n%s", diff)
	}
}

func TestDeclaredNothing(t *testing.T) {
	for name, f := range map[string]*v1alpha1.FileServiceSpec{"no fileService": nil, "empty fileService": {}, "an empty authorizeRemoval": {AuthorizeRemoval: &v1alpha1.FileServiceRemovals{}}} {
		ds := withFileService(fixture.MinimalSpec(), f)
		if c := ds.Declared(); c != nil {
			t.Errorf("%s: Declared() = %+v, want nil (a DittoServer that declares nothing gets no reconciler)", name, c)
		}
		if errs := spec.Validate(ds, fixture.Input()); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestValidateFileService(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		change func(*v1alpha1.FileServiceSpec)
		want   field.ErrorList
	}{
		"valid on Percona": {reason: "The declaration with one of each part, on Percona, is the documented example: it must pass.", spec: fixture.PerconaSpec(nil)},
		"every bad reference at once, each at its XR path": {
			reason: "A share on a store nobody declared, a user without a password, a share path twice, an S3 store without credentials: each is named at the XR path the user edits, all at once, so one fix round is enough.",
			spec:   fixture.PerconaSpec(nil),
			change: func(f *v1alpha1.FileServiceSpec) {
				f.Shares = append(f.Shares, v1alpha1.FileShare{Name: "/export", MetadataStore: "gone", LocalBlockStore: "main"})
				f.Users = append(f.Users, v1alpha1.FileUser{Username: "bob"})
				f.BlockStores[1].S3.CredentialsSecretName = ""
			},
			want: field.ErrorList{
				field.Required(field.NewPath("spec", "fileService", "users").Index(1).Child("passwordSecretRef"), "a declared user needs the Secret key holding their password"),
				field.Required(field.NewPath("spec", "fileService", "blockStores").Index(1).Child("s3", "credentialsSecretName"), ""),
				{Type: field.ErrorTypeInvalid, Field: "spec.fileService.shares[1].name", BadValue: field.OmitValueType{}, Detail: `two shares with the path "/export"`},
				{Type: field.ErrorTypeInvalid, Field: "spec.fileService.shares[1].metadataStore", BadValue: field.OmitValueType{}, Detail: `no metadata store "gone" is declared in metadataStores`},
			},
		},
		"a postgres store without Percona or a Secret": {
			reason: "Without Percona there is no composed database to put a postgres store on: the store needs its own Secret, and the error names both ways out.",
			spec:   fixture.MinimalSpec(),
			want: field.ErrorList{
				field.Required(field.NewPath("spec", "fileService", "metadataStores").Index(1).Child("postgres", "secretName"), "without spec.percona.enabled a postgres metadata store needs the Secret (keys host, port, user, password) of its PostgreSQL; or enable spec.percona to put it on the composed cluster"),
			},
		},
		"an authorized removal of a declared share or store, at its XR path": {
			spec: fixture.PerconaSpec(nil),
			change: func(f *v1alpha1.FileServiceSpec) {
				f.AuthorizeRemoval = &v1alpha1.FileServiceRemovals{Shares: []string{"/gone", "/export"}, RemoteBlockStores: []string{"s3"}}
			},
			want: field.ErrorList{
				{Type: field.ErrorTypeInvalid, Field: "spec.fileService.authorizeRemoval.shares[1]", BadValue: field.OmitValueType{}, Detail: `share "/export" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the share from the declaration)`},
				{Type: field.ErrorTypeInvalid, Field: "spec.fileService.authorizeRemoval.remoteBlockStores[0]", BadValue: field.OmitValueType{}, Detail: `remote block store "s3" is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the remote block store from the declaration)`},
			},
		},
		"two stores in one directory": {
			reason: "Two stores writing one directory would corrupt each other's data; the clash is refused with the directory both resolve to.",
			spec:   fixture.PerconaSpec(nil),
			change: func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores[1] = v1alpha1.FileMetadataStore{Name: "other", Type: "badger", Badger: &v1alpha1.FileBadgerStore{Directory: "main"}}
				f.Shares[0].MetadataStore = "other"
			},
			want: field.ErrorList{
				field.Duplicate(field.NewPath("spec", "fileService", "metadataStores").Index(1).Child("badger", "directory"), "/data/store/metadata/main is also the directory of metadata store main; give each store a directory of its own"),
			},
		},
		"DittoFS's metrics on the reconciler's port": {
			reason: "The reconciler listens on 9091 in the same pod: DittoFS's metrics there would fail one of the two at start.",
			spec: func() v1alpha1.DittoServerSpec {
				s := fixture.PerconaSpec(nil)
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9091}
				return s
			}(),
			want: field.ErrorList{
				field.Duplicate(field.NewPath("spec", "metrics", "port"), "9091 is the file-service reconciler's port in the pod (spec.fileService is declared); choose another"),
			},
		},
		"a directory that leaves the volume": {
			reason: "A directory with .. would put a store outside its volume (onto the control plane's); refused with what a directory must be.",
			spec:   fixture.PerconaSpec(nil),
			change: func(f *v1alpha1.FileServiceSpec) {
				f.BlockStores[0].FS = &v1alpha1.FileFSBlockStore{Directory: "../controlplane"}
			},
			want: field.ErrorList{
				field.Invalid(field.NewPath("spec", "fileService", "blockStores").Index(0).Child("fs", "directory"), "../controlplane", "must be a directory inside the volume: a relative path without .."),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := fileService()
			if tc.change != nil {
				tc.change(f)
			}
			got := spec.Validate(withFileService(tc.spec, f), fixture.Input())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nspec.Validate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDeclaredRemovalsOnly: a file service that only authorizes removals is
// rendered, so the reconciler deletes them; the authorization is carried in
// the declaration under the XR's names.
func TestDeclaredRemovalsOnly(t *testing.T) {
	ds := withFileService(fixture.MinimalSpec(), &v1alpha1.FileServiceSpec{AuthorizeRemoval: &v1alpha1.FileServiceRemovals{Shares: []string{"/old"}, LocalBlockStores: []string{"cache"}}})
	want := &declared.Config{
		APIVersion: declared.APIVersion, Kind: declared.Kind,
		AuthorizeRemoval: &declared.Removals{Shares: []string{"/old"}, LocalBlockStores: []string{"cache"}},
	}
	if diff := cmp.Diff(want, ds.Declared()); diff != "" {
		t.Errorf("Declared() (-want +got):\n%s", diff)
	}
	if errs := spec.Validate(ds, fixture.Input()); len(errs) > 0 {
		t.Errorf("Validate: %v", errs)
	}
}
