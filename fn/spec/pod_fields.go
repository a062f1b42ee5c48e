package spec

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// The label and annotation keys the function and Crossplane own. The
// function's labels select the pod (StatefulSet, Services, NetworkPolicy)
// and name the objects' part; dittofs.io/ keys mark objects (the metrics
// Service) and carry the pod's roll token (dittofs.io/config-hash);
// Crossplane tracks its composed objects by crossplane.io/ labels.
const (
	prefixFunction   = "dittofs.io/"
	prefixCrossplane = "crossplane.io/"
)

// functionLabel reports whether the function sets key on its objects.
func functionLabel(key string) bool {
	_, ok := DittoServer{}.Labels("")[key]
	return ok || strings.HasPrefix(key, prefixFunction)
}

// propagatedLabels are the XR's labels that spec.propagateLabels names, in
// a map (encoded with sorted keys). A listed key the XR does not carry is
// skipped; a key the function or Crossplane owns never propagates
// (validatePropagateLabels refuses it).
func propagatedLabels(xrLabels map[string]string, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		v, ok := xrLabels[k]
		if !ok || functionLabel(k) || strings.HasPrefix(k, prefixCrossplane) {
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// validatePodFields checks the DittoFS pod's scheduling, pulling and
// metadata fields, and spec.propagateLabels.
func validatePodFields(spec *field.Path, s v1alpha1.DittoServerSpec) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validatePodLabels(spec.Child("podLabels"), s.PodLabels)...)
	errs = append(errs, validatePodAnnotations(spec.Child("podAnnotations"), s.PodAnnotations)...)
	errs = append(errs, validatePropagateLabels(spec.Child("propagateLabels"), s.PropagateLabels)...)
	errs = append(errs, validateLabelMap(spec.Child("nodeSelector"), s.NodeSelector)...)
	if s.ImagePullPolicy != "" {
		errs = append(errs, validateEnum(spec.Child("imagePullPolicy"), string(s.ImagePullPolicy), "Always", "IfNotPresent", "Never")...)
	}
	if s.PriorityClassName != "" {
		if msgs := validation.IsDNS1123Subdomain(s.PriorityClassName); len(msgs) > 0 {
			errs = append(errs, field.Invalid(spec.Child("priorityClassName"), s.PriorityClassName, "must be a PriorityClass name: "+strings.Join(msgs, "; ")))
		}
	}
	for i, ref := range s.ImagePullSecrets {
		if msgs := validation.IsDNS1123Subdomain(ref.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(spec.Child("imagePullSecrets").Index(i).Child("name"), ref.Name, "must name a Secret of the XR's namespace: "+strings.Join(msgs, "; ")))
		}
	}
	return errs
}

// validatePodLabels refuses the labels the function sets on the pod: the
// StatefulSet's selector is immutable and the Services and NetworkPolicy
// select the pod by them, so another value would orphan the pod or let
// other pods into its Services.
func validatePodLabels(p *field.Path, m map[string]string) field.ErrorList {
	errs := validateLabelMap(p, m)
	for _, k := range sortedMapKeys(m) {
		if functionLabel(k) {
			errs = append(errs, field.Forbidden(p.Key(k), "the function sets this label on the DittoFS pod (its StatefulSet, Services and NetworkPolicy select the pod by app.kubernetes.io/name and instance); use a key of your own"))
		}
	}
	return errs
}

// validatePodAnnotations refuses dittofs.io/ keys: dittofs.io/config-hash
// is what rolls the pod when its config or Secrets change.
func validatePodAnnotations(p *field.Path, m map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedMapKeys(m) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Key(k), k, "must be an annotation key: "+strings.Join(msgs, "; ")))
		}
		if strings.HasPrefix(k, prefixFunction) {
			errs = append(errs, field.Forbidden(p.Key(k), "dittofs.io/ annotations are the function's own (dittofs.io/config-hash rolls the pod); use a key of your own"))
		}
	}
	return errs
}

// validatePropagateLabels: keys only, and none the function or Crossplane
// owns (Crossplane finds its composed objects by crossplane.io/ labels).
func validatePropagateLabels(p *field.Path, keys []string) field.ErrorList {
	var errs field.ErrorList
	for i, k := range keys {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Index(i), k, "must be a label key: "+strings.Join(msgs, "; ")))
			continue
		}
		switch {
		case functionLabel(k):
			errs = append(errs, field.Forbidden(p.Index(i), k+" is a label the function sets on its objects; it cannot be propagated"))
		case strings.HasPrefix(k, prefixCrossplane):
			errs = append(errs, field.Forbidden(p.Index(i), k+" is Crossplane's: it labels every composed object itself"))
		}
	}
	return errs
}

func validateLabelMap(p *field.Path, m map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedMapKeys(m) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Key(k), k, "must be a label key: "+strings.Join(msgs, "; ")))
		}
		if msgs := validation.IsValidLabelValue(m[k]); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Key(k), m[k], "must be a label value: "+strings.Join(msgs, "; ")))
		}
	}
	return errs
}

func sortedMapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
