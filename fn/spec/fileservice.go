package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/declared"
)

// Where the reconciler container finds its inputs, and where dfs keeps the
// stores' files. The declared config names these paths; the reconciler
// reads the Secret files, dfs the store directories.
const (
	// DeclaredMountPath is the mount of the ConfigMap <name>-fileservice.
	DeclaredMountPath = "/etc/dittofs-declared"
	// DeclaredConfigKey is its key, read as DeclaredMountPath/config.yaml.
	DeclaredConfigKey = "config.yaml"
	// DeclaredSecretsPath holds one directory per referenced Secret, named
	// after it: /etc/dittofs-declared-secrets/<secret>/<key>.
	DeclaredSecretsPath = "/etc/dittofs-declared-secrets"
	// MetadataStorePath and BlockStorePath are the metadata and content
	// volumes' mount paths in the dfs container.
	MetadataStorePath = "/data/store/metadata"
	BlockStorePath    = "/data/store/block"
)

// FileServiceDeclared reports whether the XR declares any part of the
// file service; one that declares nothing gets no reconciler, and its
// hand-made stores and shares stay as they are.
func FileServiceDeclared(s v1alpha1.DittoServerSpec) bool {
	f := s.FileService
	return f != nil && (len(f.MetadataStores)+len(f.BlockStores)+len(f.Shares)+len(f.Groups)+len(f.Users)+len(f.SnapshotPolicies) > 0 || removalsAuthorized(f))
}

// secretFile is where the reconciler reads key of Secret name.
func secretFile(name, key string) string { return path.Join(DeclaredSecretsPath, name, key) }

func secretDir(name string) string { return path.Join(DeclaredSecretsPath, name) }

// perconaMetaDatabase is the default database of a postgres metadata store
// on the composed cluster: its own, beside the control plane's.
func perconaMetaDatabase(s v1alpha1.DittoServerSpec) string {
	return s.Percona.DatabaseName + "_meta"
}

func perconaEnabled(s v1alpha1.DittoServerSpec) bool {
	return s.Percona != nil && s.Percona.Enabled
}

// Declared is the file service as the reconciler reads it: no secret
// values, only the paths their Secrets are mounted at. Nil when nothing is
// declared.
func (ds DittoServer) Declared() *declared.Config {
	s := ds.Spec
	if !FileServiceDeclared(s) {
		return nil
	}
	f := s.FileService
	c := &declared.Config{APIVersion: declared.APIVersion, Kind: declared.Kind}
	for _, m := range f.MetadataStores {
		c.MetadataStores = append(c.MetadataStores, ds.declaredMetadataStore(m))
	}
	for _, b := range f.BlockStores {
		c.BlockStores = append(c.BlockStores, declaredBlockStore(b))
	}
	for _, sh := range f.Shares {
		c.Shares = append(c.Shares, declaredShare(sh))
	}
	for _, g := range f.Groups {
		c.Groups = append(c.Groups, declared.Group{Name: g.Name, GID: g.GID, Description: g.Description})
	}
	for _, u := range f.Users {
		du := declared.User{Username: u.Username, UID: u.UID, GID: u.GID, Groups: u.Groups, Role: u.Role, Enabled: u.Enabled}
		if r := u.PasswordSecretRef; r != nil {
			du.PasswordFile = secretFile(r.Name, r.Key)
		}
		c.Users = append(c.Users, du)
	}
	for _, p := range f.SnapshotPolicies {
		c.SnapshotPolicies = append(c.SnapshotPolicies, declared.SnapshotPolicy{
			Share: p.Share, Interval: p.Interval, KeepLast: p.KeepLast, TTL: p.TTL, Enabled: p.Enabled, NamePrefix: p.NamePrefix,
		})
	}
	c.AuthorizeRemoval = declaredRemovals(f)
	return c
}

func orName(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir
}

func (ds DittoServer) declaredMetadataStore(m v1alpha1.FileMetadataStore) declared.MetadataStore {
	out := declared.MetadataStore{Name: m.Name, Type: m.Type}
	if b := m.Badger; b != nil || m.Type == declared.MetadataBadger {
		if b == nil {
			b = &v1alpha1.FileBadgerStore{}
		}
		out.Badger = &declared.BadgerStore{Path: path.Join(MetadataStorePath, orName(b.Directory, m.Name)), BlockCacheMB: b.BlockCacheMegabytes, IndexCacheMB: b.IndexCacheMegabytes}
	}
	if pg := m.Postgres; pg != nil || m.Type == declared.MetadataPostgres {
		if pg == nil {
			pg = &v1alpha1.FilePostgresStore{}
		}
		db, secret := pg.Database, pg.SecretName
		if perconaEnabled(ds.Spec) {
			if db == "" {
				db = perconaMetaDatabase(ds.Spec)
			}
			if secret == "" {
				secret = ds.PerconaUserSecretName()
			}
		}
		out.Postgres = &declared.PostgresStore{Database: db, SSLMode: pg.SSLMode}
		if secret != "" {
			out.Postgres.SecretDir = secretDir(secret)
		}
		out.Postgres.OnCluster = perconaEnabled(ds.Spec) && secret == ds.PerconaUserSecretName()
	}
	return out
}

func declaredBlockStore(b v1alpha1.FileBlockStore) declared.BlockStore {
	out := declared.BlockStore{Name: b.Name, Kind: b.Kind, Type: b.Type}
	if b.FS != nil || b.Type == declared.BlockFS {
		dir := ""
		if b.FS != nil {
			dir = b.FS.Directory
		}
		out.FS = &declared.FSBlockStore{Path: path.Join(BlockStorePath, orName(dir, b.Name))}
	}
	if s3 := b.S3; s3 != nil {
		out.S3 = &declared.S3BlockStore{
			Bucket: s3.Bucket, Region: s3.Region, Endpoint: s3.Endpoint, Prefix: s3.Prefix, ForcePathStyle: s3.ForcePathStyle,
			AllowPrivateEndpoint: s3.AllowPrivateEndpoint, AccessKeyIDKey: s3.AccessKeyIDKey, SecretAccessKeyKey: s3.SecretAccessKeyKey,
			ParallelUploads: s3.ParallelUploads, Compression: s3.Compression,
		}
		if s3.CredentialsSecretName != "" {
			out.S3.CredentialsDir = secretDir(s3.CredentialsSecretName)
		}
	}
	return out
}

func declaredShare(s v1alpha1.FileShare) declared.Share {
	out := declared.Share{
		Name: s.Name, MetadataStore: s.MetadataStore, LocalBlockStore: s.LocalBlockStore, RemoteBlockStore: s.RemoteBlockStore,
		ReadOnly: s.ReadOnly, DefaultPermission: s.DefaultPermission, Owner: s.Owner, Quota: s.Quota,
	}
	if c := s.Cache; c != nil {
		out.Cache = &declared.ShareCache{LocalStoreSize: c.LocalStoreSize, ReadBufferSize: c.ReadBufferSize}
	}
	if n := s.NFS; n != nil {
		out.NFS = &declared.ShareNFS{Squash: n.Squash, AnonymousUID: n.AnonymousUID, AnonymousGID: n.AnonymousGID, AllowAuthSys: n.AllowAuthSys, RequireKerberos: n.RequireKerberos}
	}
	if m := s.SMB; m != nil {
		out.SMB = &declared.ShareSMB{EncryptData: m.EncryptData, AccessBasedEnumeration: m.AccessBasedEnumeration}
	}
	for _, p := range s.Permissions {
		out.Permissions = append(out.Permissions, declared.SharePermission{User: p.User, Group: p.Group, Level: p.Level})
	}
	return out
}

// FileServiceSecrets are the Secrets the reconciler reads, each mounted at
// DeclaredSecretsPath/<name>, sorted.
func (ds DittoServer) FileServiceSecrets() []string {
	c := ds.Declared()
	if c == nil {
		return nil
	}
	var names []string
	addDir := func(dir string) {
		if name, ok := strings.CutPrefix(dir, DeclaredSecretsPath+"/"); ok {
			name, _, _ = strings.Cut(name, "/")
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	for _, u := range c.Users {
		addDir(u.PasswordFile)
	}
	for _, b := range c.BlockStores {
		if b.S3 != nil {
			addDir(b.S3.CredentialsDir)
		}
	}
	for _, m := range c.MetadataStores {
		if m.Postgres != nil {
			addDir(m.Postgres.SecretDir)
		}
	}
	slices.Sort(names)
	return names
}

// FileServiceDatabases are the databases the declared postgres metadata
// stores have on the composed Percona cluster (through its user Secret):
// the Percona user must own them too.
func (ds DittoServer) FileServiceDatabases() []string {
	c := ds.Declared()
	if c == nil || !perconaEnabled(ds.Spec) {
		return nil
	}
	var dbs []string
	for _, m := range c.MetadataStores {
		if pg := m.Postgres; pg != nil && pg.SecretDir == secretDir(ds.PerconaUserSecretName()) && pg.Database != ds.Spec.Percona.DatabaseName && !slices.Contains(dbs, pg.Database) {
			dbs = append(dbs, pg.Database)
		}
	}
	slices.Sort(dbs)
	return dbs
}

// renamedFields maps the declared format's field names to the XR's where
// they differ (the XR names Secrets and directories, the format paths).
var renamedFields = []struct{ from, to string }{
	{".passwordFile", ".passwordSecretRef"},
	{".badger.path", ".badger.directory"},
	{".fs.path", ".fs.directory"},
	{".s3.credentialsDir", ".s3.credentialsSecretName"},
	{".postgres.secretDir", ".postgres.secretName"},
}

// validateFileService checks what the XRD schema cannot: every reference
// between the declared parts, Secrets for every password and key, a
// database for every postgres store, one directory per store. The checks
// are the reconciler's own (declared.Validate), at the XR's paths.
func validateFileService(p *field.Path, ds DittoServer) field.ErrorList {
	c := ds.Declared()
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	f := ds.Spec.FileService
	for i, u := range f.Users {
		ref := p.Child("users").Index(i).Child("passwordSecretRef")
		switch {
		case u.PasswordSecretRef == nil || u.PasswordSecretRef.Name == "":
			errs = append(errs, field.Required(ref, "a declared user needs the Secret key holding their password"))
		case u.PasswordSecretRef.Key == "":
			errs = append(errs, field.Required(ref.Child("key"), "name the key of Secret "+u.PasswordSecretRef.Name+" that holds the password"))
		}
	}
	for i, m := range f.MetadataStores {
		if m.Type != declared.MetadataPostgres || perconaEnabled(ds.Spec) {
			continue
		}
		pg := p.Child("metadataStores").Index(i).Child("postgres")
		if m.Postgres == nil || m.Postgres.SecretName == "" {
			errs = append(errs, field.Required(pg.Child("secretName"), "without spec.percona.enabled a postgres metadata store needs the Secret (keys host, port, user, password) of its PostgreSQL; or enable spec.percona to put it on the composed cluster"))
		} else if m.Postgres.Database == "" {
			errs = append(errs, field.Required(pg.Child("database"), "name the store's own database (not the control plane's)"))
		}
	}
	errs = append(errs, directories(p, f)...)
	errs = append(errs, reconcilerPortFree(ds.Spec)...)
	errs = append(errs, sharedDirectories(p, c)...)
	reported := map[string]bool{}
	for _, e := range errs {
		reported[e.Field] = true
	}
	for _, e := range c.Validate() {
		fp := e.Path
		for _, r := range renamedFields {
			if strings.HasSuffix(fp, r.from) {
				fp = strings.TrimSuffix(fp, r.from) + r.to
			}
		}
		full := p.String() + "." + fp
		if reported[full] || reported[full+".key"] || strings.HasSuffix(fp, ".postgres.database") && reported[strings.TrimSuffix(full, ".database")+".secretName"] {
			continue // already said, in the XR's terms
		}
		if e.Problem == "required" {
			errs = append(errs, &field.Error{Type: field.ErrorTypeRequired, Field: full, BadValue: "", Detail: ""})
			continue
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeInvalid, Field: full, BadValue: field.OmitValueType{}, Detail: e.Problem})
	}
	return errs
}

// sharedDirectories refuses two stores in one directory: two databases in
// one badger directory, or two block stores sharing files, corrupt both.
func sharedDirectories(p *field.Path, c *declared.Config) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]string{}
	check := func(at *field.Path, dir, store string) {
		if other, ok := seen[dir]; ok {
			errs = append(errs, field.Duplicate(at, dir+" is also the directory of "+other+"; give each store a directory of its own"))
			return
		}
		seen[dir] = store
	}
	for i, m := range c.MetadataStores {
		if m.Badger != nil {
			check(p.Child("metadataStores").Index(i).Child("badger", "directory"), m.Badger.Path, "metadata store "+m.Name)
		}
	}
	for i, b := range c.BlockStores {
		if b.FS != nil {
			check(p.Child("blockStores").Index(i).Child("fs", "directory"), b.FS.Path, "block store "+b.Name)
		}
	}
	return errs
}

// directories keeps each store's directory inside its volume: a relative
// path without "..".
func directories(p *field.Path, f *v1alpha1.FileServiceSpec) field.ErrorList {
	var errs field.ErrorList
	check := func(at *field.Path, dir string) {
		if dir != "" && (path.IsAbs(dir) || path.Clean(dir) != dir || dir == ".." || strings.HasPrefix(dir, "../")) {
			errs = append(errs, field.Invalid(at, dir, "must be a directory inside the volume: a relative path without .."))
		}
	}
	for i, m := range f.MetadataStores {
		if m.Badger != nil {
			check(p.Child("metadataStores").Index(i).Child("badger", "directory"), m.Badger.Directory)
		}
	}
	for i, b := range f.BlockStores {
		if b.FS != nil {
			check(p.Child("blockStores").Index(i).Child("fs", "directory"), b.FS.Directory)
		}
	}
	return errs
}

// ReconcilerPort is where the reconciler container serves /readyz and
// /metrics: a port of the pod, so DittoFS's own must not take it.
const ReconcilerPort = 9091

func reconcilerPortFree(s v1alpha1.DittoServerSpec) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	for _, p := range []struct {
		path *field.Path
		port int32
		used bool
	}{
		{spec.Child("controlPlane", "port"), s.ControlPlane.Port, true},
		{spec.Child("adapters", "nfs", "port"), s.Adapters.NFS.Port, s.Adapters.NFS.Enabled != nil && *s.Adapters.NFS.Enabled},
		{spec.Child("adapters", "smb", "port"), s.Adapters.SMB.Port, s.Adapters.SMB.Enabled != nil && *s.Adapters.SMB.Enabled},
		{spec.Child("metrics", "port"), s.Metrics.Port, s.Metrics.Enabled},
	} {
		if p.used && p.port == ReconcilerPort {
			errs = append(errs, field.Duplicate(p.path, fmt.Sprintf("%d is the file-service reconciler's port in the pod (spec.fileService is declared); choose another", ReconcilerPort)))
		}
	}
	return errs
}
