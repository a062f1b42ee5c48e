package fn

import (
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

const errConvertStatus = "cannot convert the XR status"

// setStatus writes the XR status the function owns into the desired XR,
// keeping what earlier pipeline steps wrote under other keys, and a legacy
// XR's connection details. Written into the response directly: the SDK's
// helper round-trips the whole XR through JSON.
func (c *composer) setStatus() error {
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&c.status)
	if err != nil {
		return errors.Wrap(err, errConvertStatus)
	}
	xr := c.desiredXR()
	sv := xr.GetResource().GetFields()["status"].GetStructValue()
	if sv == nil {
		sv = &structpb.Struct{Fields: map[string]*structpb.Value{}}
		xr.Resource.Fields["status"] = structpb.NewStructValue(sv)
	}
	for k, v := range status {
		pv, err := structpb.NewValue(v)
		if err != nil {
			return errors.Wrapf(err, "cannot set status.%s", k)
		}
		sv.Fields[k] = pv
	}
	if c.connection != nil {
		if xr.ConnectionDetails == nil {
			xr.ConnectionDetails = map[string][]byte{}
		}
		for k, v := range c.connection {
			xr.ConnectionDetails[k] = v
		}
	}
	return nil
}

// desiredXR is the response's desired XR, made when no step desired one yet.
func (c *composer) desiredXR() *fnv1.Resource {
	if c.rsp.GetDesired() == nil {
		c.rsp.Desired = &fnv1.State{}
	}
	if c.rsp.GetDesired().GetComposite() == nil {
		c.rsp.Desired.Composite = &fnv1.Resource{}
	}
	if c.rsp.GetDesired().GetComposite().GetResource() == nil {
		c.rsp.Desired.Composite.Resource = &structpb.Struct{}
	}
	if c.rsp.Desired.Composite.Resource.Fields == nil {
		c.rsp.Desired.Composite.Resource.Fields = map[string]*structpb.Value{}
	}
	return c.rsp.GetDesired().GetComposite()
}
