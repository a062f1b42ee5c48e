package fn

import (
	appsv1 "k8s.io/api/apps/v1"

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
	if err := runtimeFromUnstructured(o.Object, sts); err != nil {
		return &appsv1.StatefulSet{}
	}
	return sts
}
