package build

import (
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// PropagateLabels adds the XR's propagated labels (spec.propagateLabels) to
// a composed object, at the one point every composed object passes
// (the composer's add), so no builder can forget it: to its metadata, to the
// DittoFS pod template, and to Percona's spec.metadata, which the operator
// puts on the database's pods, Services and volumes. A label the object
// already has (the function's own, a podLabels entry on the pod) is never
// overridden. The StatefulSet's volume claim templates are left alone:
// they are immutable, so a label added there could never be applied.
func PropagateLabels(obj runtime.Object, l map[string]string) {
	if len(l) == 0 {
		return
	}
	if o, ok := obj.(metav1.Object); ok {
		o.SetLabels(addAbsent(o.GetLabels(), l))
	}
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		o.Spec.Template.Labels = addAbsent(o.Spec.Template.Labels, l)
	case *pgv2.PerconaPGCluster:
		if o.Spec.Metadata == nil {
			o.Spec.Metadata = &crunchyv1beta1.Metadata{}
		}
		o.Spec.Metadata.Labels = addAbsent(o.Spec.Metadata.Labels, l)
	}
}
