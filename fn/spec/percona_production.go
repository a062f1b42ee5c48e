package spec

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// defaultPGBouncerReplicas is the XRD's default.
const defaultPGBouncerReplicas int32 = 1

// proxyDefaults fills spec.percona.proxy.pgBouncer so the builders need no
// nil checks.
func proxyDefaults(p *v1alpha1.PerconaProxySpec) *v1alpha1.PerconaProxySpec {
	p = PtrOr(p, v1alpha1.PerconaProxySpec{})
	p.PGBouncer = PtrOr(p.PGBouncer, v1alpha1.PerconaPGBouncerSpec{})
	p.PGBouncer.Replicas = PtrOr(p.PGBouncer.Replicas, defaultPGBouncerReplicas)
	return p
}

// PGBouncerEnabled says spec.percona.proxy.pgBouncer.enabled on a composed
// cluster.
func (ds DittoServer) PGBouncerEnabled() bool {
	p := ds.Spec.Percona
	return p.Enabled && p.Proxy != nil && p.Proxy.PGBouncer != nil && p.Proxy.PGBouncer.Enabled
}

// validatePerconaProduction checks the production shape of the cluster:
// the instances' resources and scheduling, the repository host, the
// PostgreSQL parameters and PgBouncer. The API server checks the pods the
// operator makes from these only when the operator makes them, so a bad
// value would surface as an operator event long after the XR was accepted.
func validatePerconaProduction(p *field.Path, pc *v1alpha1.PerconaConfig) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateResources(p.Child("resources"), pc.Resources)...)
	errs = append(errs, validateTopologySpread(p.Child("topologySpreadConstraints"), pc.TopologySpreadConstraints)...)
	errs = append(errs, validateTolerations(p.Child("tolerations"), pc.Tolerations)...)
	errs = append(errs, validateNodeSelector(p.Child("nodeSelector"), pc.NodeSelector)...)
	if pc.PriorityClassName != nil {
		if msgs := validation.IsDNS1123Subdomain(*pc.PriorityClassName); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("priorityClassName"), *pc.PriorityClassName, "must be a PriorityClass name: "+strings.Join(msgs, "; ")))
		}
	}
	if pc.RepoHost != nil {
		errs = append(errs, validateResources(p.Child("repoHost", "resources"), pc.RepoHost.Resources)...)
	}
	if pc.PostgreSQL != nil {
		errs = append(errs, validatePostgresParameters(p.Child("postgresql", "parameters"), pc.PostgreSQL.Parameters, *pc.Replicas)...)
	}
	if b := pc.Proxy.PGBouncer; b.Enabled {
		errs = append(errs, validateRange(p.Child("proxy", "pgBouncer", "replicas"), int64(*b.Replicas), 1, 5, "")...)
		errs = append(errs, validateResources(p.Child("proxy", "pgBouncer", "resources"), b.Resources)...)
	}
	return errs
}

// validateResources: no request above its limit, nothing negative, as the
// API server will check the operator's pods.
func validateResources(p *field.Path, r *corev1.ResourceRequirements) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	for _, name := range sortedResourceNames(r.Requests, r.Limits) {
		if q, ok := r.Requests[name]; ok && q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("requests", string(name)), q.String(), "must not be negative"))
		}
		if q, ok := r.Limits[name]; ok && q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("limits", string(name)), q.String(), "must not be negative"))
		}
		req, hasReq := r.Requests[name]
		limit, hasLimit := r.Limits[name]
		if hasReq && hasLimit && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests", string(name)), req.String(), fmt.Sprintf("must be less than or equal to the limit (%s)", limit.String())))
		}
	}
	return errs
}

func sortedResourceNames(lists ...corev1.ResourceList) []corev1.ResourceName {
	seen := map[corev1.ResourceName]bool{}
	var names []corev1.ResourceName
	for _, l := range lists {
		for n := range l {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

func validateTopologySpread(p *field.Path, list []corev1.TopologySpreadConstraint) field.ErrorList {
	var errs field.ErrorList
	for i, c := range list {
		ip := p.Index(i)
		if c.MaxSkew < 1 {
			errs = append(errs, field.Invalid(ip.Child("maxSkew"), c.MaxSkew, "must be at least 1"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(ip.Child("topologyKey"), "a node label, e.g. topology.kubernetes.io/zone"))
		}
		errs = append(errs, validateEnum(ip.Child("whenUnsatisfiable"), string(c.WhenUnsatisfiable), string(corev1.DoNotSchedule), string(corev1.ScheduleAnyway))...)
	}
	return errs
}

func validateTolerations(p *field.Path, list []corev1.Toleration) field.ErrorList {
	var errs field.ErrorList
	for i, t := range list {
		ip := p.Index(i)
		op := OrDefault(string(t.Operator), string(corev1.TolerationOpEqual))
		if bad := validateEnum(ip.Child("operator"), op, string(corev1.TolerationOpEqual), string(corev1.TolerationOpExists)); len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		if op == string(corev1.TolerationOpExists) && t.Value != "" {
			errs = append(errs, field.Invalid(ip.Child("value"), t.Value, "must be empty with operator Exists"))
		}
		if t.Key == "" && op != string(corev1.TolerationOpExists) {
			errs = append(errs, field.Invalid(ip.Child("operator"), op, "must be Exists when the key is empty (tolerate every taint)"))
		}
		if t.Effect != "" {
			errs = append(errs, validateEnum(ip.Child("effect"), string(t.Effect), string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute))...)
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(ip.Child("tolerationSeconds"), *t.TolerationSeconds, "only with effect NoExecute"))
		}
	}
	return errs
}

func validateNodeSelector(p *field.Path, sel map[string]string) field.ErrorList {
	var errs field.ErrorList
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Key(k), k, "must be a node label key: "+strings.Join(msgs, "; ")))
		}
		if msgs := validation.IsValidLabelValue(sel[k]); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Key(k), sel[k], "must be a label value: "+strings.Join(msgs, "; ")))
		}
	}
	return errs
}
