package build

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// HeadlessService gives the StatefulSet's pod its stable DNS name.
func HeadlessService(ds spec.DittoServer) *corev1.Service {
	svc := service(ds, ds.HeadlessServiceName(), corev1.ServiceTypeClusterIP, nil,
		servicePort(portAPI, ds.Spec.ControlPlane.Port, ds.Spec.ControlPlane.Port))
	svc.Spec.ClusterIP = corev1.ClusterIPNone
	// The pod must resolve while it is not ready yet (it is starting).
	svc.Spec.PublishNotReadyAddresses = true
	return svc
}

// APIService exposes the REST API, shaped by spec.service.
func APIService(ds spec.DittoServer) *corev1.Service {
	s := ds.Spec
	return exposed(service(ds, ds.APIServiceName(), corev1.ServiceType(s.Service.Type), s.Service.Annotations,
		servicePort(portAPI, s.ControlPlane.Port, s.ControlPlane.Port)), s.Service)
}

// AdapterService exposes one adapter on the port clients dial (NFS 2049,
// SMB 445), forwarding to where DittoFS listens (12049, 1445). The NFS
// Service also carries the portmapper and the UDP side protocols when they
// are on (nfsServicePorts).
func AdapterService(ds spec.DittoServer, name, port string, a *v1alpha1.AdapterSpec) *corev1.Service {
	s := ds.Spec
	ports := []corev1.ServicePort{servicePort(port, a.ServicePort, a.Port)}
	if port == PortNFS {
		ports = nfsServicePorts(a)
	}
	return exposed(service(ds, name, corev1.ServiceType(s.AdapterServices.Type), s.AdapterServices.Annotations, ports...), s.AdapterServices)
}

// exposed sets how a Service is reached from outside the cluster: the
// source ranges its load balancer admits and its external traffic policy.
// Left unset, Kubernetes' defaults apply and are not fought over.
func exposed(svc *corev1.Service, ss *v1alpha1.ServiceSpec) *corev1.Service {
	svc.Spec.LoadBalancerSourceRanges = ss.LoadBalancerSourceRanges
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicy(ss.ExternalTrafficPolicy)
	return svc
}

// MetricsService is what Prometheus scrapes: DittoFS's metrics port and,
// with the reconciler, its port (reconciler_metrics.go). The prometheus.io
// annotations name DittoFS's only: they can describe one port.
func MetricsService(ds spec.DittoServer) *corev1.Service {
	m := ds.Spec.Metrics
	svc := service(ds, ds.MetricsServiceName(), corev1.ServiceTypeClusterIP, map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   itoa(m.Port),
		"prometheus.io/path":   m.Path,
	}, servicePort(portMetrics, m.Port, m.Port))
	svc.Labels[labelMetricsService] = "true"
	svc.Spec.Ports = append(svc.Spec.Ports, reconcilerMetricsServicePorts(ds)...)
	return svc
}

// labelMetricsService marks the metrics Service for the ServiceMonitor.
const labelMetricsService = "dittofs.io/metrics-service"

func service(ds spec.DittoServer, name string, typ corev1.ServiceType, annotations map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer), Annotations: annotations},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: ds.SelectorLabels(),
			Ports:    ports,
		},
	}
}

func servicePort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target), Protocol: corev1.ProtocolTCP}
}
