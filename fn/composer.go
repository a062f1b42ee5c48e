package fn

import (
	"io"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/fn/wire"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// composer holds one RunFunction call: what was asked and observed, and the
// desired state being built.
type composer struct {
	req *fnv1.RunFunctionRequest
	rsp *fnv1.RunFunctionResponse
	in  v1beta1.Input
	ds  spec.DittoServer

	// observed caches the observed objects read so far: most calls read
	// only a few, and decoding all of them would dominate a call's cost.
	observed map[resource.Name]*composed.Unstructured
	// desired are the objects this function composes, in this call.
	desired map[resource.Name]*desiredObject
	status  v1alpha1.DittoServerStatus

	// random generates the Secrets the function owns on first compose.
	random io.Reader
	// connection is a legacy XR's connection details.
	connection resource.ConnectionDetails
	// enc encodes the desired objects, from slabs they share (see
	// wire.Encoder).
	enc wire.Encoder

	// restoreSource, restoreWait and recoveryStatus are the restore's and
	// the recovery's state in this call (restore.go, recovery.go);
	// stopForRecovery scales DittoFS to 0 while a recovery needs it.
	restoreSource   *v1alpha1.RestoreSourceStatus
	restoreWait     *restoreWait
	recoveryStatus  *v1alpha1.RecoveryStatus
	stopForRecovery bool

	// restorable is the latest restorable time Percona reports, read once
	// (restorableRead) by restorableTime.
	restorable     *time.Time
	restorableRead bool
}

// compose builds every composed object, the XR status and the conditions.
func (c *composer) compose() error {
	if c.ds.Spec.Percona.Enabled && c.kindMissing(keyPerconaCluster, schemaPercona, "pgv2.percona.com/v2", "PerconaPGCluster") {
		return errPerconaNotInstalled
	}
	cluster, err := c.observedPerconaCluster()
	if err != nil {
		return err
	}
	sts, err := c.observedStatefulSet()
	if err != nil {
		return err
	}
	if err := c.bindToObserved(cluster, sts); err != nil {
		return err
	}
	if err := c.checkGuards(cluster, sts); err != nil {
		return err
	}
	if err := c.composeDatabase(cluster); err != nil {
		return err
	}
	if c.stopForRecovery, err = c.composeRecovery(sts); err != nil {
		return err
	}
	if c.ds.Spec.Percona.Enabled {
		c.restoreCondition(cluster, c.restoreWait)
	}
	if err := c.composeWorkloads(perconaReady(cluster), sts); err != nil {
		return err
	}
	if err := c.setDesired(); err != nil {
		return err
	}
	c.setRestoreStatus()
	return c.setStatus()
}

// setDesired adds the composed objects to the response, next to what earlier
// pipeline steps desired (response.To copied those). They are already
// encoded: the SDK's helper would round-trip each through JSON.
func (c *composer) setDesired() error {
	if c.rsp.GetDesired() == nil {
		c.rsp.Desired = &fnv1.State{}
	}
	if c.rsp.Desired.Resources == nil {
		c.rsp.Desired.Resources = make(map[string]*fnv1.Resource, len(c.desired))
	}
	for key, d := range c.desired {
		c.rsp.Desired.Resources[string(key)] = &fnv1.Resource{Resource: d.Resource, Ready: protoReady(d.Ready)}
	}
	return nil
}

// desiredObject is one composed object, encoded as Crossplane receives it.
type desiredObject struct {
	Resource *structpb.Struct
	Ready    resource.Ready
}

func protoReady(r resource.Ready) fnv1.Ready {
	switch r {
	case resource.ReadyTrue:
		return fnv1.Ready_READY_TRUE
	case resource.ReadyFalse:
		return fnv1.Ready_READY_FALSE
	default:
		return fnv1.Ready_READY_UNSPECIFIED
	}
}

// add puts a typed object into the desired state with its readiness.
func (c *composer) add(key resource.Name, obj runtime.Object, ready resource.Ready) error {
	build.PropagateLabels(obj, c.ds.PropagatedLabels)
	s, err := c.enc.Object(obj)
	if err != nil {
		return errors.Wrapf(err, "cannot compose %s", key)
	}
	c.desired[key] = &desiredObject{Resource: s, Ready: ready}
	return nil
}

// observedObject returns the observed object under key, or nil.
func (c *composer) observedObject(key resource.Name) *composed.Unstructured {
	if o, ok := c.observed[key]; ok {
		return o
	}
	var o *composed.Unstructured
	if r := c.req.GetObserved().GetResources()[string(key)]; r.GetResource() != nil {
		o = composed.New()
		o.Object = r.GetResource().AsMap()
	}
	if c.observed == nil {
		c.observed = map[resource.Name]*composed.Unstructured{}
	}
	c.observed[key] = o
	return o
}

// observedFields returns only the given paths of the observed object under
// key, or nil when it is not observed. Converting a whole observed object
// (a StatefulSet's pod template, a cluster's spec) costs more than the rest
// of reading it.
func (c *composer) observedFields(key resource.Name, paths ...[]string) map[string]any {
	r := c.req.GetObserved().GetResources()[string(key)].GetResource()
	if r == nil {
		return nil
	}
	return wire.PickProto(r, paths...)
}

// isObserved says whether Crossplane observed an object under key, without
// decoding it.
func (c *composer) isObserved(key resource.Name) bool {
	return c.req.GetObserved().GetResources()[string(key)].GetResource() != nil
}

// readyOnceObserved is the readiness of objects that need nothing but to
// exist: Secrets, ConfigMaps, Services, NetworkPolicies, Usages.
func (c *composer) readyOnceObserved(key resource.Name) resource.Ready {
	if c.isObserved(key) {
		return resource.ReadyTrue
	}
	return resource.ReadyFalse
}

// require asks Crossplane for a resource; Crossplane calls the function again
// with it. Requirements must be the same on every call for the same spec.
func (c *composer) require(name string, sel *fnv1.ResourceSelector) {
	if c.rsp.GetRequirements() == nil {
		c.rsp.Requirements = &fnv1.Requirements{}
	}
	if c.rsp.Requirements.Resources == nil {
		c.rsp.Requirements.Resources = map[string]*fnv1.ResourceSelector{}
	}
	c.rsp.Requirements.Resources[name] = sel
}
