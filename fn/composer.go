package fn

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// composer holds one RunFunction call: what was asked and observed, and the
// desired state being built.
type composer struct {
	req *fnv1.RunFunctionRequest
	rsp *fnv1.RunFunctionResponse
	in  v1beta1.Input
	ds  dittoServer

	observed map[resource.Name]resource.ObservedComposed
	desired  map[resource.Name]*resource.DesiredComposed
	dxr      *resource.Composite
	status   v1alpha1.DittoServerStatus

	// random generates the Secrets the function owns on first compose.
	random io.Reader
	// connection is a legacy XR's connection details.
	connection resource.ConnectionDetails
}

// compose builds every composed object, the XR status and the conditions.
func (c *composer) compose() error {
	if c.ds.Spec.Percona.Enabled && c.kindMissing(schemaPercona, "pgv2.percona.com/v2", "PerconaPGCluster") {
		return errPerconaNotInstalled
	}
	cluster := c.observedPerconaCluster()
	sts := observedStatefulSet(c.observedObject(keyStatefulSet))
	if err := c.checkGuards(cluster, sts); err != nil {
		return err
	}
	if err := c.composeDatabase(cluster); err != nil {
		return err
	}
	if err := c.composeWorkloads(perconaReady(cluster), sts); err != nil {
		return err
	}
	if err := response.SetDesiredComposedResources(c.rsp, c.desired); err != nil {
		return fmt.Errorf("cannot set the desired composed resources: %w", err)
	}
	return c.setStatus()
}

// add puts a typed object into the desired state with its readiness.
func (c *composer) add(key resource.Name, obj runtime.Object, ready resource.Ready) error {
	u, err := toComposed(obj)
	if err != nil {
		return fmt.Errorf("cannot compose %s: %w", key, err)
	}
	// Typed objects carry a zero status; what the function says about
	// status would be noise in every apply.
	delete(u.Object, "status")
	pruneNulls(u.Object)
	c.desired[key] = &resource.DesiredComposed{Resource: u, Ready: ready}
	return nil
}

// observedObject returns the observed object under key, or nil.
func (c *composer) observedObject(key resource.Name) *composed.Unstructured {
	if o, ok := c.observed[key]; ok && o.Resource != nil {
		return o.Resource
	}
	return nil
}

// readyOnceObserved is the readiness of objects that need nothing but to
// exist: Secrets, ConfigMaps, Services, NetworkPolicies, Usages.
func (c *composer) readyOnceObserved(key resource.Name) resource.Ready {
	if c.observedObject(key) != nil {
		return resource.ReadyTrue
	}
	return resource.ReadyFalse
}

// require asks Crossplane for a resource; Crossplane calls the function again
// with it. Requirements must be the same on every call for the same spec.
func (c *composer) require(name string, sel *fnv1.ResourceSelector) {
	if c.rsp.Requirements == nil {
		c.rsp.Requirements = &fnv1.Requirements{}
	}
	if c.rsp.Requirements.Resources == nil {
		c.rsp.Requirements.Resources = map[string]*fnv1.ResourceSelector{}
	}
	c.rsp.Requirements.Resources[name] = sel
}

// pruneNulls removes null values, which typed objects produce for unset
// non-omitempty lists and which server-side apply would read as "clear".
func pruneNulls(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneNulls(t)
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					pruneNulls(em)
				}
			}
		}
	}
}
