package reconciler

import (
	"fmt"
	"strings"
)

// notAuthorized is the Problem of an owned share or store that is no longer
// declared but whose removal the declaration does not authorize.
const notAuthorized = "is no longer declared, but its removal is not authorized: it is kept as it is. " +
	"Deleting it would lose data (a share's snapshots; the binding to the files a store holds). " +
	"To delete it, list it in spec.fileService.authorizeRemoval.%s; to keep managing it, declare it again"

// keptShares are the owned shares that still exist, are no longer
// declared, and whose removal is not authorized: each is reported once and
// left as it is, with its grants and snapshot policy.
func (p *planner) keptShares(declaredShares []string) map[string]bool {
	kept := map[string]bool{}
	for _, share := range p.l.Shares {
		if !has(declaredShares, share) && !p.removalAuthorized(KindShare, share, hasKey(p.o.Shares, share)) {
			kept[share] = true
		}
	}
	return kept
}

// removalAuthorized reports whether the owned object kind/name, no longer
// declared, may be deleted: it is already gone (only the Ledger entry goes),
// or the declaration's authorizeRemoval names it. Otherwise it refuses the
// removal, once, with the list that would authorize it.
func (p *planner) removalAuthorized(kind, name string, exists bool) bool {
	if !exists {
		return true
	}
	r := p.d.AuthorizeRemoval
	var ok bool
	var list string
	switch kind {
	case KindShare:
		ok, list = r.ShareAuthorized(name), "shares"
	case KindMetadataStore:
		ok, list = r.MetadataStoreAuthorized(name), "metadataStores"
	case KindBlockStore:
		k, n, _ := strings.Cut(name, "/")
		ok, list = r.BlockStoreAuthorized(k, n), k+"BlockStores"
	default:
		return true
	}
	if !ok {
		p.refuse(kind, name, fmt.Sprintf(notAuthorized, list))
	}
	return ok
}
