package security

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/crossplane/function-sdk-go/logging"

	"github.com/dittofs/function-dittofs/fn"
)

// TestPodSecurityRestricted checks every pod spec the function composes
// (the StatefulSet's pod template, init containers included) against the
// Pod Security "restricted" profile at its latest version, with the policy
// code of k8s.io/pod-security-admission, the same the API server runs.
func TestPodSecurityRestricted(t *testing.T) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	pods := 0
	for _, r := range corpusRequests(t) {
		rsp, err := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("security")).RunFunction(context.Background(), r.Req)
		if err != nil {
			t.Fatal(err)
		}
		for name, d := range rsp.GetDesired().GetResources() {
			obj := d.GetResource().AsMap()
			if obj["kind"] != "StatefulSet" {
				continue
			}
			sts := &appsv1.StatefulSet{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, sts); err != nil {
				t.Fatalf("%s: %s: %v", r.Name, name, err)
			}
			pods++
			tmpl := sts.Spec.Template
			if len(tmpl.Spec.Containers) == 0 {
				t.Errorf("%s: %s: the pod template has no containers", r.Name, name)
			}
			result := policy.AggregateCheckResults(evaluator.EvaluatePod(restricted, &tmpl.ObjectMeta, &tmpl.Spec))
			if !result.Allowed {
				t.Errorf("%s: %s violates Pod Security restricted:%s: %s", r.Name, name, restricted.Version, strings.Join(result.ForbiddenReasons, "; "))
			}
		}
	}
	if pods == 0 {
		t.Fatal("the corpus composed no StatefulSet")
	}
	t.Logf("%d pod templates pass restricted:%s", pods, restricted.Version)
}
