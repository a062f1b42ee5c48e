package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func tcpServicePort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target), Protocol: corev1.ProtocolTCP}
}

func wantService(name string, typ corev1.ServiceType, annotations map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "storage", Labels: serverLabels, Annotations: annotations},
		Spec:       corev1.ServiceSpec{Type: typ, Selector: podSelector, Ports: ports},
	}
}

// TestServices builds every Service for a spec and compares them whole.
func TestServices(t *testing.T) {
	build := func(ds spec.DittoServer) map[string]*corev1.Service {
		s := ds.Spec
		return map[string]*corev1.Service{
			"headless": build.HeadlessService(ds),
			"api":      build.APIService(ds),
			"nfs":      build.AdapterService(ds, ds.NFSServiceName(), build.PortNFS, s.Adapters.NFS),
			"smb":      build.AdapterService(ds, ds.SMBServiceName(), build.PortSMB, s.Adapters.SMB),
			"metrics":  build.MetricsService(ds),
		}
	}
	headless := func(port int32) *corev1.Service {
		svc := wantService("files-headless", corev1.ServiceTypeClusterIP, nil, tcpServicePort("api", port, port))
		svc.Spec.ClusterIP = "None"
		svc.Spec.PublishNotReadyAddresses = true
		return svc
	}
	metrics := func(port int32, path, portString string, more ...corev1.ServicePort) *corev1.Service {
		svc := wantService("files-metrics", corev1.ServiceTypeClusterIP,
			map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": portString, "prometheus.io/path": path},
			append([]corev1.ServicePort{tcpServicePort("metrics", port, port)}, more...)...)
		svc.Labels = map[string]string{}
		for k, v := range serverLabels {
			svc.Labels[k] = v
		}
		svc.Labels["dittofs.io/metrics-service"] = "true"
		return svc
	}

	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   map[string]*corev1.Service
	}{
		"Defaults": {
			reason: "Clients reach the adapters on their standard ports (2049, 445), forwarded to where DittoFS listens on first boot (12049, 1445: unprivileged); the headless Service publishes pods before they are ready so the StatefulSet's DNS names exist.",
			spec:   fixture.MinimalSpec(),
			want: map[string]*corev1.Service{
				"headless": headless(8080),
				"api":      wantService("files-api", corev1.ServiceTypeClusterIP, nil, tcpServicePort("api", 8080, 8080)),
				"nfs":      wantService("files-nfs", corev1.ServiceTypeLoadBalancer, nil, tcpServicePort("nfs", 2049, 12049)),
				"smb":      wantService("files-smb", corev1.ServiceTypeLoadBalancer, nil, tcpServicePort("smb", 445, 1445)),
				"metrics":  metrics(9090, "/metrics", "9090"),
			},
		},
		// With the reconciler, the metrics Service also serves its
		// /metrics port; the annotations still name DittoFS's.
		"TheReconcilersMetricsPort": {
			spec: func() v1alpha1.DittoServerSpec {
				s := fixture.MinimalSpec()
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true}
				s.FileService = declaredFileService()
				return s
			}(),
			want: map[string]*corev1.Service{
				"headless": headless(8080),
				"api":      wantService("files-api", corev1.ServiceTypeClusterIP, nil, tcpServicePort("api", 8080, 8080)),
				"nfs":      wantService("files-nfs", corev1.ServiceTypeLoadBalancer, nil, tcpServicePort("nfs", 2049, 12049)),
				"smb":      wantService("files-smb", corev1.ServiceTypeLoadBalancer, nil, tcpServicePort("smb", 445, 1445)),
				"metrics":  metrics(9090, "/metrics", "9090", tcpServicePort("reconciler", 9091, 9091)),
			},
		},
		"TypesAnnotationsAndPortsFromSpec": {
			reason: "The API and adapter Services take their own type and annotations (an internal load balancer for the adapters only), and every port set reaches both sides of its Service.",
			spec: func() v1alpha1.DittoServerSpec {
				s := fixture.MinimalSpec()
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9000}
				s.Service = &v1alpha1.ServiceSpec{Type: "NodePort", Annotations: map[string]string{"a": "1"}}
				s.AdapterServices = &v1alpha1.ServiceSpec{Type: "ClusterIP", Annotations: map[string]string{"lb": "internal"}}
				s.Adapters = &v1alpha1.AdaptersSpec{
					NFS: &v1alpha1.AdapterSpec{Port: 2049, ServicePort: 20490},
					SMB: &v1alpha1.AdapterSpec{Enabled: ptr.To(true), Port: 4450, ServicePort: 4451},
				}
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100, Path: "/prom"}
				return s
			}(),
			want: map[string]*corev1.Service{
				"headless": headless(9000),
				"api":      wantService("files-api", corev1.ServiceTypeNodePort, map[string]string{"a": "1"}, tcpServicePort("api", 9000, 9000)),
				"nfs":      wantService("files-nfs", corev1.ServiceTypeClusterIP, map[string]string{"lb": "internal"}, tcpServicePort("nfs", 20490, 2049)),
				"smb":      wantService("files-smb", corev1.ServiceTypeClusterIP, map[string]string{"lb": "internal"}, tcpServicePort("smb", 4451, 4450)),
				"metrics":  metrics(9100, "/prom", "9100"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := build(fixture.DittoServer(tc.spec))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.*Service(ds): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestServicesComposed: which Services RunFunction composes, and that an
// unset nodePort or a false publishNotReadyAddresses is never asserted.
func TestServicesComposed(t *testing.T) {
	// serviceSpec is a composed Service's spec with one port, as encoded.
	serviceSpec := func(typ, port string, number, target float64) map[string]any {
		return map[string]any{
			"type": typ, "selector": podSelectorAny(),
			"ports": []any{map[string]any{"name": port, "port": number, "targetPort": target, "protocol": "TCP"}},
		}
	}
	headless := func() map[string]any {
		s := serviceSpec("ClusterIP", "api", 8080, 8080)
		s["clusterIP"], s["publishNotReadyAddresses"] = "None", true
		return s
	}

	cases := map[string]struct {
		reason string
		spec   string
		want   map[string]map[string]any
	}{
		"DefaultsHaveNoMetricsService": {
			reason: "By default the adapters are reachable from outside (LoadBalancer) and no metrics Service exists; no nodePort is written (a 0 would fight the port the API server allocates) and no false publishNotReadyAddresses.",
			spec:   `{"storage":{"metadataSize":"10Gi"}}`,
			want: map[string]map[string]any{
				"service-headless": headless(),
				"service-api":      serviceSpec("ClusterIP", "api", 8080, 8080),
				"service-nfs":      serviceSpec("LoadBalancer", "nfs", 2049, 12049),
				"service-smb":      serviceSpec("LoadBalancer", "smb", 445, 1445),
			},
		},
		"AdaptersOffMetricsOn": {
			reason: "A disabled adapter has no Service (it would expose a port nothing serves), and metrics on add the metrics Service.",
			spec:   `{"storage":{"metadataSize":"10Gi"},"adapters":{"nfs":{"enabled":false},"smb":{"enabled":false}},"metrics":{"enabled":true}}`,
			want: map[string]map[string]any{
				"service-headless": headless(),
				"service-api":      serviceSpec("ClusterIP", "api", 8080, 8080),
				"service-metrics":  serviceSpec("ClusterIP", "metrics", 9090, 9090),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, xrRequest(tc.spec))
			got := map[string]map[string]any{}
			for _, k := range desiredKeys(rsp) {
				if len(k) > 8 && k[:8] == "service-" {
					got[k] = desiredMap(t, rsp, resource.Name(k))["spec"].(map[string]any)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): desired Service specs: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func podSelectorAny() map[string]any {
	return map[string]any{"app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": "files"}
}
