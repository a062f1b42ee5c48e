package declared

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Load reads and validates a config.yaml. A missing file is an empty
// declaration: the pod of a DittoServer that declares nothing has none.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // the path is the reconciler's own flag
	if errors.Is(err, os.ErrNotExist) {
		return &Config{APIVersion: APIVersion, Kind: Kind}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}

// Parse decodes a config.yaml strictly (an unknown field is an error, so a
// typo cannot silently drop a setting) and validates it.
func Parse(raw []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fmt.Errorf("config.yaml: %w", err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, errs
	}
	return &c, nil
}

// FieldError is one problem, at a path such as shares[1].metadataStore.
type FieldError struct {
	Path, Problem string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Problem }

// FieldErrors is every problem of a Config, in declaration order.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "invalid declared file service: " + strings.Join(parts, "; ")
}

// validator collects FieldErrors.
type validator struct{ errs FieldErrors }

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) required(path, value string) {
	if value == "" {
		v.add(path, "required")
	}
}

func (v *validator) absPath(path, value string) {
	if value == "" {
		v.add(path, "required")
	} else if !filepath.IsAbs(value) || filepath.Clean(value) != value {
		v.add(path, "must be a clean absolute path, got %q", value)
	}
}

func (v *validator) oneOf(path, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add(path, "must be one of %s, got %q", strings.Join(allowed, ", "), value)
}

// names are DittoFS object names: what its API accepts in a URL path.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (v *validator) name(path, value string) {
	if value == "" {
		v.add(path, "required")
	} else if !namePattern.MatchString(value) {
		v.add(path, "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit, got %q", value)
	}
}

// Validate checks every field and every reference between them, and returns
// all problems at once.
func (c *Config) Validate() FieldErrors {
	v := &validator{}
	if c.APIVersion != APIVersion {
		v.add("apiVersion", "must be %s, got %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		v.add("kind", "must be %s, got %q", Kind, c.Kind)
	}
	meta := c.validateMetadataStores(v)
	local, remote := c.validateBlockStores(v)
	groups := c.validateGroups(v)
	users := c.validateUsers(v, groups)
	shares := c.validateShares(v, meta, local, remote, users, groups)
	c.validateSnapshotPolicies(v, shares)
	c.validateRemovals(v, meta, local, remote, shares)
	return v.errs
}

func (c *Config) validateMetadataStores(v *validator) map[string]bool {
	seen := map[string]bool{}
	for i, s := range c.MetadataStores {
		p := fmt.Sprintf("metadataStores[%d]", i)
		v.name(p+".name", s.Name)
		if seen[s.Name] {
			v.add(p+".name", "duplicate metadata store %q", s.Name)
		}
		seen[s.Name] = true
		v.oneOf(p+".type", s.Type, MetadataMemory, MetadataBadger, MetadataPostgres)
		if (s.Type == MetadataBadger) != (s.Badger != nil) {
			v.add(p+".badger", "set exactly when type is badger")
		}
		if (s.Type == MetadataPostgres) != (s.Postgres != nil) {
			v.add(p+".postgres", "set exactly when type is postgres")
		}
		if b := s.Badger; b != nil {
			v.absPath(p+".badger.path", b.Path)
			for field, n := range map[string]*int64{"blockCacheMegabytes": b.BlockCacheMB, "indexCacheMegabytes": b.IndexCacheMB} {
				if n != nil && *n < 0 {
					v.add(p+".badger."+field, "must be >= 0 (0 means auto), got %d", *n)
				}
			}
		}
		if pg := s.Postgres; pg != nil {
			v.required(p+".postgres.database", pg.Database)
			v.absPath(p+".postgres.secretDir", pg.SecretDir)
			if pg.Port < 0 || pg.Port > 65535 {
				v.add(p+".postgres.port", "must be a TCP port, got %d", pg.Port)
			}
			if pg.SSLMode != "" {
				v.oneOf(p+".postgres.sslMode", pg.SSLMode, "disable", "allow", "prefer", "require", "verify-ca", "verify-full")
			}
		}
	}
	return seen
}

func (c *Config) validateBlockStores(v *validator) (local, remote map[string]bool) {
	local, remote = map[string]bool{}, map[string]bool{}
	for i, s := range c.BlockStores {
		p := fmt.Sprintf("blockStores[%d]", i)
		v.name(p+".name", s.Name)
		v.oneOf(p+".kind", s.Kind, KindLocal, KindRemote)
		byKind := map[string]map[string]bool{KindLocal: local, KindRemote: remote}[s.Kind]
		if byKind != nil {
			if byKind[s.Name] {
				v.add(p+".name", "duplicate %s block store %q", s.Kind, s.Name)
			}
			byKind[s.Name] = true
		}
		switch s.Kind {
		case KindLocal:
			v.oneOf(p+".type", s.Type, BlockFS, BlockMemory)
		case KindRemote:
			v.oneOf(p+".type", s.Type, BlockS3, BlockMemory)
		}
		if (s.Type == BlockFS) != (s.FS != nil) {
			v.add(p+".fs", "set exactly when type is fs")
		}
		if (s.Type == BlockS3) != (s.S3 != nil) {
			v.add(p+".s3", "set exactly when type is s3")
		}
		if s.FS != nil {
			v.absPath(p+".fs.path", s.FS.Path)
		}
		if s3 := s.S3; s3 != nil {
			v.required(p+".s3.bucket", s3.Bucket)
			v.absPath(p+".s3.credentialsDir", s3.CredentialsDir)
			if s3.Compression != "" {
				v.oneOf(p+".s3.compression", s3.Compression, "zstd", "lz4")
			}
			if s3.ParallelUploads != nil && *s3.ParallelUploads < 0 {
				v.add(p+".s3.parallelUploads", "must be >= 0, got %d", *s3.ParallelUploads)
			}
		}
	}
	return local, remote
}

func (c *Config) validateGroups(v *validator) map[string]bool {
	seen := map[string]bool{}
	for i, g := range c.Groups {
		p := fmt.Sprintf("groups[%d]", i)
		v.name(p+".name", g.Name)
		if seen[g.Name] {
			v.add(p+".name", "duplicate group %q", g.Name)
		}
		seen[g.Name] = true
	}
	return seen
}

func (c *Config) validateUsers(v *validator, groups map[string]bool) map[string]bool {
	seen := map[string]bool{}
	for i, u := range c.Users {
		p := fmt.Sprintf("users[%d]", i)
		v.name(p+".username", u.Username)
		if u.Username == "admin" {
			v.add(p+".username", "admin is DittoFS's bootstrap administrator, kept by the admin Secret; declare another user")
		}
		if seen[u.Username] {
			v.add(p+".username", "duplicate user %q", u.Username)
		}
		seen[u.Username] = true
		v.absPath(p+".passwordFile", u.PasswordFile)
		if u.Role != "" {
			v.oneOf(p+".role", u.Role, RoleUser, RoleOperator, RoleAdmin)
		}
		for j, g := range u.Groups {
			if !groups[g] {
				v.add(fmt.Sprintf("%s.groups[%d]", p, j), "no group %q is declared in groups", g)
			}
		}
	}
	return seen
}

func (c *Config) validateShares(v *validator, meta, local, remote, users, groups map[string]bool) map[string]bool {
	seen := map[string]bool{}
	for i, s := range c.Shares {
		p := fmt.Sprintf("shares[%d]", i)
		switch {
		case s.Name == "":
			v.add(p+".name", "required")
		case !strings.HasPrefix(s.Name, "/") || !namePattern.MatchString(strings.TrimPrefix(s.Name, "/")):
			v.add(p+".name", "must be a slash and a name of letters, digits, '.', '_' or '-' (/export), got %q", s.Name)
		}
		if seen[s.Name] {
			v.add(p+".name", "two shares with the path %q", s.Name)
		}
		seen[s.Name] = true
		if !meta[s.MetadataStore] {
			v.add(p+".metadataStore", "no metadata store %q is declared in metadataStores", s.MetadataStore)
		}
		if !local[s.LocalBlockStore] {
			v.add(p+".localBlockStore", "no local block store %q is declared in blockStores", s.LocalBlockStore)
		}
		if s.RemoteBlockStore != "" && !remote[s.RemoteBlockStore] {
			v.add(p+".remoteBlockStore", "no remote block store %q is declared in blockStores", s.RemoteBlockStore)
		}
		if s.DefaultPermission != "" {
			v.oneOf(p+".defaultPermission", s.DefaultPermission, PermissionNone, PermissionRead, PermissionReadWrite, PermissionAdmin)
		}
		if s.Owner != "" && !users[s.Owner] {
			v.add(p+".owner", "no user %q is declared in users", s.Owner)
		}
		if s.Cache != nil {
			v.byteSize(p+".cache.localStoreSize", s.Cache.LocalStoreSize)
			v.byteSize(p+".cache.readBufferSize", s.Cache.ReadBufferSize)
		}
		v.byteSize(p+".quota", s.Quota)
		if s.NFS != nil && s.NFS.Squash != "" {
			v.oneOf(p+".nfs.squash", s.NFS.Squash, SquashNone, SquashRootToAdmin, SquashRootToGuest, SquashAllToAdmin, SquashAllToGuest)
		}
		c.validatePermissions(v, p, s.Permissions, users, groups)
	}
	return seen
}

func (c *Config) validatePermissions(v *validator, share string, perms []SharePermission, users, groups map[string]bool) {
	seen := map[string]bool{}
	for j, perm := range perms {
		p := fmt.Sprintf("%s.permissions[%d]", share, j)
		switch {
		case (perm.User == "") == (perm.Group == ""):
			v.add(p, "set exactly one of user and group")
		case perm.User != "" && !users[perm.User]:
			v.add(p+".user", "no user %q is declared in users", perm.User)
		case perm.Group != "" && !groups[perm.Group]:
			v.add(p+".group", "no group %q is declared in groups", perm.Group)
		}
		key := "user " + perm.User
		if perm.Group != "" {
			key = "group " + perm.Group
		}
		if seen[key] {
			v.add(p, "a second permission for %s", key)
		}
		seen[key] = true
		v.oneOf(p+".level", perm.Level, PermissionNone, PermissionRead, PermissionReadWrite, PermissionAdmin)
	}
}

func (v *validator) byteSize(path, value string) {
	if value == "" {
		return
	}
	if _, err := ParseByteSize(value); err != nil {
		v.add(path, "%v (use a size such as 512Mi or 20Gi)", err)
	}
}

func (c *Config) validateSnapshotPolicies(v *validator, shares map[string]bool) {
	seen := map[string]bool{}
	for i, sp := range c.SnapshotPolicies {
		p := fmt.Sprintf("snapshotPolicies[%d]", i)
		if !shares[sp.Share] {
			v.add(p+".share", "no share %q is declared in shares", sp.Share)
		}
		if seen[sp.Share] {
			v.add(p+".share", "a second policy for share %q (DittoFS keeps one per share)", sp.Share)
		}
		seen[sp.Share] = true
		switch sp.Interval {
		case "":
			v.add(p+".interval", "required (a Go duration such as 6h, or @hourly, @daily, @weekly)")
		case "@hourly", "@daily", "@weekly":
		default:
			if d, err := time.ParseDuration(sp.Interval); err != nil || d <= 0 {
				v.add(p+".interval", "must be a positive Go duration (6h) or @hourly, @daily, @weekly, got %q", sp.Interval)
			}
		}
		if sp.KeepLast < 0 {
			v.add(p+".keepLast", "must be >= 0 (0: no count bound), got %d", sp.KeepLast)
		}
		if sp.TTL != "" {
			if d, err := time.ParseDuration(sp.TTL); err != nil || d < 0 {
				v.add(p+".ttl", "must be a Go duration (168h), got %q", sp.TTL)
			}
		}
	}
}
