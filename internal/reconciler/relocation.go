package reconciler

import (
	"fmt"
	"slices"
	"strings"
)

// placeKeys are the config keys of a store that say where its data is,
// by store type. DittoFS v0.29.0 accepts a new value and opens the store
// there from its next start: a share on it then comes up on other,
// usually empty, data (docs/fileservice.md).
var placeKeys = map[string][]string{
	"badger":   {"path"},
	"postgres": {"host", "port", "database"},
	"fs":       {"path"},
	"s3":       {"bucket", "prefix", "endpoint"},
}

// relocated refuses a store update that changes where the data of the
// shares on it is, and reports whether it did. A store no share uses may
// move: it holds no share's files.
func (p *planner) relocated(kind, name, typ, id string, changes []string) bool {
	var moved []string
	keys := placeKeys[typ]
	if kind == KindMetadataStore && p.onCluster(name) {
		// The database is the server's own cluster's, wherever its
		// Service is: a restore into a new cluster moves host and port
		// with the data.
		keys = []string{"database"}
	}
	for _, k := range keys {
		if slices.Contains(changes, k) {
			moved = append(moved, k)
		}
	}
	if len(moved) == 0 {
		return false
	}
	shares := p.sharesOn(id)
	if len(shares) == 0 {
		return false
	}
	p.refuse(kind, name, fmt.Sprintf(
		"%s differs from DittoFS's, and share %s keeps its files there: DittoFS would open the store at the new place from its next start and serve the share without them. "+
			"Keep the store where it is; to move the files, declare a new store and a new share on it and copy them",
		strings.Join(moved, ", "), strings.Join(shares, ", ")))
	return true
}

// sharesOn names the shares DittoFS has on the store with id, sorted.
func (p *planner) sharesOn(id string) []string {
	var names []string
	for name, s := range p.o.Shares {
		if s.MetadataStoreID == id || s.LocalBlockStoreID == id || (s.RemoteBlockStoreID != nil && *s.RemoteBlockStoreID == id) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// onCluster: the declared metadata store name is a postgres store on the
// server's own cluster (declared.PostgresStore.OnCluster).
func (p *planner) onCluster(name string) bool {
	for _, m := range p.d.MetadataStores {
		if m.Name == name && m.Postgres != nil {
			return m.Postgres.OnCluster
		}
	}
	return false
}
