package declared

import (
	"fmt"
	"slices"
)

// Removals names the objects that hold data (shares, metadata stores, block
// stores) whose deletion the user authorized (the XR's
// spec.fileService.authorizeRemoval). The reconciler deletes an owned share
// or store that is no longer declared only when it is named here: deleting a
// share wipes its snapshots and strands its files (docs/fileservice.md), so
// an object that merely dropped out of the declaration (the declaration was
// turned off and on again, or an edit lost it) is kept and reported.
//
// The lists hold names, not a switch: authorizing one removal cannot
// authorize a later one of something else.
type Removals struct {
	Shares            []string `json:"shares,omitempty"`
	MetadataStores    []string `json:"metadataStores,omitempty"`
	LocalBlockStores  []string `json:"localBlockStores,omitempty"`
	RemoteBlockStores []string `json:"remoteBlockStores,omitempty"`
}

// Empty reports whether r authorizes nothing.
func (r *Removals) Empty() bool {
	return r == nil || len(r.Shares)+len(r.MetadataStores)+len(r.LocalBlockStores)+len(r.RemoteBlockStores) == 0
}

// ShareAuthorized reports whether the removal of share name is authorized.
func (r *Removals) ShareAuthorized(name string) bool {
	return r != nil && slices.Contains(r.Shares, name)
}

// MetadataStoreAuthorized reports whether the removal of metadata store
// name is authorized.
func (r *Removals) MetadataStoreAuthorized(name string) bool {
	return r != nil && slices.Contains(r.MetadataStores, name)
}

// BlockStoreAuthorized reports whether the removal of the block store of
// kind (local or remote) and name is authorized.
func (r *Removals) BlockStoreAuthorized(kind, name string) bool {
	if r == nil {
		return false
	}
	switch kind {
	case KindLocal:
		return slices.Contains(r.LocalBlockStores, name)
	case KindRemote:
		return slices.Contains(r.RemoteBlockStores, name)
	}
	return false
}

// validateRemovals refuses an authorization for an object that is still
// declared: left in the list, it would silently authorize the removal of
// that object later, when an edit drops it.
func (c *Config) validateRemovals(v *validator, meta, local, remote, shares map[string]bool) {
	r := c.AuthorizeRemoval
	if r == nil {
		return
	}
	check := func(list string, names []string, declared map[string]bool, what string) {
		seen := map[string]bool{}
		for i, name := range names {
			p := fmt.Sprintf("authorizeRemoval.%s[%d]", list, i)
			switch {
			case seen[name]:
				v.add(p, "%q is listed twice", name)
			case declared[name]:
				v.add(p, "%s %q is declared; an authorization left for it would let a later edit remove it unchecked. Remove it from this list (or remove the %s from the declaration)", what, name, what)
			}
			seen[name] = true
		}
	}
	check("shares", r.Shares, shares, "share")
	check("metadataStores", r.MetadataStores, meta, "metadata store")
	check("localBlockStores", r.LocalBlockStores, local, "local block store")
	check("remoteBlockStores", r.RemoteBlockStores, remote, "remote block store")
}
