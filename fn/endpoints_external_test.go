package fn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// withStatus sets the status of the observed object under key.
func withStatus(t *testing.T, req *fnv1.RunFunctionRequest, key resource.Name, status string) *fnv1.RunFunctionRequest {
	t.Helper()
	r := req.GetObserved().GetResources()[string(key)]
	if r == nil {
		t.Fatalf("%s is not observed", key)
	}
	r.Resource.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(status))
	return req
}

// TestUsageReadiness: a Usage is ready when Crossplane's usage controller
// says it protects something (Ready=True), not as soon as it exists.
func TestUsageReadiness(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`
	usages := []resource.Name{keyUsageServer, keyUsageBackup}
	request := func() *fnv1.RunFunctionRequest {
		return withRequired(withObserved(xrRequest(spec), "percona-cluster", readyCluster), "s3-credentials", awsKeys)
	}
	first := compose(t, request())
	cases := map[string]struct {
		reason string
		status string // of each observed Usage; "" observes none
		want   string
	}{
		"NotObserved": {reason: "a Usage not yet applied protects nothing", want: "READY_FALSE"},
		"ObservedWithoutCondition": {
			reason: "an applied Usage the usage controller has not reconciled yet protects nothing",
			status: `{}`, want: "READY_FALSE",
		},
		"NotAvailable": {
			reason: "Ready=False: the controller could not resolve an end of the Usage",
			status: `{"conditions":[{"type":"Ready","status":"False","reason":"Unavailable","lastTransitionTime":"2026-01-01T00:00:00Z"}]}`, want: "READY_FALSE",
		},
		"Available": {
			reason: "Ready=True: the Usage holds its object",
			status: `{"conditions":[{"type":"Synced","status":"True","reason":"ReconcileSuccess","lastTransitionTime":"2026-01-01T00:00:00Z"},{"type":"Ready","status":"True","reason":"Available","lastTransitionTime":"2026-01-01T00:00:00Z"}]}`, want: "READY_TRUE",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := request()
			if tc.status != "" {
				req = observeDesired(req, first, usages...)
				for _, k := range usages {
					req = withStatus(t, req, k, tc.status)
				}
			}
			rsp := compose(t, req)
			for _, k := range usages {
				if got := rsp.GetDesired().GetResources()[string(k)].GetReady().String(); got != tc.want {
					t.Errorf("%s\n%s: ready %s, want %s", tc.reason, k, got, tc.want)
				}
			}
		})
	}
}

// TestExternalEndpoints: a LoadBalancer Service's address, once its load
// balancer reports one, is in status.endpoints.external and in the
// connection details, with the port the Service serves.
func TestExternalEndpoints(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"service":{"type":"LoadBalancer"},"adapterServices":{"type":"LoadBalancer"},"adapters":{"smb":{"enabled":true}}}`
	first := compose(t, xrRequest(spec))
	lb := func(ingress string) string { return `{"loadBalancer":{"ingress":[` + ingress + `]}}` }
	cases := map[string]struct {
		reason   string
		statuses map[resource.Name]string
		want     *v1alpha1.ExternalEndpoints
		details  map[string]string
	}{
		"NoAddressYet": {
			reason:   "a load balancer still being provisioned has no address: nothing external is reported",
			statuses: map[resource.Name]string{keyServiceNFS: `{"loadBalancer":{}}`},
		},
		"IPAndHostname": {
			reason: "an IP (most clouds) or a hostname (AWS ELB) is the host; the port is the Service's own",
			statuses: map[resource.Name]string{
				keyServiceAPI: lb(`{"ip":"203.0.113.10"}`),
				keyServiceNFS: lb(`{"hostname":"nfs.elb.example.com"}`),
				keyServiceSMB: lb(`{"ip":"2001:db8::5"}`),
			},
			want: &v1alpha1.ExternalEndpoints{API: "http://203.0.113.10:8080", NFS: "nfs.elb.example.com:2049", SMB: "[2001:db8::5]:445"},
			details: map[string]string{
				"external-api-url": "http://203.0.113.10:8080", "external-nfs-endpoint": "nfs.elb.example.com:2049", "external-smb-endpoint": "[2001:db8::5]:445",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := observeDesired(xrRequest(spec), first)
			for k, st := range tc.statuses {
				req = withStatus(t, req, k, st)
			}
			rsp := compose(t, req)
			status := desiredXRStatus(t, rsp)
			if diff := cmp.Diff(tc.want, status.Endpoints.External); diff != "" {
				t.Errorf("%s\nstatus.endpoints.external: -want, +got:\n%s", tc.reason, diff)
			}
			got := map[string]string{}
			var secret corev1.Secret
			desiredInto(t, rsp, keyConnection, &secret)
			for k, v := range secret.Data {
				if strings.HasPrefix(k, "external-") {
					got[k] = string(v)
				}
			}
			want := tc.details
			if want == nil {
				want = map[string]string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestExternalEndpointsBuilder: the builder leaves out an adapter that is
// off, whatever its Service reports.
func TestExternalEndpointsBuilder(t *testing.T) {
	s := fixture.MinimalSpec()
	s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}}
	if got := build.ExternalEndpoints(fixture.DittoServer(s), build.LoadBalancerHosts{NFS: "203.0.113.1"}); got != nil {
		t.Errorf("an NFS adapter that is off has no external endpoint: got %+v", got)
	}
}

// desiredXRStatus is the status the response gives the XR.
func desiredXRStatus(t *testing.T, rsp *fnv1.RunFunctionResponse) v1alpha1.DittoServerStatus {
	t.Helper()
	b, err := protojson.Marshal(rsp.GetDesired().GetComposite().GetResource().GetFields()["status"])
	if err != nil {
		t.Fatal(err)
	}
	var st v1alpha1.DittoServerStatus
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
