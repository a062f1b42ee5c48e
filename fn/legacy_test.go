package fn

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// legacyRequest is a cluster-scoped XDittoServer "files" with labels and
// spec.
func legacyRequest(t *testing.T, labels map[string]string, spec string) *fnv1.RunFunctionRequest {
	t.Helper()
	l, err := json.Marshal(labels)
	if err != nil {
		t.Fatal(err)
	}
	xr := `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files","uid":"uid-1","labels":` + string(l) + `},"spec":` + spec + `}`
	req := xrRequest(`{}`)
	req.Observed.Composite = &fnv1.Resource{Resource: resource.MustStructJSON(xr)}
	return req
}

var claimLabels = map[string]string{"crossplane.io/claim-name": "files", "crossplane.io/claim-namespace": "team-a"}

// legacyOutcome is where everything went and how the client learns to
// connect.
type legacyOutcome struct {
	Namespaces        map[string]string // desired key -> metadata.namespace
	ConnectionDetails map[string]string // desired XR connection details
	Results           []string
}

func legacyOutcomeOf(t *testing.T, rsp *fnv1.RunFunctionResponse) legacyOutcome {
	t.Helper()
	o := legacyOutcome{Namespaces: map[string]string{}, ConnectionDetails: map[string]string{}, Results: resultStrings(rsp)}
	for _, k := range desiredKeys(rsp) {
		ns, _ := desiredMap(t, rsp, resource.Name(k))["metadata"].(map[string]any)["namespace"].(string)
		o.Namespaces[k] = ns
	}
	for k, v := range rsp.GetDesired().GetComposite().GetConnectionDetails() {
		o.ConnectionDetails[k] = string(v)
	}
	return o
}

func TestLegacyXR(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"}}`
	password := base64RawURL(counting(32, 18))
	allIn := func(ns string, withConnectionSecret bool) map[string]string {
		keys := []string{"admin-secret", "config", "jwt-secret", "networkpolicy", "service-api", "service-headless", "service-nfs", "service-smb", "statefulset"}
		if withConnectionSecret {
			keys = append(keys, "connection-secret")
		}
		m := map[string]string{}
		for _, k := range keys {
			m[k] = ns
		}
		return m
	}
	details := func(ns string) map[string]string {
		return map[string]string{
			"api-url":        "http://files-api." + ns + ".svc.cluster.local:8080",
			"nfs-endpoint":   "files-nfs." + ns + ".svc.cluster.local:2049",
			"smb-endpoint":   "files-smb." + ns + ".svc.cluster.local:445",
			"admin-username": "admin",
			"admin-password": password,
		}
	}

	cases := map[string]struct {
		reason string
		req    func(t *testing.T) *fnv1.RunFunctionRequest
		want   legacyOutcome
	}{
		"ClaimNamespaceAndXRConnectionDetails": {
			reason: "A legacy XR's objects go to its claim's namespace, and its connection details go on the XR for Crossplane to write to the claim's Secret, so no connection Secret is composed.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				return legacyRequest(t, claimLabels, spec)
			},
			want: legacyOutcome{
				Namespaces:        allIn("team-a", false),
				ConnectionDetails: details("team-a"),
				Results:           []string{},
			},
		},
		"ClaimNamespaceWinsOverSpecNamespace": {
			reason: "A claim's namespace wins over spec.namespace, which the claim's user writes, so a claim cannot send its objects into another namespace.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				return legacyRequest(t, claimLabels, `{"namespace":"elsewhere","storage":{"metadataSize":"10Gi"}}`)
			},
			want: legacyOutcome{Namespaces: allIn("team-a", false), ConnectionDetails: details("team-a"), Results: []string{}},
		},
		"NoClaimSpecNamespace": {
			reason: "A legacy XR created without a claim has no claim namespace, and its objects go to the namespace its spec names.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				return legacyRequest(t, nil, `{"namespace":"ops","storage":{"metadataSize":"10Gi"}}`)
			},
			want: legacyOutcome{Namespaces: allIn("ops", false), ConnectionDetails: details("ops"), Results: []string{}},
		},
		"NoClaimNoSpecNamespaceIsFatal": {
			reason: "With neither a claim nor spec.namespace there is nowhere to put the objects: a Fatal names the field, rather than composing into an empty namespace.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				return legacyRequest(t, nil, spec)
			},
			want: legacyOutcome{
				Namespaces:        map[string]string{},
				ConnectionDetails: map[string]string{},
				Results: []string{`SEVERITY_FATAL: invalid XDittoServer "files": spec.namespace: Required value: ` +
					`a cluster-scoped XDittoServer without a claim must name the namespace its objects go to`},
			},
		},
		"ModernXRComposesConnectionSecret": {
			reason: "A modern XR's details are not on the XR (Crossplane v2 writes no connection Secret) but in a composed Secret in the XR's namespace.",
			req:    func(*testing.T) *fnv1.RunFunctionRequest { return xrRequest(spec) },
			want: legacyOutcome{
				Namespaces:        allIn("storage", true),
				ConnectionDetails: map[string]string{},
				Results:           []string{},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := legacyOutcomeOf(t, compose(t, tc.req(t)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLegacyXRWithPercona: the database side goes to the claim's namespace
// too, and the Percona user Secret DittoFS reads is there.
func TestLegacyXRWithPercona(t *testing.T) {
	req := legacyRequest(t, claimLabels, `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`)
	cluster := readyCluster
	req = withObserved(req, "percona-cluster", cluster)
	got := legacyOutcomeOf(t, compose(t, req))
	keys := make([]string, 0, len(got.Namespaces))
	for k, ns := range got.Namespaces {
		keys = append(keys, k)
		if ns != "team-a" {
			t.Errorf("%s is in namespace %q, want team-a", k, ns)
		}
	}
	sort.Strings(keys)
	want := []string{"admin-secret", "config", "jwt-secret", "networkpolicy", "percona-cluster", "service-api", "service-headless", "service-nfs", "service-smb", "statefulset", "usage-statefulset-database"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("RunFunction(): desired: -want, +got:\n%s", diff)
	}
}

// TestLegacyXRBadSpecNamesTheField: a legacy XR whose spec is unusable
// gets a result naming the field, not an internal error.
func TestLegacyXRBadSpecNamesTheField(t *testing.T) {
	cases := map[string]struct {
		reason string
		xr     string
		want   []string
	}{
		"SpecNotAnObject": {
			reason: "A spec that is not an object is a Fatal naming spec and what it is, not a decode error.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"},"spec":"x"}`,
			want:   []string{`SEVERITY_FATAL: invalid XDittoServer "files": spec: must be an object, not a string`},
		},
		"NoSpec": {
			reason: "A legacy XR without a spec gets every missing required field named in one Fatal.",
			xr:     `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files"}}`,
			want:   []string{`SEVERITY_FATAL: invalid XDittoServer "files": spec.namespace: Required value: a cluster-scoped XDittoServer without a claim must name the namespace its objects go to; spec.storage.metadataSize: Required value: the size of the metadata volume, e.g. 10Gi`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(`{}`)
			req.Observed.Composite = &fnv1.Resource{Resource: resource.MustStructJSON(tc.xr)}
			got := resultStrings(compose(t, req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): results: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
