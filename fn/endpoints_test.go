package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestEndpoints(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   func(*v1alpha1.DittoServerSpec)
		in     v1beta1.Input
		want   v1alpha1.EndpointsStatus
	}{
		"Defaults": {
			reason: "An XR that sets nothing gets plain-HTTP API, NFS and SMB addresses on the default ports, and no metrics address while metrics are off.",
			spec:   func(*v1alpha1.DittoServerSpec) {},
			want: v1alpha1.EndpointsStatus{
				API: "http://files-api.storage.svc.cluster.local:8080",
				NFS: "files-nfs.storage.svc.cluster.local:2049",
				SMB: "files-smb.storage.svc.cluster.local:445",
			},
		},
		"ServicePortsAndMetrics": {
			reason: "Clients dial the Service port, not the one DittoFS listens on (NFS 2049 behind 20490), and the metrics URL carries its path.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9000}
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Port: 2049, ServicePort: 20490}, SMB: &v1alpha1.AdapterSpec{ServicePort: 4450}}
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100, Path: "/prom"}
			},
			want: v1alpha1.EndpointsStatus{
				API:     "http://files-api.storage.svc.cluster.local:9000",
				NFS:     "files-nfs.storage.svc.cluster.local:20490",
				SMB:     "files-smb.storage.svc.cluster.local:4450",
				Metrics: "http://files-metrics.storage.svc.cluster.local:9100/prom",
			},
		},
		"ServedTLSIsHTTPS": {
			reason: "A certificate on the API makes its URL https, so a client does not speak plain HTTP to a TLS listener; SMB off has no address.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls"}
				s.Adapters = &v1alpha1.AdaptersSpec{SMB: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}}
			},
			want: v1alpha1.EndpointsStatus{
				API: "https://files-api.storage.svc.cluster.local:8080",
				NFS: "files-nfs.storage.svc.cluster.local:2049",
			},
		},
		"ClusterDomainFromInput": {
			reason: "The cluster domain comes from the Input: on a cluster not named cluster.local a hard-coded suffix would not resolve.",
			spec:   func(*v1alpha1.DittoServerSpec) {},
			in:     spec.InputWithDefaults(v1beta1.Input{ClusterDomain: "k8s.example"}),
			want: v1alpha1.EndpointsStatus{
				API: "http://files-api.storage.svc.k8s.example:8080",
				NFS: "files-nfs.storage.svc.k8s.example:2049",
				SMB: "files-smb.storage.svc.k8s.example:445",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			tc.spec(&s)
			in := tc.in
			if in.ClusterDomain == "" {
				in = fixture.Input()
			}
			got := build.Endpoints(fixture.DittoServer(s), in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.Endpoints(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
