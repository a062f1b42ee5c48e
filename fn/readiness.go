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
	return observedTyped[appsv1.StatefulSet](c, keyStatefulSet, "StatefulSet", statefulSetFieldsRead)
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

// readyByCondition is the readiness of objects a controller reports on:
// ready once their Ready condition is True. A Usage exists before it
// protects anything; Crossplane's usage controller marks it Available
// (Ready=True) once it has resolved both ends and owns the using object's
// deletion, and only then does it hold the database or the credentials.
func (c *composer) readyByCondition(key resource.Name) resource.Ready {
	r := c.req.GetObserved().GetResources()[string(key)].GetResource()
	for _, cond := range r.GetFields()["status"].GetStructValue().GetFields()["conditions"].GetListValue().GetValues() {
		f := cond.GetStructValue().GetFields()
		if f["type"].GetStringValue() == "Ready" {
			return readiness(f["status"].GetStringValue() == "True")
		}
	}
	return resource.ReadyFalse
}
