package fn

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// declaredFiles is a file service with a share on each kind of store: /data
// on badger and a local fs store with S3 behind it, /scratch on memory.
func declaredFiles() *v1alpha1.FileServiceSpec {
	return &v1alpha1.FileServiceSpec{
		MetadataStores: []v1alpha1.FileMetadataStore{
			{Name: "main", Type: "badger"},
			{Name: "scratch", Type: "memory"},
		},
		BlockStores: []v1alpha1.FileBlockStore{
			{Name: "main", Kind: "local", Type: "fs"},
			{Name: "s3", Kind: "remote", Type: "s3", S3: &v1alpha1.FileS3BlockStore{Bucket: "files", Endpoint: "https://s3.example:8333", CredentialsSecretName: "s3"}},
			{Name: "mem", Kind: "local", Type: "memory"},
		},
		Groups: []v1alpha1.FileGroup{{Name: "staff", GID: ptr.To[uint32](2000)}},
		Users:  []v1alpha1.FileUser{{Username: "alice", PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "users", Key: "alice"}, Groups: []string{"staff"}}},
		Shares: []v1alpha1.FileShare{
			{Name: "/data", MetadataStore: "main", LocalBlockStore: "main", RemoteBlockStore: "s3", Permissions: []v1alpha1.FileSharePermission{{User: "alice", Level: "read-write"}}},
			{Name: "/scratch", MetadataStore: "scratch", LocalBlockStore: "mem"},
		},
		SnapshotPolicies: []v1alpha1.FileSnapshotPolicy{{Share: "/data", Interval: "@daily", KeepLast: 7}},
	}
}

func filesSpec(mutate func(*v1alpha1.FileServiceSpec)) v1alpha1.DittoServerSpec {
	s := fixture.MinimalSpec()
	s.FileService = declaredFiles()
	if mutate != nil {
		mutate(s.FileService)
	}
	return s
}

// observedFileService is the ConfigMap the function rendered for spec, as
// observed.
func observedFileService(t *testing.T, spec v1alpha1.DittoServerSpec) string {
	t.Helper()
	cm, err := build.FileServiceConfigMap(fixture.DittoServer(spec))
	if err != nil || cm == nil {
		t.Fatalf("FileServiceConfigMap: %v, %v", cm, err)
	}
	return objectJSON(t, cm)
}

// fileServiceOutcome is what a call looks like from outside: the fields a
// Fatal names, the Warnings about the file service, and whether anything
// was desired.
type fileServiceOutcome struct {
	Fatal    []string
	Warnings []string
	Composed bool
}

var fileServiceField = regexp.MustCompile(`(spec\.fileService\S*): Forbidden`)

func fileServiceOutcomeOf(rsp *fnv1.RunFunctionResponse) fileServiceOutcome {
	o := fileServiceOutcome{Composed: len(rsp.GetDesired().GetResources()) > 0}
	for _, r := range rsp.GetResults() {
		switch r.GetSeverity() {
		case fnv1.Severity_SEVERITY_FATAL:
			for _, m := range fileServiceField.FindAllStringSubmatch(r.GetMessage(), -1) {
				o.Fatal = append(o.Fatal, m[1])
			}
		case fnv1.Severity_SEVERITY_WARNING:
			if strings.Contains(r.GetMessage(), "declares nothing any more") {
				o.Warnings = append(o.Warnings, r.GetMessage())
			}
		default: // Normal results say nothing about the guards.
		}
	}
	return o
}

// fileServiceTransition is a spec edit on a server whose observed
// ConfigMap was rendered from was (nil: none observed), and what the
// function does with it.
type fileServiceTransition struct {
	reason string
	was    *v1alpha1.DittoServerSpec
	spec   v1alpha1.DittoServerSpec
	want   fileServiceOutcome
}

func TestFileServiceGuards(t *testing.T) {
	for name, tc := range fileServiceTransitions() {
		t.Run(name, func(t *testing.T) {
			req := specRequest(t, tc.spec)
			if tc.was != nil {
				req = withObserved(req, string(keyFileService), observedFileService(t, *tc.was))
			}
			rsp := compose(t, req)
			if diff := cmp.Diff(tc.want, fileServiceOutcomeOf(rsp)); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s\nresults: %v", tc.reason, diff, resultStrings(rsp))
			}
		})
	}
}

func fileServiceTransitions() map[string]fileServiceTransition {
	composed := fileServiceOutcome{Composed: true}
	refused := func(fields ...string) fileServiceOutcome { return fileServiceOutcome{Fatal: fields} }
	return map[string]fileServiceTransition{
		"NoObservedDeclaration": {
			reason: "A server whose declaration was never rendered has nothing to compare with: the first declaration composes.",
			spec:   filesSpec(nil),
			want:   composed,
		},
		"InStep": {
			reason: "The declaration the server has, declared again, composes.",
			was:    ptr.To(filesSpec(nil)),
			spec:   filesSpec(nil),
			want:   composed,
		},
		"SafeEdits": {
			reason: "Adding a share and a store, changing a share's options, a store's settings and removing users, groups, grants and snapshot policies hold no file data: composed.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores = append(f.MetadataStores, v1alpha1.FileMetadataStore{Name: "more", Type: "badger"})
				f.Shares = append(f.Shares, v1alpha1.FileShare{Name: "/more", MetadataStore: "more", LocalBlockStore: "main"})
				f.Shares[0].ReadOnly, f.Shares[0].Quota, f.Shares[0].Permissions = true, "10Gi", nil
				f.BlockStores[1].S3.Region, f.BlockStores[1].S3.Compression = "eu-west-1", "zstd"
				f.Users, f.Groups, f.SnapshotPolicies = nil, nil, nil
			}),
			want: composed,
		},
		"ShareRemoved": {
			reason: "Removing a share deletes its snapshots and strands its files: refused, naming the share by name.",
			was:    ptr.To(filesSpec(nil)),
			spec:   filesSpec(func(f *v1alpha1.FileServiceSpec) { f.Shares = f.Shares[:1]; f.SnapshotPolicies = nil }),
			want:   refused("spec.fileService.shares[name=/scratch]"),
		},
		"ShareRemovedAuthorized": {
			reason: "The removal the user authorizes by name composes: the reconciler deletes it.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.Shares = f.Shares[:1]
				f.AuthorizeRemoval = &v1alpha1.FileServiceRemovals{Shares: []string{"/scratch"}}
			}),
			want: composed,
		},
		"AuthorizationOfAnotherKindAuthorizesNothing": {
			reason: "An authorization covers the kind and name it lists: a share named like a store, or a remote store named like a local one, is still refused.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.Shares = f.Shares[:1]
				f.MetadataStores = f.MetadataStores[:1]
				f.BlockStores = f.BlockStores[:2]
				f.AuthorizeRemoval = &v1alpha1.FileServiceRemovals{Shares: []string{"scratch"}, MetadataStores: []string{"/scratch"}, RemoteBlockStores: []string{"mem"}}
			}),
			want: refused("spec.fileService.shares[name=/scratch]", "spec.fileService.metadataStores[name=scratch]", "spec.fileService.blockStores[kind=local,name=mem]"),
		},
		"ShareAndItsStoresRemovedAuthorized": {
			reason: "A share and the stores only it used, each authorized, compose together (the reconciler deletes the share first).",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.Shares, f.MetadataStores, f.BlockStores = f.Shares[:1], f.MetadataStores[:1], f.BlockStores[:2]
				f.AuthorizeRemoval = &v1alpha1.FileServiceRemovals{Shares: []string{"/scratch"}, MetadataStores: []string{"scratch"}, LocalBlockStores: []string{"mem"}}
			}),
			want: composed,
		},
		"EveryShareAndStoreRemovedButAUser": {
			reason: "A declaration left with only a user would delete every share and store: each is named in the one Fatal.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				*f = v1alpha1.FileServiceSpec{Users: f.Users, Groups: f.Groups}
			}),
			want: refused(
				"spec.fileService.shares[name=/data]", "spec.fileService.shares[name=/scratch]",
				"spec.fileService.metadataStores[name=main]", "spec.fileService.metadataStores[name=scratch]",
				"spec.fileService.blockStores[kind=local,name=main]", "spec.fileService.blockStores[kind=remote,name=s3]", "spec.fileService.blockStores[kind=local,name=mem]",
			),
		},
		"OnlyAuthorizationsLeft": {
			reason: "A file service that only authorizes removals is still rendered, so the reconciler deletes them: composed.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				*f = v1alpha1.FileServiceSpec{AuthorizeRemoval: &v1alpha1.FileServiceRemovals{
					Shares: []string{"/data", "/scratch"}, MetadataStores: []string{"main", "scratch"}, LocalBlockStores: []string{"main", "mem"}, RemoteBlockStores: []string{"s3"},
				}}
			}),
			want: composed,
		},
		"NothingDeclaredAnyMore": {
			reason: "A spec without fileService gets no reconciler, which deletes nothing: composed, with a Warning that the shares stay, unmanaged.",
			was:    ptr.To(filesSpec(nil)),
			spec:   fixture.MinimalSpec(),
			want: fileServiceOutcome{Composed: true, Warnings: []string{
				"spec.fileService declares nothing any more: the reconciler leaves the pod and deletes nothing, so share /data, share /scratch, metadata store main, metadata store scratch, " +
					"local block store main, remote block store s3, local block store mem stay in DittoFS, unmanaged. To delete them instead, keep spec.fileService with authorizeRemoval naming them",
			}},
		},
		"ShareMovedToOtherStores": {
			reason: "A share declared on other stores would be served without its files: each moved store is refused, with no opt-in.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.Shares[0].MetadataStore, f.Shares[0].RemoteBlockStore = "scratch", ""
			}),
			want: refused("spec.fileService.shares[name=/data].metadataStore", "spec.fileService.shares[name=/data].remoteBlockStore"),
		},
		"ShareMovedAndAuthorizedIsStillRefused": {
			reason: "authorizeRemoval is about removals: it cannot list a declared share, and a move stays refused.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.Shares[1].LocalBlockStore = "main"
				f.AuthorizeRemoval = &v1alpha1.FileServiceRemovals{LocalBlockStores: []string{"mem"}}
				f.BlockStores = f.BlockStores[:2]
			}),
			want: refused("spec.fileService.shares[name=/scratch].localBlockStore"),
		},
		"StoreTypeChanged": {
			reason: "A store's type is its data's format: a new type opens an empty store, refused even with no share on it.",
			was: ptr.To(filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores = append(f.MetadataStores, v1alpha1.FileMetadataStore{Name: "spare", Type: "memory"})
			})),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores = append(f.MetadataStores, v1alpha1.FileMetadataStore{Name: "spare", Type: "badger"})
				f.MetadataStores[0].Type = "memory"
			}),
			want: refused("spec.fileService.metadataStores[name=main].type", "spec.fileService.metadataStores[name=spare].type"),
		},
		"StoreMovedUnderShares": {
			reason: "A store that a share uses, moved to another directory, bucket, prefix or endpoint, would serve the share without its files: each field is named.",
			was:    ptr.To(filesSpec(nil)),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores[0].Badger = &v1alpha1.FileBadgerStore{Directory: "elsewhere"}
				f.BlockStores[0].FS = &v1alpha1.FileFSBlockStore{Directory: "elsewhere"}
				f.BlockStores[1].S3.Bucket, f.BlockStores[1].S3.Prefix, f.BlockStores[1].S3.Endpoint = "other", "p/", "https://other:8333"
			}),
			want: refused(
				"spec.fileService.metadataStores[name=main].badger.directory",
				"spec.fileService.blockStores[kind=local,name=main].fs.directory",
				"spec.fileService.blockStores[kind=remote,name=s3].s3.bucket",
				"spec.fileService.blockStores[kind=remote,name=s3].s3.prefix",
				"spec.fileService.blockStores[kind=remote,name=s3].s3.endpoint",
			),
		},
		"StoreMovedWithoutShares": {
			reason: "A store no declared share uses holds no declared share's files: moving it composes.",
			was: ptr.To(filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores = append(f.MetadataStores, v1alpha1.FileMetadataStore{Name: "spare", Type: "badger"})
			})),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores = append(f.MetadataStores, v1alpha1.FileMetadataStore{Name: "spare", Type: "badger", Badger: &v1alpha1.FileBadgerStore{Directory: "spare2"}})
			}),
			want: composed,
		},
		"PostgresStoreMoved": {
			reason: "A postgres store's database and Secret say where its metadata is: moving either under a share is refused.",
			was: ptr.To(filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores[1] = v1alpha1.FileMetadataStore{Name: "scratch", Type: "postgres", Postgres: &v1alpha1.FilePostgresStore{Database: "meta", SecretName: "pg"}}
			})),
			spec: filesSpec(func(f *v1alpha1.FileServiceSpec) {
				f.MetadataStores[1] = v1alpha1.FileMetadataStore{Name: "scratch", Type: "postgres", Postgres: &v1alpha1.FilePostgresStore{Database: "meta2", SecretName: "pg2"}}
			}),
			want: refused("spec.fileService.metadataStores[name=scratch].postgres.database", "spec.fileService.metadataStores[name=scratch].postgres.secretName"),
		},
	}
}

// TestFileServiceGuardMessage: the message names the share, what deleting
// it does, and the exact list that authorizes it.
func TestFileServiceGuardMessage(t *testing.T) {
	req := specRequest(t, filesSpec(func(f *v1alpha1.FileServiceSpec) { f.Shares = f.Shares[:1] }))
	req = withObserved(req, string(keyFileService), observedFileService(t, filesSpec(nil)))
	want := []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
		"spec.fileService.shares[name=/scratch]: Forbidden: share /scratch is declared on the running server and would be deleted from DittoFS: " +
		"DittoFS deletes its snapshots, grants and snapshot policy, and its files stay behind in metadata store scratch where no share reaches them (and where DittoFS's block GC may reclaim their content). " +
		`To delete it, also list "/scratch" in spec.fileService.authorizeRemoval.shares (remove it from that list once it is gone); to keep it, declare it again`}
	if diff := cmp.Diff(want, resultStrings(compose(t, req))); diff != "" {
		t.Errorf("results: -want, +got:\n%s", diff)
	}
}

// TestFileServiceUnreadableObserved: an observed ConfigMap whose declaration
// does not decode fails the call: no change can be checked against it.
func TestFileServiceUnreadableObserved(t *testing.T) {
	req := specRequest(t, filesSpec(nil))
	req = withObserved(req, string(keyFileService), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"files-fileservice","namespace":"storage"},"data":{"config.yaml":"shares: {"}}`)
	rsp := compose(t, req)
	got := resultStrings(rsp)
	if len(got) != 1 || !strings.HasPrefix(got[0], "SEVERITY_FATAL: cannot read the observed ConfigMap storage/files-fileservice (composed resource fileservice-config): data.config.yaml does not decode") {
		t.Errorf("results: %v", got)
	}
	if n := len(rsp.GetDesired().GetResources()); n != 0 {
		t.Errorf("%d composed resources desired, want none", n)
	}
}
