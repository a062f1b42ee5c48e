package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestValidateExposure: source ranges and the traffic policy are refused,
// each naming its field and the fix, where they cannot apply.
func TestValidateExposure(t *testing.T) {
	cases := map[string]struct {
		reason  string
		service v1alpha1.ServiceSpec
		want    []string
	}{
		"LoadBalancerWithBoth": {
			reason:  "a LoadBalancer takes source ranges (IPv4 and IPv6) and either policy",
			service: v1alpha1.ServiceSpec{Type: "LoadBalancer", LoadBalancerSourceRanges: []string{"203.0.113.0/24", "2001:db8::/32"}, ExternalTrafficPolicy: "Local"},
		},
		"NodePortWithPolicy": {reason: "a NodePort takes outside traffic too", service: v1alpha1.ServiceSpec{Type: "NodePort", ExternalTrafficPolicy: "Cluster"}},
		"NotACIDR": {
			reason:  "an address without its prefix length is not a range",
			service: v1alpha1.ServiceSpec{Type: "LoadBalancer", LoadBalancerSourceRanges: []string{"203.0.113.7"}},
			want:    []string{`spec.service.loadBalancerSourceRanges[0]: Invalid value: "203.0.113.7": must be a CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32`},
		},
		"RangesWithoutLoadBalancer": {
			reason:  "a ClusterIP Service has no load balancer to restrict",
			service: v1alpha1.ServiceSpec{Type: "ClusterIP", LoadBalancerSourceRanges: []string{"10.0.0.0/8"}},
			want:    []string{"spec.service.loadBalancerSourceRanges: Forbidden: only a Service of type LoadBalancer has a load balancer to restrict; set spec.service.type: LoadBalancer"},
		},
		"PolicyOnClusterIP": {
			reason:  "a ClusterIP Service takes no traffic from outside the cluster",
			service: v1alpha1.ServiceSpec{Type: "ClusterIP", ExternalTrafficPolicy: "Local"},
			want:    []string{"spec.service.externalTrafficPolicy: Forbidden: only a Service of type NodePort or LoadBalancer takes traffic from outside the cluster; set spec.service.type: NodePort or LoadBalancer"},
		},
		"UnknownPolicy": {
			reason:  "the policy is Cluster or Local",
			service: v1alpha1.ServiceSpec{Type: "LoadBalancer", ExternalTrafficPolicy: "Nearest"},
			want:    []string{`spec.service.externalTrafficPolicy: Unsupported value: "Nearest": supported values: "Cluster", "Local"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.Service = &tc.service
			var got []string
			for _, e := range spec.Validate(fixture.DittoServer(s), fixture.Input()) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nValidate(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
