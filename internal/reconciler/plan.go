package reconciler

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// Operations of an Action.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
)

// Kinds of object an Action touches. They are also the Ledger's lists and
// the metrics' kind label.
const (
	KindMetadataStore  = "metadata store"
	KindBlockStore     = "block store"
	KindShare          = "share"
	KindShareNFS       = "share nfs config"
	KindPermission     = "permission"
	KindGroup          = "group"
	KindUser           = "user"
	KindUserPassword   = "user password"
	KindSnapshotPolicy = "snapshot policy"
)

// Action is one API write. Request is the apiclient request (or one of the
// small types below); it may hold a secret, so only String is ever logged.
type Action struct {
	Op, Kind, Name string
	// Changes names the declared fields that differ (on update), never
	// their values.
	Changes []string
	Request any
	// Fingerprint, when set, is recorded in the Ledger under Kind/Name once
	// the write succeeded: the HMAC of the secret it wrote.
	Fingerprint string
	// Note says what the operator should know (DittoFS applies some
	// settings only when it restarts).
	Note string
}

func (a Action) String() string {
	s := a.Op + " " + a.Kind + " " + a.Name
	if len(a.Changes) > 0 {
		s += " (" + strings.Join(a.Changes, ", ") + ")"
	}
	return s
}

// Problem is a declared change the reconciler will not make (it would
// destroy data or DittoFS cannot make it); reported, never applied.
type Problem struct{ Kind, Name, Message string }

func (p Problem) String() string { return p.Kind + " " + p.Name + ": " + p.Message }

// BlockStoreRequest creates (Create) or updates (Update) a block store of Kind.
type BlockStoreRequest struct {
	Kind   string
	Create *apiclient.CreateStoreRequest
	Update *apiclient.UpdateStoreRequest
}

// PermissionRequest sets Level for a user or group (Type) on Share.
type PermissionRequest struct{ Share, Type, Name, Level string }

// PasswordRequest resets a user's password.
type PasswordRequest struct{ Password string }

// Plan is the difference between what is declared and what DittoFS has,
// as the writes that close it, in an order DittoFS accepts (what a share
// needs before the share, deletions last and in reverse), and the declared
// changes it refuses. It deletes only what the Ledger owns. Pure: the same
// inputs give the same plan.
func Plan(d *Desired, o *Observed, l *Ledger) ([]Action, []Problem) {
	p := &planner{d: d, o: o, l: l}
	p.groups()
	p.users()
	p.metadataStores()
	p.blockStores()
	p.shares()
	p.snapshotPolicies()
	p.deletions()
	return p.actions, p.problems
}

type planner struct {
	d        *Desired
	o        *Observed
	l        *Ledger
	actions  []Action
	problems []Problem
}

func (p *planner) act(a Action) { p.actions = append(p.actions, a) }
func (p *planner) refuse(kind, name, msg string) {
	p.problems = append(p.problems, Problem{kind, name, msg})
}
func ptr[T any](v T) *T { return &v }
func deref[T any](v *T) (z T) {
	if v != nil {
		return *v
	}
	return z
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}
func enabled(b *bool) bool { return b == nil || *b }
func optEqual[T comparable](want *T, have *T) bool {
	return want == nil || (have != nil && *want == *have)
}

func (p *planner) groups() {
	for _, g := range p.d.Groups {
		have, ok := p.o.Groups[g.Name]
		if !ok {
			p.act(Action{Op: OpCreate, Kind: KindGroup, Name: g.Name, Request: &apiclient.CreateGroupRequest{Name: g.Name, GID: g.GID, Description: g.Description}})
			continue
		}
		req, changes := &apiclient.UpdateGroupRequest{}, []string(nil)
		if g.GID != nil && !optEqual(g.GID, have.GID) {
			req.GID, changes = g.GID, append(changes, "gid")
		}
		if g.Description != have.Description {
			req.Description, changes = ptr(g.Description), append(changes, "description")
		}
		if changes != nil {
			p.act(Action{Op: OpUpdate, Kind: KindGroup, Name: g.Name, Changes: changes, Request: req})
		}
	}
}

func (p *planner) users() {
	for _, u := range p.d.Users {
		role := u.Role
		if role == "" {
			role = declared.RoleUser
		}
		have, ok := p.o.Users[u.Username]
		if !ok {
			p.act(Action{Op: OpCreate, Kind: KindUser, Name: u.Username, Request: &apiclient.CreateUserRequest{
				Username: u.Username, Password: p.d.UserPasswords[u.Username], UID: u.UID, GID: u.GID,
				Groups: u.Groups, Role: role, DisplayName: u.DisplayName, Email: u.Email, Enabled: ptr(enabled(u.Enabled)),
			}})
			continue
		}
		req, changes := &apiclient.UpdateUserRequest{}, []string(nil)
		if u.UID != nil && !optEqual(u.UID, have.UID) {
			req.UID, changes = u.UID, append(changes, "uid")
		}
		if u.GID != nil && !optEqual(u.GID, have.GID) {
			req.GID, changes = u.GID, append(changes, "gid")
		}
		if !sameSet(u.Groups, have.Groups) {
			req.Groups, changes = ptr(slices.Clone(u.Groups)), append(changes, "groups")
			if *req.Groups == nil {
				*req.Groups = []string{}
			}
		}
		if role != have.Role {
			req.Role, changes = ptr(role), append(changes, "role")
		}
		if u.DisplayName != have.DisplayName {
			req.DisplayName, changes = ptr(u.DisplayName), append(changes, "displayName")
		}
		if u.Email != have.Email {
			req.Email, changes = ptr(u.Email), append(changes, "email")
		}
		if enabled(u.Enabled) != have.Enabled {
			req.Enabled, changes = ptr(enabled(u.Enabled)), append(changes, "enabled")
		}
		if changes != nil {
			p.act(Action{Op: OpUpdate, Kind: KindUser, Name: u.Username, Changes: changes, Request: req})
		}
		if p.o.PasswordStale[u.Username] {
			p.act(Action{Op: OpUpdate, Kind: KindUserPassword, Name: u.Username, Changes: []string{"passwordFile"}, Request: PasswordRequest{p.d.UserPasswords[u.Username]}})
		}
	}
}

// metadataConfig is the config DittoFS v0.29.0 reads for a metadata store
// (runtime.CreateMetadataStoreFromConfig), and the secret in it.
func (p *planner) metadataConfig(s declared.MetadataStore) (cfg map[string]any, secret string) {
	switch s.Type {
	case declared.MetadataBadger:
		b := s.Badger
		cfg = map[string]any{"path": b.Path}
		setIf(cfg, "block_cache_mb", b.BlockCacheMB)
		setIf(cfg, "index_cache_mb", b.IndexCacheMB)
		setIf(cfg, "relaxed_durability", b.RelaxedDurability)
	case declared.MetadataPostgres:
		pg, conn := s.Postgres, p.d.Postgres[s.Name]
		sslmode := pg.SSLMode
		if sslmode == "" {
			sslmode = "require"
		}
		cfg = map[string]any{
			"host": conn.Host, "port": conn.Port, "database": pg.Database, "user": conn.User,
			"password": conn.Password, "sslmode": sslmode,
		}
		setIf(cfg, "max_conns", pg.MaxConns)
		setIf(cfg, "min_conns", pg.MinConns)
		setIf(cfg, "relaxed_durability", pg.RelaxedDurability)
		secret = conn.Password
	}
	return cfg, secret
}

func setIf[T any](m map[string]any, key string, v *T) {
	if v != nil {
		m[key] = *v
	}
}

// isSecretKey is DittoFS's rule for the config keys it redacts on read
// (handlers.redactSecretJSON): those are compared by Fingerprint instead.
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.HasSuffix(k, "_key")
}

// public is cfg as JSON would carry it, without its secret keys.
func public(cfg any) map[string]any {
	out := map[string]any{}
	switch c := cfg.(type) {
	case nil:
		return out
	case json.RawMessage:
		if len(c) == 0 || json.Unmarshal(c, &out) != nil {
			return map[string]any{}
		}
	default:
		b, err := json.Marshal(c)
		if err != nil || json.Unmarshal(b, &out) != nil {
			return map[string]any{}
		}
	}
	for k := range out {
		if isSecretKey(k) {
			delete(out, k)
		}
	}
	return out
}

// configChanges names the public keys that differ, and "secret" when the
// secret is not the one last written.
func (p *planner) configChanges(kind, name string, want map[string]any, have json.RawMessage, secret string) (changes []string, fingerprint string) {
	w, h := public(want), public(have)
	for _, k := range slices.Sorted(mapKeys(w, h)) {
		if !cmp.Equal(w[k], h[k]) {
			changes = append(changes, k)
		}
	}
	if secret != "" {
		fingerprint = p.l.Fingerprint(secret)
		if p.l.Fingerprints[kind+"/"+name] != fingerprint {
			changes = append(changes, "credentials")
		}
	}
	return changes, fingerprint
}

func mapKeys(ms ...map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range ms {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}

// restartNote: DittoFS v0.29.0 persists a store's new config but opens the
// store with it only when it starts.
const restartNote = "DittoFS uses the new store config from its next start"

func (p *planner) metadataStores() {
	for _, s := range p.d.MetadataStores {
		cfg, secret := p.metadataConfig(s)
		have, ok := p.o.MetadataStores[s.Name]
		if !ok {
			a := Action{Op: OpCreate, Kind: KindMetadataStore, Name: s.Name, Request: &apiclient.CreateStoreRequest{Name: s.Name, Type: s.Type, Config: nilIfEmpty(cfg)}}
			if secret != "" {
				a.Fingerprint = p.l.Fingerprint(secret)
			}
			p.act(a)
			continue
		}
		if have.Type != s.Type {
			p.refuse(KindMetadataStore, s.Name, fmt.Sprintf("is a %s store in DittoFS, declared %s: the type of a store that holds metadata is not changed in place; declare a new store under another name", have.Type, s.Type))
			continue
		}
		if changes, fp := p.configChanges(KindMetadataStore, s.Name, cfg, have.Config, secret); changes != nil && !p.relocated(KindMetadataStore, s.Name, s.Type, have.ID, changes) {
			p.act(Action{
				Op: OpUpdate, Kind: KindMetadataStore, Name: s.Name, Changes: changes, Fingerprint: fp, Note: restartNote,
				Request: &apiclient.UpdateStoreRequest{Config: nilIfEmpty(cfg)},
			})
		}
	}
}

func nilIfEmpty(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// blockConfig is the config DittoFS v0.29.0 reads for a block store
// (runtime.ValidateBlockStoreConfig, shares.CreateRemoteStoreFromConfig).
func (p *planner) blockConfig(s declared.BlockStore) (cfg map[string]any, secret string) {
	switch s.Type {
	case declared.BlockFS:
		cfg = map[string]any{"path": s.FS.Path}
	case declared.BlockS3:
		s3, creds := s.S3, p.d.S3[s.Name]
		cfg = map[string]any{"bucket": s3.Bucket, "access_key_id": creds.AccessKeyID, "secret_access_key": creds.SecretAccessKey}
		for k, v := range map[string]string{"region": s3.Region, "endpoint": s3.Endpoint, "prefix": s3.Prefix} {
			if v != "" {
				cfg[k] = v
			}
		}
		setIf(cfg, "force_path_style", s3.ForcePathStyle)
		if s3.AllowPrivateEndpoint {
			cfg["allow_private_endpoint"] = true
		}
		setIf(cfg, "parallel_uploads", s3.ParallelUploads)
		if s3.Compression != "" {
			cfg["compression"] = map[string]any{"algo": s3.Compression}
		}
		setIf(cfg, "durable", s3.Durable)
		secret = creds.SecretAccessKey
	}
	return cfg, secret
}

func (p *planner) blockStores() {
	for _, s := range p.d.BlockStores {
		key := blockKey(s.Kind, s.Name)
		cfg, secret := p.blockConfig(s)
		have, ok := p.o.BlockStores[key]
		if !ok {
			a := Action{Op: OpCreate, Kind: KindBlockStore, Name: key, Request: BlockStoreRequest{Kind: s.Kind, Create: &apiclient.CreateStoreRequest{Name: s.Name, Type: s.Type, Config: nilIfEmpty(cfg)}}}
			if secret != "" {
				a.Fingerprint = p.l.Fingerprint(secret)
			}
			p.act(a)
			continue
		}
		if have.Type != s.Type {
			p.refuse(KindBlockStore, key, fmt.Sprintf("is a %s store in DittoFS, declared %s: the type of a store that holds content is not changed in place; declare a new store under another name", have.Type, s.Type))
			continue
		}
		if changes, fp := p.configChanges(KindBlockStore, key, cfg, have.Config, secret); changes != nil && !p.relocated(KindBlockStore, key, s.Type, have.ID, changes) {
			p.act(Action{
				Op: OpUpdate, Kind: KindBlockStore, Name: key, Changes: changes, Fingerprint: fp, Note: restartNote,
				Request: BlockStoreRequest{Kind: s.Kind, Update: &apiclient.UpdateStoreRequest{Config: nilIfEmpty(cfg)}},
			})
		}
	}
}

func defaultPermission(s declared.Share) string {
	if s.DefaultPermission == "" {
		return declared.PermissionNone
	}
	return s.DefaultPermission
}

// sizeString is a declared byte size in DittoFS's own format, as its API
// returns it ("" stays "").
func sizeString(s string) string {
	if s == "" {
		return ""
	}
	n, err := declared.ParseByteSize(s)
	if err != nil || n == 0 {
		return ""
	}
	return declared.FormatByteSize(n)
}

func (p *planner) shares() {
	for _, s := range p.d.Shares {
		have, ok := p.o.Shares[s.Name]
		if !ok {
			p.act(Action{Op: OpCreate, Kind: KindShare, Name: s.Name, Request: createShareRequest(s)})
			if nfs := nfsPatch(s.NFS, nil); nfs != nil {
				p.act(Action{Op: OpUpdate, Kind: KindShareNFS, Name: s.Name, Changes: nfsChanges(nfs), Request: nfs})
			}
			p.permissions(s, nil)
			continue
		}
		if !p.sameStores(s, have) {
			continue
		}
		if req, changes := updateShareRequest(s, have.Share); changes != nil {
			a := Action{Op: OpUpdate, Kind: KindShare, Name: s.Name, Changes: changes, Request: req}
			if slices.ContainsFunc(changes, func(c string) bool { return strings.HasPrefix(c, "smb.") || strings.HasPrefix(c, "cache.") }) {
				a.Note = "DittoFS applies cache and SMB options when its adapters restart"
			}
			p.act(a)
		}
		if nfs := nfsPatch(s.NFS, have.NFS); nfs != nil {
			p.act(Action{Op: OpUpdate, Kind: KindShareNFS, Name: s.Name, Changes: nfsChanges(nfs), Request: nfs})
		}
		p.permissions(s, have.Permissions)
	}
}

// sameStores refuses a share whose declared stores are not the ones it has:
// DittoFS would point the share at other content (and v0.29.0 only rebinds
// at restart), so that is a new share, never an edit.
func (p *planner) sameStores(s declared.Share, have ObservedShare) bool {
	names := func(id string, kinds ...string) string {
		for name, st := range p.o.MetadataStores {
			if st.ID == id && slices.Contains(kinds, "metadata") {
				return name
			}
		}
		for _, st := range p.o.BlockStores {
			if st.ID == id && slices.Contains(kinds, st.Kind) {
				return st.Name
			}
		}
		return id
	}
	ok := true
	check := func(field, want, got string) {
		if want != got {
			ok = false
			p.refuse(KindShare, s.Name, fmt.Sprintf("%s is %q in DittoFS, declared %q: a share's stores hold its files and are not changed in place; declare a new share (another name) on the new stores", field, got, want))
		}
	}
	check("metadataStore", s.MetadataStore, names(have.MetadataStoreID, "metadata"))
	check("localBlockStore", s.LocalBlockStore, names(have.LocalBlockStoreID, declared.KindLocal))
	remote := ""
	if have.RemoteBlockStoreID != nil && *have.RemoteBlockStoreID != "" {
		remote = names(*have.RemoteBlockStoreID, declared.KindRemote)
	}
	check("remoteBlockStore", s.RemoteBlockStore, remote)
	return ok
}

func createShareRequest(s declared.Share) *apiclient.CreateShareRequest {
	req := &apiclient.CreateShareRequest{
		Name: s.Name, MetadataStoreID: s.MetadataStore, LocalBlockStore: s.LocalBlockStore,
		ReadOnly: s.ReadOnly, DefaultPermission: defaultPermission(s), Owner: s.Owner, QuotaBytes: s.Quota,
	}
	if s.RemoteBlockStore != "" {
		req.RemoteBlockStore = ptr(s.RemoteBlockStore)
	}
	if c := s.Cache; c != nil {
		req.LocalStoreSize, req.ReadBufferSize = c.LocalStoreSize, c.ReadBufferSize
	}
	if smb := s.SMB; smb != nil {
		req.EncryptData = deref(smb.EncryptData)
		req.AccessBasedEnumeration, req.StreamsDisabled, req.ChangeNotifyDisabled = smb.AccessBasedEnumeration, smb.StreamsDisabled, smb.ChangeNotifyDisabled
	}
	return req
}

// updateShareRequest sets the fields that differ. ReadOnly and
// DefaultPermission are always managed; cache, quota and SMB options only
// when declared.
func updateShareRequest(s declared.Share, have apiclient.Share) (*apiclient.UpdateShareRequest, []string) {
	req, changes := &apiclient.UpdateShareRequest{}, []string(nil)
	if s.ReadOnly != have.ReadOnly {
		req.ReadOnly, changes = ptr(s.ReadOnly), append(changes, "readOnly")
	}
	if dp := defaultPermission(s); dp != have.DefaultPermission {
		req.DefaultPermission, changes = ptr(dp), append(changes, "defaultPermission")
	}
	if s.Quota != "" && sizeString(s.Quota) != have.QuotaBytes {
		req.QuotaBytes, changes = ptr(s.Quota), append(changes, "quota")
	}
	if c := s.Cache; c != nil {
		if c.LocalStoreSize != "" && sizeString(c.LocalStoreSize) != have.LocalStoreSize {
			req.LocalStoreSize, changes = ptr(c.LocalStoreSize), append(changes, "cache.localStoreSize")
		}
		if c.ReadBufferSize != "" && sizeString(c.ReadBufferSize) != have.ReadBufferSize {
			req.ReadBufferSize, changes = ptr(c.ReadBufferSize), append(changes, "cache.readBufferSize")
		}
	}
	if smb := s.SMB; smb != nil {
		for _, f := range []struct {
			name string
			want *bool
			have bool
			set  **bool
		}{
			{"smb.encryptData", smb.EncryptData, have.EncryptData, &req.EncryptData},
			{"smb.accessBasedEnumeration", smb.AccessBasedEnumeration, have.AccessBasedEnumeration, &req.AccessBasedEnumeration},
			{"smb.streamsDisabled", smb.StreamsDisabled, have.StreamsDisabled, &req.StreamsDisabled},
			{"smb.changeNotifyDisabled", smb.ChangeNotifyDisabled, have.ChangeNotifyDisabled, &req.ChangeNotifyDisabled},
		} {
			if f.want != nil && *f.want != f.have {
				*f.set, changes = ptr(*f.want), append(changes, f.name)
			}
		}
	}
	return req, changes
}

// nfsPatch sets the declared NFS fields that differ from have (all declared
// ones for a new share, have nil); nil when nothing differs.
func nfsPatch(want *declared.ShareNFS, have *apiclient.ShareNFSConfig) *apiclient.PatchShareNFSConfigRequest {
	if want == nil {
		return nil
	}
	if have == nil {
		have = &apiclient.ShareNFSConfig{}
		have.Squash = "\x00" // nothing matches: every declared field is set
	}
	req, changed := &apiclient.PatchShareNFSConfigRequest{}, false
	if want.Squash != "" && want.Squash != have.Squash {
		req.Squash, changed = ptr(want.Squash), true
	}
	if want.MinKerberosLevel != "" && (want.MinKerberosLevel != have.MinKerberosLevel || have.Squash == "\x00") {
		req.MinKerberosLevel, changed = ptr(want.MinKerberosLevel), true
	}
	fresh := have.Squash == "\x00"
	if want.AnonymousUID != nil && (fresh || !optEqual(want.AnonymousUID, have.AnonymousUID)) {
		req.AnonymousUID, changed = want.AnonymousUID, true
	}
	if want.AnonymousGID != nil && (fresh || !optEqual(want.AnonymousGID, have.AnonymousGID)) {
		req.AnonymousGID, changed = want.AnonymousGID, true
	}
	for _, f := range []struct {
		want *bool
		have bool
		set  **bool
	}{
		{want.AllowAuthSys, have.AllowAuthSys, &req.AllowAuthSys},
		{want.RequireKerberos, have.RequireKerberos, &req.RequireKerberos},
		{want.DisableReaddirplus, have.DisableReaddirplus, &req.DisableReaddirplus},
	} {
		if f.want != nil && (fresh || *f.want != f.have) {
			*f.set, changed = ptr(*f.want), true
		}
	}
	if !changed {
		return nil
	}
	return req
}

func nfsChanges(r *apiclient.PatchShareNFSConfigRequest) []string {
	var c []string
	for name, set := range map[string]bool{
		"nfs.squash": r.Squash != nil, "nfs.anonymousUID": r.AnonymousUID != nil, "nfs.anonymousGID": r.AnonymousGID != nil,
		"nfs.allowAuthSys": r.AllowAuthSys != nil, "nfs.requireKerberos": r.RequireKerberos != nil,
		"nfs.minKerberosLevel": r.MinKerberosLevel != nil, "nfs.disableReaddirplus": r.DisableReaddirplus != nil,
	} {
		if set {
			c = append(c, name)
		}
	}
	slices.Sort(c)
	return c
}

// permissions sets the declared grants that differ, and removes the ones
// the reconciler set that are no longer declared.
func (p *planner) permissions(s declared.Share, have []apiclient.SharePermission) {
	current := map[string]string{}
	for _, h := range have {
		if h.Type == "user" || h.Type == "group" {
			current[permissionKey(s.Name, h.Type, h.Name)] = h.Level
		}
	}
	declaredKeys := map[string]bool{}
	for _, perm := range s.Permissions {
		typ, name := "user", perm.User
		if perm.Group != "" {
			typ, name = "group", perm.Group
		}
		key := permissionKey(s.Name, typ, name)
		declaredKeys[key] = true
		level, ok := current[key]
		switch {
		case !ok:
			p.act(Action{Op: OpCreate, Kind: KindPermission, Name: key, Request: PermissionRequest{s.Name, typ, name, perm.Level}})
		case level != perm.Level:
			p.act(Action{Op: OpUpdate, Kind: KindPermission, Name: key, Changes: []string{"level"}, Request: PermissionRequest{s.Name, typ, name, perm.Level}})
		}
	}
	for _, key := range p.l.Permissions {
		if strings.HasPrefix(key, s.Name+"|") && !declaredKeys[key] {
			if _, exists := current[key]; exists {
				p.act(Action{Op: OpDelete, Kind: KindPermission, Name: key})
			}
		}
	}
}

// duration reads a Go duration or @hourly/@daily/@weekly ("" is 0).
func duration(s string) time.Duration {
	switch s {
	case "", "0":
		return 0
	case "@hourly":
		return time.Hour
	case "@daily":
		return 24 * time.Hour
	case "@weekly":
		return 7 * 24 * time.Hour
	}
	d, _ := time.ParseDuration(s)
	return d
}

func (p *planner) snapshotPolicies() {
	for _, sp := range p.d.SnapshotPolicies {
		req := apiclient.UpsertSnapshotPolicyRequest{Interval: sp.Interval, KeepLast: sp.KeepLast, TTL: sp.TTL, Enabled: ptr(enabled(sp.Enabled)), NamePrefix: sp.NamePrefix}
		have, ok := p.o.Policies[sp.Share]
		if !ok {
			p.act(Action{Op: OpCreate, Kind: KindSnapshotPolicy, Name: sp.Share, Request: req})
			continue
		}
		var changes []string
		if duration(sp.Interval) != duration(have.Interval) {
			changes = append(changes, "interval")
		}
		if sp.KeepLast != have.KeepLast {
			changes = append(changes, "keepLast")
		}
		if duration(sp.TTL) != duration(have.TTL) {
			changes = append(changes, "ttl")
		}
		if enabled(sp.Enabled) != have.Enabled {
			changes = append(changes, "enabled")
		}
		if sp.NamePrefix != "" && sp.NamePrefix != have.NamePrefix {
			changes = append(changes, "namePrefix")
		}
		if changes != nil {
			p.act(Action{Op: OpUpdate, Kind: KindSnapshotPolicy, Name: sp.Share, Changes: changes, Request: req})
		}
	}
}

// deletions removes what the Ledger owns and the declaration no longer
// has, dependants first. Owned names whose object is already gone are
// pruned by the executor without an API call. A share or a store that
// still exists is deleted only when its removal is authorized
// (declared.Removals); one that is not is kept as it is, with its grants
// and its snapshot policy, and reported (keptShares, removals.go).
func (p *planner) deletions() {
	d := p.d
	p.shareDeletions(names(d.Shares, func(s declared.Share) string { return s.Name }))
	blocks := names(d.BlockStores, func(s declared.BlockStore) string { return blockKey(s.Kind, s.Name) })
	for _, key := range p.l.BlockStores {
		if !has(blocks, key) && p.removalAuthorized(KindBlockStore, key, hasKey(p.o.BlockStores, key)) {
			p.deleteIf(KindBlockStore, key, hasKey(p.o.BlockStores, key))
		}
	}
	metas := names(d.MetadataStores, func(s declared.MetadataStore) string { return s.Name })
	for _, name := range p.l.MetadataStores {
		if !has(metas, name) && p.removalAuthorized(KindMetadataStore, name, hasKey(p.o.MetadataStores, name)) {
			p.deleteIf(KindMetadataStore, name, hasKey(p.o.MetadataStores, name))
		}
	}
	users := names(d.Users, func(u declared.User) string { return u.Username })
	for _, name := range p.l.Users {
		if !has(users, name) {
			p.deleteIf(KindUser, name, hasKey(p.o.Users, name))
		}
	}
	groups := names(d.Groups, func(g declared.Group) string { return g.Name })
	for _, name := range p.l.Groups {
		if !has(groups, name) {
			p.deleteIf(KindGroup, name, hasKey(p.o.Groups, name))
		}
	}
}

// shareDeletions removes the owned shares no longer declared, with their
// snapshot policies and grants (before the stores they are on), and the
// owned grants on hand-made shares that are no longer declared. A kept
// share (its removal not authorized) keeps its policy and grants.
func (p *planner) shareDeletions(declaredShares []string) {
	d := p.d
	kept := p.keptShares(declaredShares)
	for _, share := range p.l.SnapshotPolicies {
		if !has(names(d.SnapshotPolicies, func(s declared.SnapshotPolicy) string { return s.Share }), share) && !kept[share] {
			p.deleteIf(KindSnapshotPolicy, share, hasKey(p.o.Policies, share))
		}
	}
	for _, key := range p.l.Permissions {
		share, _, _ := strings.Cut(key, "|")
		if !has(declaredShares, share) && !kept[share] {
			// A removed share takes its grants with it; only grants on a
			// share that stays (a hand-made one) are removed one by one.
			if sh, ok := p.o.Shares[share]; ok && !p.l.Owns(KindShare, share) {
				p.deleteIf(KindPermission, key, slices.ContainsFunc(sh.Permissions, func(h apiclient.SharePermission) bool { return permissionKey(share, h.Type, h.Name) == key }))
			} else {
				p.deleteIf(KindPermission, key, false)
			}
		}
	}
	for _, share := range p.l.Shares {
		if !has(declaredShares, share) && !kept[share] {
			p.deleteIf(KindShare, share, hasKey(p.o.Shares, share))
		}
	}
}

// deleteIf deletes an owned object that exists; one that is gone is only
// dropped from the Ledger (Request nil, Note "gone").
func (p *planner) deleteIf(kind, name string, exists bool) {
	if exists {
		p.act(Action{Op: OpDelete, Kind: kind, Name: name})
		return
	}
	p.act(Action{Op: OpDelete, Kind: kind, Name: name, Note: Gone})
}

// Gone marks a delete of an owned object that no longer exists: the
// executor only drops it from the Ledger.
const Gone = "already gone"

func names[T any](list []T, name func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = name(v)
	}
	return out
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
