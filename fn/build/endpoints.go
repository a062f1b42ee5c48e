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
	e := v1alpha1.EndpointsStatus{API: apiScheme(s) + "://" + hostPort(host(ds.APIServiceName()), s.ControlPlane.Port)}
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

// LoadBalancerHosts are the addresses (IP or hostname) the load balancers
// of the API, NFS and SMB Services report; "" where there is none yet.
type LoadBalancerHosts struct{ API, NFS, SMB string }

// ExternalEndpoints are the addresses clients outside the cluster dial: each
// Service's load balancer host with the port the Service serves. Nil until a
// load balancer has an address.
func ExternalEndpoints(ds spec.DittoServer, lb LoadBalancerHosts) *v1alpha1.ExternalEndpoints {
	s := ds.Spec
	e := v1alpha1.ExternalEndpoints{}
	if lb.API != "" {
		e.API = apiScheme(s) + "://" + hostPort(lb.API, s.ControlPlane.Port)
	}
	if lb.NFS != "" && *s.Adapters.NFS.Enabled {
		e.NFS = hostPort(lb.NFS, s.Adapters.NFS.ServicePort)
	}
	if lb.SMB != "" && *s.Adapters.SMB.Enabled {
		e.SMB = hostPort(lb.SMB, s.Adapters.SMB.ServicePort)
	}
	if e == (v1alpha1.ExternalEndpoints{}) {
		return nil
	}
	return &e
}

func apiScheme(s v1alpha1.DittoServerSpec) string {
	if s.ControlPlane.CertSecretName != "" {
		return "https"
	}
	return "http"
}

// hostPort is host:port, bracketing host if it is an IPv6 address.
func hostPort[P ~int32 | ~int](host string, port P) string {
	return net.JoinHostPort(host, fmt.Sprint(port))
}
