package build

import (
	"fmt"
	"net"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Endpoints are the in-cluster addresses clients dial.
func Endpoints(ds spec.DittoServer, in v1beta1.Input) v1alpha1.EndpointsStatus {
	s := ds.Spec
	host := func(svc string) string { return svc + "." + ds.Namespace + ".svc." + in.ClusterDomain }
	scheme := "http"
	if s.ControlPlane.CertSecretName != "" {
		scheme = "https"
	}
	e := v1alpha1.EndpointsStatus{API: scheme + "://" + hostPort(host(ds.APIServiceName()), s.ControlPlane.Port)}
	if *s.Adapters.NFS.Enabled {
		e.NFS = hostPort(host(ds.NFSServiceName()), s.Adapters.NFS.ServicePort)
	}
	if *s.Adapters.SMB.Enabled {
		e.SMB = hostPort(host(ds.SMBServiceName()), s.Adapters.SMB.ServicePort)
	}
	if s.Metrics.Enabled {
		e.Metrics = "http://" + hostPort(host(ds.MetricsServiceName()), s.Metrics.Port) + s.Metrics.Path
	}
	return e
}

// hostPort is host:port, bracketing host if it is an IPv6 address.
func hostPort[P ~int32 | ~int](host string, port P) string {
	return net.JoinHostPort(host, fmt.Sprint(port))
}
