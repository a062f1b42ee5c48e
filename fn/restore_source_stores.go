package fn

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/response"
)

// sharedSourceStores names the stores a source DittoServer declares whose
// data is outside its pod's volumes and outside the backup: postgres
// metadata stores (a database of their own, on its cluster or elsewhere)
// and remote S3 block stores. DittoFS records each store's place (host,
// port and database; bucket, prefix and endpoint) in its control-plane
// database, and opens the stores there at start: a server restored from
// that database would open the source's stores, where the source, which a
// dittoServer restore names and so still exists, serves them too. Two
// servers on one metadata database, or one block store, corrupt each
// other's file systems (a block one server's metadata does not name, its
// collector deletes). Badger and local stores are on the pod's volumes:
// a new server gets its own.
func sharedSourceStores(src map[string]any) []string {
	var shared []string
	metadata, _, _ := unstructured.NestedSlice(src, "spec", "fileService", "metadataStores")
	for _, m := range metadata {
		s, _ := m.(map[string]any)
		if s["type"] == "postgres" {
			shared = append(shared, fmt.Sprintf("metadata store %v (postgres)", s["name"]))
		}
	}
	blocks, _, _ := unstructured.NestedSlice(src, "spec", "fileService", "blockStores")
	for _, b := range blocks {
		s, _ := b.(map[string]any)
		if s["kind"] == "remote" && s["type"] == "s3" {
			bucket, _, _ := unstructured.NestedString(s, "s3", "bucket")
			prefix, _, _ := unstructured.NestedString(s, "s3", "prefix")
			shared = append(shared, fmt.Sprintf("remote block store %v (s3://%s/%s)", s["name"], bucket, prefix))
		}
	}
	return shared
}

// sourceStoresSharedWait is why a restore from a source with shared stores
// is not created: the restored server would open them where the source
// does.
func sourceStoresSharedWait(where string, shared []string) *restoreWait {
	return &restoreWait{Reason: "SourceStoresShared", Warn: true, Message: where + " declares stores whose data is outside the backup: " + strings.Join(shared, ", ") +
		". DittoFS's control-plane database records where each store is, and the restored server would open them there, beside the source: two servers on one store corrupt each other's files. " +
		"A restore into a new DittoServer of a server with such stores is not supported (README \"Disaster recovery\"); rewind the source itself with spec.percona.recovery, which restores its metadata databases with its control plane"}
}

// warnRawRestoreStores: raw coordinates say nothing of the source's
// stores, but a restored XR that declares stores outside the pod most
// likely declares the source's, which the restored control plane records
// at the source's places. The cluster is created (the coordinates may be
// of a server that kept its metadata on its volumes); the user is told.
func (c *composer) warnRawRestoreStores() {
	if c.ds.Spec.Percona.Restore.From.DittoServer != "" {
		return
	}
	xr := c.req.GetObserved().GetComposite().GetResource().AsMap()
	if shared := sharedSourceStores(xr); len(shared) > 0 {
		response.Warning(c.rsp, errors.New("spec.percona.restore: this XR declares stores whose data is outside the backup ("+strings.Join(shared, ", ")+
			"); if the source server had them too, the restored control plane records them at the source's places, and DittoFS opens them there at start (beside the source, if it still runs) or does not start. "+
			"README \"Disaster recovery\", item 6")).TargetCompositeAndClaim()
	}
}
