package fn

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
)

// statefulSetRolledOut is true when the StatefulSet's controller has seen
// the current spec and every replica runs it and is ready.
func statefulSetRolledOut(sts *appsv1.StatefulSet) bool {
	if sts == nil {
		return false
	}
	want := int32(1)
	if sts.Spec.Replicas != nil {
		want = *sts.Spec.Replicas
	}
	st := sts.Status
	return st.ObservedGeneration >= sts.Generation &&
		st.Replicas == want &&
		st.ReadyReplicas == want &&
		st.UpdatedReplicas == want &&
		(st.UpdateRevision == "" || st.CurrentRevision == st.UpdateRevision)
}

func readiness(ok bool) resource.Ready {
	if ok {
		return resource.ReadyTrue
	}
	return resource.ReadyFalse
}

// observedStatefulSet decodes the observed StatefulSet, or nil.
func observedStatefulSet(o *composed.Unstructured) *appsv1.StatefulSet {
	if o == nil {
		return nil
	}
	sts := &appsv1.StatefulSet{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(pick(o.Object, statefulSetFieldsRead...), sts); err != nil {
		return &appsv1.StatefulSet{}
	}
	return sts
}

// statefulSetFieldsRead are the paths of the observed StatefulSet the
// function reads: not its pod template, the bulk of it.
var statefulSetFieldsRead = [][]string{
	{"metadata", "generation"},
	{"metadata", "annotations"},
	{"spec", "replicas"},
	{"spec", "volumeClaimTemplates"},
	{"status"},
}

// pick copies the values at paths out of obj into a new object of the same
// shape; missing paths are skipped.
func pick(obj map[string]any, paths ...[]string) map[string]any {
	out := map[string]any{}
	for _, p := range paths {
		src, dst := obj, out
		for i, k := range p {
			v, ok := src[k]
			if !ok {
				break
			}
			if i == len(p)-1 {
				dst[k] = v
				break
			}
			next, ok := v.(map[string]any)
			if !ok {
				break
			}
			if _, ok := dst[k].(map[string]any); !ok {
				dst[k] = map[string]any{}
			}
			src, dst = next, dst[k].(map[string]any)
		}
	}
	return out
}
