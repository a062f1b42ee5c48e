package spec

import (
	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/declared"
)

// removalsAuthorized: spec.fileService.authorizeRemoval names something.
// A spec that declares nothing else but authorizes removals still renders
// the declaration, so the reconciler deletes what was authorized; a spec
// that declares nothing at all gets no reconciler, and DittoFS keeps
// everything as it is.
func removalsAuthorized(f *v1alpha1.FileServiceSpec) bool {
	r := f.AuthorizeRemoval
	return r != nil && len(r.Shares)+len(r.MetadataStores)+len(r.LocalBlockStores)+len(r.RemoteBlockStores) > 0
}

// declaredRemovals is spec.fileService.authorizeRemoval in the declared
// format (the same names), or nil when it authorizes nothing.
func declaredRemovals(f *v1alpha1.FileServiceSpec) *declared.Removals {
	if !removalsAuthorized(f) {
		return nil
	}
	r := f.AuthorizeRemoval
	return &declared.Removals{Shares: r.Shares, MetadataStores: r.MetadataStores, LocalBlockStores: r.LocalBlockStores, RemoteBlockStores: r.RemoteBlockStores}
}
