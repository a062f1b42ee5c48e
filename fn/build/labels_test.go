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
		obj, want runtime.Object
	}{
		"Metadata": {
			obj:  &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Labels: own}},
			want: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Labels: map[string]string{"app.kubernetes.io/name": "dittofs", "team": "platform", "cost-center": "cc-42"}}},
		},
		"NoLabelsYet": {
			obj:  &corev1.ConfigMap{},
			want: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: l}},
		},
		// The pod template too, podLabels first; the claim templates are
		// immutable and stay as they are.
		"StatefulSetPodTemplate": {
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
			obj: &pgv2.PerconaPGCluster{},
			want: &pgv2.PerconaPGCluster{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec:       pgv2.PerconaPGClusterSpec{Metadata: &crunchyv1beta1.Metadata{Labels: l}},
			},
		},
		"Unstructured": {
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
				t.Errorf("PropagateLabels(): -want, +got:\n%s", diff)
			}
			if own["team"] != "platform" || len(own) != 2 {
				t.Errorf("the builder's own label map was modified: %v", own)
			}
		})
	}
}
