package build

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// NetworkPolicy admits traffic to the DittoFS pod only on the ports it
// serves: the API, the enabled adapters and metrics (DittoFS's and the
// reconciler's). Egress is left alone:
// DittoFS reaches its database and S3 block stores.
func NetworkPolicy(ds spec.DittoServer) *networkingv1.NetworkPolicy {
	var ports []networkingv1.NetworkPolicyPort
	for _, p := range containerPorts(ds.Spec) {
		ports = append(ports, networkingv1.NetworkPolicyPort{Protocol: &p.Protocol, Port: ptr.To(intstr.FromInt32(p.ContainerPort))})
	}
	ports = append(ports, reconcilerMetricsPolicyPorts(ds)...)
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ds.Name, Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: ds.SelectorLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: ports, From: admitted(ds)}},
		},
	}
}

// admitted are the peers the user admits (spec.networkPolicy.from); nil
// admits any source.
func admitted(ds spec.DittoServer) []networkingv1.NetworkPolicyPeer {
	if np := ds.Spec.NetworkPolicy; np != nil {
		return np.From
	}
	return nil
}
