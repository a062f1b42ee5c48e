package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

func TestValidateNetworkPolicyFrom(t *testing.T) {
	monitoring := &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}}
	cases := map[string]struct {
		reason string
		from   []networkingv1.NetworkPolicyPeer
		want   []string
	}{
		"Valid": {
			reason: "A namespace selector, a pod selector with it, and an ipBlock with a strict subset excepted are what users write: none may be refused.",
			from: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: monitoring},
				{NamespaceSelector: monitoring, PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "prometheus"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "2001:db8::/32"}},
			},
		},
		"EmptyPeer": {
			reason: "The API server refuses an empty peer; refused here, the XR names it instead of an apply error on a composed object.",
			from:   []networkingv1.NetworkPolicyPeer{{}},
			want:   []string{"spec.networkPolicy.from[0]: Required value: a peer needs podSelector, namespaceSelector (or both) or ipBlock; an empty peer admits nothing the API server accepts"},
		},
		"BadCIDRs": {
			reason: "A CIDR that does not parse, and an except outside its block or equal to it, are each named with their index.",
			from: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16", "10.0.0.0/8", "nope"}}},
			},
			want: []string{
				`spec.networkPolicy.from[0].ipBlock.cidr: Invalid value: "10.0.0.0": must be a CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32`,
				`spec.networkPolicy.from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of 10.0.0.0/8`,
				`spec.networkPolicy.from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of 10.0.0.0/8`,
				`spec.networkPolicy.from[1].ipBlock.except[2]: Invalid value: "nope": must be a CIDR, e.g. 10.1.0.0/16`,
			},
		},
		"IPBlockWithSelector": {
			reason: "ipBlock and a selector in one peer is refused by the API server: the fix is two peers.",
			from:   []networkingv1.NetworkPolicyPeer{{NamespaceSelector: monitoring, IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}},
			want:   []string{"spec.networkPolicy.from[0].ipBlock: Forbidden: ipBlock cannot be combined with podSelector or namespaceSelector in one peer; write them as two peers"},
		},
		"BadSelector": {
			reason: "A selector operator Kubernetes does not know would select nothing or fail at apply: named with its path.",
			from: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: "Near", Values: []string{"x"}},
			}}}},
			want: []string{`spec.networkPolicy.from[0].podSelector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range validateNetworkPolicyFrom(field.NewPath("spec", "networkPolicy", "from"), &v1alpha1.NetworkPolicySpec{From: tc.from}) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nvalidateNetworkPolicyFrom(p, np): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
