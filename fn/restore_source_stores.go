package fn

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
)

// sharedSourceStores names the stores a source DittoServer declares whose
// data a restored server would share with it. DittoFS records each
// store's place (host, port and database; bucket, prefix and endpoint) in
// its control-plane database and opens the stores there at start, and the
// restored database holds the source's records, while the source (which
// a dittoServer restore names, so it exists) serves them too. Two servers
// on one metadata database or one block store corrupt each other's file
// systems (a block one server's metadata does not name, its collector
// deletes).
//
// Not shared: badger and local stores (on the pod's volumes: the new
// server gets its own), and a postgres metadata store on the source's own
// cluster that this XR declares on its own cluster too, with the same
// name and database. That database is restored with the control plane,
// and the reconciler's pre-start step points the restored record at this
// XR's cluster before DittoFS starts (internal/reconciler/prestart.go).
func (c *composer) sharedSourceStores(src map[string]any, name string) []string {
	source, ok := parsedSource(src, name, c)
	if !ok {
		return []string{"its spec.fileService, which does not decode"}
	}
	was := source.Declared()
	if was == nil {
		return nil
	}
	now := c.ds.Declared()
	var shared []string
	for _, m := range was.MetadataStores {
		if m.Postgres == nil {
			continue
		}
		if m.Postgres.OnCluster && followsOnCluster(now, m) {
			continue
		}
		shared = append(shared, fmt.Sprintf("metadata store %s (postgres, database %s)", m.Name, m.Postgres.Database))
	}
	for _, b := range was.BlockStores {
		if b.S3 != nil {
			shared = append(shared, fmt.Sprintf("remote block store %s (s3://%s/%s)", b.Name, b.S3.Bucket, b.S3.Prefix))
		}
	}
	return shared
}

// followsOnCluster: the declaration now has store m on its own cluster
// too, with m's database.
func followsOnCluster(now *declared.Config, m declared.MetadataStore) bool {
	if now == nil {
		return false
	}
	for _, n := range now.MetadataStores {
		if n.Name == m.Name && n.Postgres != nil && n.Postgres.OnCluster && n.Postgres.Database == m.Postgres.Database {
			return true
		}
	}
	return false
}

// parsedSource is the source DittoServer's spec with the function's
// defaults, as the function composes it; ok is false when it does not
// decode.
func parsedSource(src map[string]any, name string, c *composer) (spec.DittoServer, bool) {
	raw, _ := src["spec"].(map[string]any)
	var s v1alpha1.DittoServerSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &s); err != nil {
		return spec.DittoServer{}, false
	}
	return spec.DittoServer{Name: name, Namespace: c.ds.Namespace, Spec: spec.WithDefaults(s, c.in)}, true
}

// sourceStoresSharedWait is why a restore from a source with shared stores
// is not created: the restored server would open them where the source
// does.
func sourceStoresSharedWait(where string, shared []string) *restoreWait {
	return &restoreWait{Reason: "SourceStoresShared", Warn: true, Message: where + " declares stores a restored server would share with it: " + strings.Join(shared, ", ") +
		". DittoFS's control-plane database records where each store is, and the restored server would open them there, beside the source: two servers on one store corrupt each other's files. " +
		"A postgres metadata store on the source's own cluster is restored with it when this XR declares it on its own cluster too (same name and database); other stores outside the pod cannot be (README \"Disaster recovery\"); rewind the source itself with spec.percona.recovery instead"}
}

// warnRawRestoreStores: raw coordinates say nothing of the source's
// stores, but a restored XR that declares stores outside the pod most
// likely declares the source's, which the restored control plane records
// at the source's places. The cluster is created (the coordinates may be
// of a server that kept its metadata on its volumes); the user is told. A
// postgres store on this XR's own cluster is not named: the pre-start step
// points its restored record here.
func (c *composer) warnRawRestoreStores() {
	if c.ds.Spec.Percona.Restore.From.DittoServer != "" {
		return
	}
	d := c.ds.Declared()
	if d == nil {
		return
	}
	var outside []string
	for _, m := range d.MetadataStores {
		if m.Postgres != nil && !m.Postgres.OnCluster {
			outside = append(outside, fmt.Sprintf("metadata store %s (postgres, database %s)", m.Name, m.Postgres.Database))
		}
	}
	for _, b := range d.BlockStores {
		if b.S3 != nil {
			outside = append(outside, fmt.Sprintf("remote block store %s (s3://%s/%s)", b.Name, b.S3.Bucket, b.S3.Prefix))
		}
	}
	if len(outside) > 0 {
		response.Warning(c.rsp, errors.New("spec.percona.restore: this XR declares stores whose data is outside the backup ("+strings.Join(outside, ", ")+
			"); if the source server had them too, the restored control plane records them at the source's places, and DittoFS opens them there at start (beside the source, if it still runs) or does not start. "+
			"README \"Disaster recovery\", item 6")).TargetCompositeAndClaim()
	}
}
