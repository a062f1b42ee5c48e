package fn

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
)

// keepObserved keeps the observed objects under keys desired as they are,
// with ready; a key with no observed object is skipped. The function uses
// it when it cannot rebuild an object this call but must not drop it
// (Crossplane deletes composed objects missing from the desired state).
func (c *composer) keepObserved(ready resource.Ready, keys ...resource.Name) error {
	for _, key := range keys {
		o := c.observedObject(key)
		if o == nil {
			continue
		}
		kept, err := structpb.NewStruct(keepAsIs(o).Object)
		if err != nil {
			return errors.Wrapf(err, "cannot keep %s", key)
		}
		c.desired[key] = &desiredObject{Resource: kept, Ready: ready}
	}
	return nil
}

// keepAsIs turns an observed object into a desired one that asks for exactly
// what is there: its identity, labels, annotations and everything but
// status and server-managed metadata.
func keepAsIs(o *composed.Unstructured) *composed.Unstructured {
	out := composed.New()
	for k, v := range o.DeepCopy().Object {
		if k == "status" || k == "metadata" {
			continue
		}
		out.Object[k] = v
	}
	meta := map[string]any{"name": o.GetName()}
	if ns := o.GetNamespace(); ns != "" {
		meta["namespace"] = ns
	}
	if l := o.GetLabels(); len(l) > 0 {
		meta["labels"] = toAnyMap(l)
	}
	if a := o.GetAnnotations(); len(a) > 0 {
		meta["annotations"] = toAnyMap(a)
	}
	out.Object["metadata"] = meta
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
