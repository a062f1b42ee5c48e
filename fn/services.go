package fn

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

func headlessServiceName(ds dittoServer) string { return ds.Name + "-headless" }
func apiServiceName(ds dittoServer) string      { return ds.Name + "-api" }
func nfsServiceName(ds dittoServer) string      { return ds.Name + "-nfs" }
func smbServiceName(ds dittoServer) string      { return ds.Name + "-smb" }
func metricsServiceName(ds dittoServer) string  { return ds.Name + "-metrics" }

// headlessService gives the StatefulSet's pod its stable DNS name.
func headlessService(ds dittoServer) *corev1.Service {
	svc := service(ds, headlessServiceName(ds), corev1.ServiceTypeClusterIP, nil,
		servicePort(portAPI, ds.Spec.ControlPlane.Port, ds.Spec.ControlPlane.Port))
	svc.Spec.ClusterIP = corev1.ClusterIPNone
	// The pod must resolve while it is not ready yet (it is starting).
	svc.Spec.PublishNotReadyAddresses = true
	return svc
}

// apiService exposes the REST API, shaped by spec.service.
func apiService(ds dittoServer) *corev1.Service {
	s := ds.Spec
	return service(ds, apiServiceName(ds), corev1.ServiceType(s.Service.Type), s.Service.Annotations,
		servicePort(portAPI, s.ControlPlane.Port, s.ControlPlane.Port))
}

// adapterService exposes one adapter on the port clients dial (NFS 2049,
// SMB 445), forwarding to where DittoFS listens (12049, 1445).
func adapterService(ds dittoServer, name, port string, a *v1alpha1.AdapterSpec) *corev1.Service {
	s := ds.Spec
	return service(ds, name, corev1.ServiceType(s.AdapterServices.Type), s.AdapterServices.Annotations,
		servicePort(port, a.ServicePort, a.Port))
}

// metricsService is what Prometheus scrapes.
func metricsService(ds dittoServer) *corev1.Service {
	m := ds.Spec.Metrics
	svc := service(ds, metricsServiceName(ds), corev1.ServiceTypeClusterIP, map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   itoa(m.Port),
		"prometheus.io/path":   m.Path,
	}, servicePort(portMetrics, m.Port, m.Port))
	svc.Labels[labelMetricsService] = "true"
	return svc
}

// labelMetricsService marks the metrics Service for the ServiceMonitor.
const labelMetricsService = "dittofs.io/metrics-service"

func service(ds dittoServer, name string, typ corev1.ServiceType, annotations map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ds.Namespace, Labels: labels(ds, componentServer), Annotations: annotations},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: selectorLabels(ds),
			Ports:    ports,
		},
	}
}

func servicePort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target), Protocol: corev1.ProtocolTCP}
}
