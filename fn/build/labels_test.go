package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/resource/composed"
)

// TestPropagateLabels: each kind of composed object, whole object compared.
func TestPropagateLabels(t *testing.T) {
	l := map[string]string{"cost-center": "cc-42", "team": "storage"}
	selector := map[string]string{"app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": "files"}
	own := map[string]string{"app.kubernetes.io/name": "dittofs", "team": "platform"}
	cases := map[string]struct {
		reason    string
		obj, want runtime.Object
	}{
		"Metadata": {
			reason: "The XR's labels are added to the object's, and a key the builder set (team here) keeps the builder's value: selectors and ownership rely on it.",
			obj:    &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Labels: own}},
			want:   &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Labels: map[string]string{"app.kubernetes.io/name": "dittofs", "team": "platform", "cost-center": "cc-42"}}},
		},
		"NoLabelsYet": {
			reason: "An object without labels gets the XR's, not a nil-map panic or nothing.",
			obj:    &corev1.ConfigMap{},
			want:   &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: l}},
		},
		"StatefulSetPodTemplate": {
			reason: "The pods carry the labels too (cost reports count pods), but the claim templates are immutable on a live StatefulSet and must stay as they are, or every apply is refused.",
			obj: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{
				Template:             corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: own}},
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "metadata", Labels: selector}}},
			}},
			want: &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: appsv1.StatefulSetSpec{
				Template:             corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": "dittofs", "team": "platform", "cost-center": "cc-42"}}},
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "metadata", Labels: selector}}},
			}},
		},
		"PerconaSpecMetadata": {
			reason: "Percona labels its pods and claims from spec.metadata, not the object's labels, so both carry them.",
			obj:    &pgv2.PerconaPGCluster{},
			want: &pgv2.PerconaPGCluster{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec:       pgv2.PerconaPGClusterSpec{Metadata: &crunchyv1beta1.Metadata{Labels: l}},
			},
		},
		"Unstructured": {
			reason: "Objects the function builds untyped (ServiceMonitor, Usage) get the labels the same way.",
			obj: func() *composed.Unstructured {
				u := composed.New()
				u.SetLabels(own)
				return u
			}(),
			want: func() *composed.Unstructured {
				u := composed.New()
				u.SetLabels(map[string]string{"app.kubernetes.io/name": "dittofs", "team": "platform", "cost-center": "cc-42"})
				return u
			}(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			PropagateLabels(tc.obj, l)
			if diff := cmp.Diff(tc.want, tc.obj); diff != "" {
				t.Errorf("%s\nPropagateLabels(obj, labels): -want, +got:\n%s", tc.reason, diff)
			}
			if own["team"] != "platform" || len(own) != 2 {
				t.Errorf("%s\nPropagateLabels(obj, labels): the builder's own label map was modified: %v", tc.reason, own)
			}
		})
	}
}
