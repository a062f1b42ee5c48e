package fn

import (
	appsv1 "k8s.io/api/apps/v1"

	"github.com/crossplane/function-sdk-go/resource"
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

// observedStatefulSet decodes the observed StatefulSet, or nil. One that
// does not decode is an error: the guards cannot check against it.
func (c *composer) observedStatefulSet() (*appsv1.StatefulSet, error) {
	fields := c.observedFields(keyStatefulSet, statefulSetFieldsRead...)
	if fields == nil {
		return nil, nil
	}
	sts := &appsv1.StatefulSet{}
	fresh := func() any { return &appsv1.StatefulSet{} }
	if err := c.decodeObserved(keyStatefulSet, "StatefulSet", fields, statefulSetFieldsRead, sts, fresh); err != nil {
		return nil, err
	}
	return sts, nil
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
