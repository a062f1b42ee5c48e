package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestServiceExposure: the API and adapter Services carry the source ranges
// and traffic policy of their own ServiceSpec, and nothing when unset (so
// Kubernetes' default externalTrafficPolicy is not fought over).
func TestServiceExposure(t *testing.T) {
	cases := map[string]struct {
		reason      string
		service     *v1alpha1.ServiceSpec
		adapters    *v1alpha1.ServiceSpec
		wantAPI     corev1.ServiceSpec
		wantAdapter corev1.ServiceSpec
	}{
		"Unset": {
			reason:   "without the fields the Services leave both to Kubernetes",
			service:  &v1alpha1.ServiceSpec{Type: "LoadBalancer"},
			adapters: &v1alpha1.ServiceSpec{Type: "ClusterIP"},
			wantAPI:  corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}, wantAdapter: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP},
		},
		"EachItsOwn": {
			reason:   "the API Service follows spec.service, the adapter Services spec.adapterServices",
			service:  &v1alpha1.ServiceSpec{Type: "LoadBalancer", LoadBalancerSourceRanges: []string{"10.0.0.0/8"}},
			adapters: &v1alpha1.ServiceSpec{Type: "LoadBalancer", LoadBalancerSourceRanges: []string{"203.0.113.0/24", "2001:db8::/32"}, ExternalTrafficPolicy: "Local"},
			wantAPI:  corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerSourceRanges: []string{"10.0.0.0/8"}},
			wantAdapter: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, LoadBalancerSourceRanges: []string{"203.0.113.0/24", "2001:db8::/32"},
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			},
		},
	}
	only := func(s corev1.ServiceSpec) corev1.ServiceSpec {
		return corev1.ServiceSpec{Type: s.Type, LoadBalancerSourceRanges: s.LoadBalancerSourceRanges, ExternalTrafficPolicy: s.ExternalTrafficPolicy}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.Service, s.AdapterServices = tc.service, tc.adapters
			ds := fixture.DittoServer(s)
			if diff := cmp.Diff(tc.wantAPI, only(APIService(ds).Spec)); diff != "" {
				t.Errorf("%s\nAPIService(): -want, +got:\n%s", tc.reason, diff)
			}
			nfs := AdapterService(ds, ds.NFSServiceName(), PortNFS, ds.Spec.Adapters.NFS)
			if diff := cmp.Diff(tc.wantAdapter, only(nfs.Spec)); diff != "" {
				t.Errorf("%s\nAdapterService(nfs): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestNetworkPolicyFrom: the ingress rule admits the peers the user names,
// on the same ports; without them any source.
func TestNetworkPolicyFrom(t *testing.T) {
	clients := []networkingv1.NetworkPolicyPeer{
		{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"dittofs.io/client": "true"}}},
		{IPBlock: &networkingv1.IPBlock{CIDR: "10.20.0.0/16"}},
	}
	cases := map[string]struct {
		reason string
		np     *v1alpha1.NetworkPolicySpec
		want   []networkingv1.NetworkPolicyPeer
	}{
		"AnySource": {reason: "no spec.networkPolicy keeps today's rule: any source on the served ports"},
		"Peers":     {reason: "the named namespaces and CIDR only", np: &v1alpha1.NetworkPolicySpec{From: clients}, want: clients},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.NetworkPolicy = tc.np
			np := NetworkPolicy(fixture.DittoServer(s))
			if len(np.Spec.Ingress) != 1 {
				t.Fatalf("want one ingress rule, got %d", len(np.Spec.Ingress))
			}
			if diff := cmp.Diff(tc.want, np.Spec.Ingress[0].From); diff != "" {
				t.Errorf("%s\nNetworkPolicy().spec.ingress[0].from: -want, +got:\n%s", tc.reason, diff)
			}
			if len(np.Spec.Ingress[0].Ports) == 0 {
				t.Errorf("%s: the rule lost its ports", tc.reason)
			}
		})
	}
}
