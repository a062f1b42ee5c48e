package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

func TestKeepObserved(t *testing.T) {
	const secret = `{"apiVersion":"v1","kind":"Secret","metadata":{
		"name":"s3","namespace":"ns","labels":{"app":"dittofs"},"annotations":{"a":"b"},
		"uid":"u-1","resourceVersion":"42","generation":3,"creationTimestamp":"2026-01-01T00:00:00Z",
		"managedFields":[{"manager":"crossplane"}],"ownerReferences":[{"kind":"XDittoServer","name":"x","uid":"u-0","apiVersion":"v1"}]},
		"type":"Opaque","data":{"s3.conf":"Y29uZg=="},"status":{"phase":"Bound"}}`
	const usage = `{"apiVersion":"protection.crossplane.io/v1beta1","kind":"Usage","metadata":{"name":"u"},"spec":{"replayDeletion":true}}`

	type kept struct {
		Object map[string]any
		Ready  resource.Ready
	}
	type desired map[string]kept
	cases := map[string]struct {
		reason   string
		observed map[string]string
		ready    resource.Ready
		keys     []resource.Name
		want     desired
	}{
		"ServerMetadataAndStatusDropped": {
			reason:   "Asking for the uid, resourceVersion, managedFields or status back would be refused or fight the server; what the object holds (data, labels, annotations) must stay as it is.",
			observed: map[string]string{"s3": secret},
			ready:    resource.ReadyTrue,
			keys:     []resource.Name{"s3"},
			want: desired{"s3": {Ready: resource.ReadyTrue, Object: map[string]any{
				"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
				"metadata": map[string]any{"name": "s3", "namespace": "ns", "labels": map[string]any{"app": "dittofs"}, "annotations": map[string]any{"a": "b"}},
				"data":     map[string]any{"s3.conf": "Y29uZg=="},
			}}},
		},
		"ReadyAsAsked": {
			reason:   "A failed recovery is kept but not ready, so the XR says it is not ready; the kept object must carry the readiness asked for, not a fixed one.",
			observed: map[string]string{"u": usage},
			ready:    resource.ReadyFalse,
			keys:     []resource.Name{"u"},
			want: desired{"u": {Ready: resource.ReadyFalse, Object: map[string]any{
				"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage",
				"metadata": map[string]any{"name": "u"}, "spec": map[string]any{"replayDeletion": true},
			}}},
		},
		"EveryKeyKeptNeverObservedSkipped": {
			reason:   "Each key asked for is kept, but one never composed must not appear: desiring it would create an object nobody asked for.",
			observed: map[string]string{"s3": secret, "u": usage},
			ready:    resource.ReadyTrue,
			keys:     []resource.Name{"u", "never"},
			want: desired{"u": {Ready: resource.ReadyTrue, Object: map[string]any{
				"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage",
				"metadata": map[string]any{"name": "u"}, "spec": map[string]any{"replayDeletion": true},
			}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
			for k, o := range tc.observed {
				req.Observed.Resources[k] = &fnv1.Resource{Resource: resource.MustStructJSON(o)}
			}
			c := &composer{req: req, desired: map[resource.Name]*desiredObject{}}
			if err := c.keepObserved(tc.ready, tc.keys...); err != nil {
				t.Fatalf("%s\nc.keepObserved(...): %v", tc.reason, err)
			}
			got := desired{}
			for k, d := range c.desired {
				got[string(k)] = kept{d.Resource.AsMap(), d.Ready}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nc.keepObserved(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
