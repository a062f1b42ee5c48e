package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestNetworkPolicy(t *testing.T) {
	port := func(p int32) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(p))}
	}
	policy := func(ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "files", Namespace: "storage", Labels: serverLabels},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: podSelector},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: ports}},
			},
		}
	}
	cases := map[string]struct {
		reason string
		spec   func(*v1alpha1.DittoServerSpec)
		want   *networkingv1.NetworkPolicy
	}{
		"APIAndAdaptersWherePodListens": {
			reason: "A NetworkPolicy sees the traffic after the Service forwarded it, so it must open the pod ports (12049, 1445), not the Service ports, or every NFS and SMB client is cut off.",
			spec:   func(*v1alpha1.DittoServerSpec) {},
			want:   policy(port(8080), port(12049), port(1445)),
		},
		"MetricsAddsItsPort": {
			reason: "With metrics on Prometheus must reach the metrics port through the policy, or scraping silently fails.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100} },
			want:   policy(port(8080), port(12049), port(1445), port(9100)),
		},
		// The reconciler's /metrics is admitted as DittoFS's is: with
		// metrics on, to the same peers.
		"MetricsWithTheReconcilerAddsItsPort": {
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100}
				s.FileService = declaredFileService()
			},
			want: policy(port(8080), port(12049), port(1445), port(9100), port(9091)),
		},
		"TheReconcilerWithoutMetricsIsClosed": {
			spec: func(s *v1alpha1.DittoServerSpec) { s.FileService = declaredFileService() },
			want: policy(port(8080), port(12049), port(1445)),
		},
		"DisabledAdaptersAreClosed": {
			reason: "A disabled adapter's port stays closed: nothing should listen there, and an open port is one more way in if something does.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9443}
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}, SMB: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}}
			},
			want: policy(port(9443)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			tc.spec(&s)
			got := build.NetworkPolicy(fixture.DittoServer(s))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.NetworkPolicy(ds): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestNetworkPolicyComposed: the composed form keeps the empty-looking
// parts that mean something.
func TestNetworkPolicyComposed(t *testing.T) {
	rsp := compose(t, xrRequest(`{"storage":{"metadataSize":"10Gi"},"adapters":{"smb":{"enabled":false}}}`))
	want := map[string]any{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   map[string]any{"name": "files", "namespace": "storage", "labels": anyMap(serverLabels)},
		"spec": map[string]any{
			"podSelector": map[string]any{"matchLabels": podSelectorAny()},
			"policyTypes": []any{"Ingress"},
			"ingress": []any{map[string]any{"ports": []any{
				map[string]any{"protocol": "TCP", "port": float64(8080)},
				map[string]any{"protocol": "TCP", "port": float64(12049)},
			}}},
		},
	}
	if diff := cmp.Diff(want, desiredMap(t, rsp, keyNetworkPolicy)); diff != "" {
		t.Errorf("desired NetworkPolicy: -want, +got:\n%s", diff)
	}
}

// declaredFileService is a file service that gives the pod the reconciler.
func declaredFileService() *v1alpha1.FileServiceSpec {
	return &v1alpha1.FileServiceSpec{
		MetadataStores: []v1alpha1.FileMetadataStore{{Name: "main", Type: "memory"}},
		BlockStores:    []v1alpha1.FileBlockStore{{Name: "main", Kind: "local", Type: "memory"}},
		Shares:         []v1alpha1.FileShare{{Name: "/export", MetadataStore: "main", LocalBlockStore: "main"}},
	}
}

func anyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
