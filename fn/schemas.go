package fn

import (
	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"
)

// Required schemas: the function asks Crossplane whether a kind it composes
// is installed, so a missing operator is reported plainly instead of as an
// apply error deep in the XR's events.
const (
	schemaPercona        = "percona-cluster-crd"
	schemaServiceMonitor = "servicemonitor-crd"
)

// kindMissing says whether the kind of the object composed under key is
// known to be missing from the cluster. Until Crossplane answers (or when it
// is too old to), the kind is assumed installed. Once the object is observed
// the kind is there, and the function stops asking: Crossplane would
// otherwise send the kind's whole schema (a megabyte for PerconaPGCluster)
// with every later request.
func (c *composer) kindMissing(key resource.Name, name, apiVersion, kind string) bool {
	if c.isObserved(key) {
		return false
	}
	response.RequireSchema(c.rsp, name, apiVersion, kind)
	schema, resolved := request.GetRequiredSchema(c.req, name)
	return resolved && schema == nil
}

// errPerconaNotInstalled is what a DittoServer with Percona gets on a
// cluster without the Percona operator.
var errPerconaNotInstalled = errors.New("spec.percona.enabled: the PerconaPGCluster kind (pgv2.percona.com/v2) is not installed: install the Percona Operator for PostgreSQL v2.9.0 (its CRDs and operator), or set spec.percona.enabled to false")
