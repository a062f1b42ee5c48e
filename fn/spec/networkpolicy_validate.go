package spec

import (
	"net"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// validateNetworkPolicyFrom checks the admitted peers as the API server
// checks a NetworkPolicy's ingress from (pkg/apis/networking/validation in
// Kubernetes): otherwise a bad peer would be reported only when Crossplane
// applies the NetworkPolicy, as an event on a composed object, and the
// previous policy would stay in force while the XR says nothing.
func validateNetworkPolicyFrom(p *field.Path, np *v1alpha1.NetworkPolicySpec) field.ErrorList {
	if np == nil {
		return nil
	}
	var errs field.ErrorList
	for i, peer := range np.From {
		errs = append(errs, validatePeer(p.Index(i), peer)...)
	}
	return errs
}

func validatePeer(p *field.Path, peer networkingv1.NetworkPolicyPeer) field.ErrorList {
	var errs field.ErrorList
	selectors := peer.PodSelector != nil || peer.NamespaceSelector != nil
	switch {
	case peer.IPBlock == nil && !selectors:
		return append(errs, field.Required(p, "a peer needs podSelector, namespaceSelector (or both) or ipBlock; an empty peer admits nothing the API server accepts"))
	case peer.IPBlock != nil && selectors:
		errs = append(errs, field.Forbidden(p.Child("ipBlock"), "ipBlock cannot be combined with podSelector or namespaceSelector in one peer; write them as two peers"))
	}
	errs = append(errs, validatePeerSelector(p.Child("podSelector"), peer.PodSelector)...)
	errs = append(errs, validatePeerSelector(p.Child("namespaceSelector"), peer.NamespaceSelector)...)
	if b := peer.IPBlock; b != nil {
		errs = append(errs, validateIPBlock(p.Child("ipBlock"), b)...)
	}
	return errs
}

func validatePeerSelector(p *field.Path, s *metav1.LabelSelector) field.ErrorList {
	if s == nil {
		return nil
	}
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, p)
}

func validateIPBlock(p *field.Path, b *networkingv1.IPBlock) field.ErrorList {
	_, block, err := net.ParseCIDR(b.CIDR)
	if err != nil {
		return field.ErrorList{field.Invalid(p.Child("cidr"), b.CIDR, "must be a CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32")}
	}
	var errs field.ErrorList
	blockOnes, _ := block.Mask.Size()
	for i, e := range b.Except {
		_, except, err := net.ParseCIDR(e)
		if err != nil {
			errs = append(errs, field.Invalid(p.Child("except").Index(i), e, "must be a CIDR, e.g. 10.1.0.0/16"))
			continue
		}
		exceptOnes, _ := except.Mask.Size()
		if !block.Contains(except.IP) || exceptOnes <= blockOnes {
			errs = append(errs, field.Invalid(p.Child("except").Index(i), e, "must be a strict subset of "+b.CIDR))
		}
	}
	return errs
}
