package build

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// What DittoFS v0.29.0 serves beside NFS over TCP, each only once its NFS
// adapter settings turn it on (test/boot/ports_test.go checks every port
// with rpcinfo, libnfs and smbclient):
//   - the embedded portmapper, over TCP and UDP (portmapper_enabled, port
//     portmapper_port, 10111);
//   - MOUNT, NLM and NSM over UDP on the NFS port (udp_enabled). NFS itself
//     is never served over UDP, and MOUNT, NLM and NSM over TCP share the
//     NFS port: there are no separate mountd, lockd or statd ports.
//
// Not exposed: mDNS (5353/UDP) and WS-Discovery (3702/UDP, 5357/TCP).
// Both answer multicast on the pod's own link, which no Service forwards
// and no client outside the pod network reaches.
const (
	portNFSUDP     = "nfs-udp"     // container: MOUNT/NLM/NSM over UDP
	portNFSRPC     = "nfs-rpc"     // Service: the NFS port under its own number, as the portmapper hands it out
	portNFSRPCUDP  = "nfs-rpc-udp" // Service: the same over UDP
	portPortmap    = "portmap"
	portPortmapUDP = "portmap-udp"
)

// nfsSideContainerPorts are the container ports for what the NFS adapter
// serves beside NFS over TCP.
func nfsSideContainerPorts(a *v1alpha1.AdapterSpec) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	if a.UDP.Enabled {
		ports = append(ports, corev1.ContainerPort{Name: portNFSUDP, ContainerPort: a.Port, Protocol: corev1.ProtocolUDP})
	}
	if pm := a.Portmapper; pm.Enabled {
		ports = append(ports,
			corev1.ContainerPort{Name: portPortmap, ContainerPort: pm.Port, Protocol: corev1.ProtocolTCP},
			corev1.ContainerPort{Name: portPortmapUDP, ContainerPort: pm.Port, Protocol: corev1.ProtocolUDP})
	}
	return ports
}

// nfsServicePorts are the NFS Service's ports: NFS where clients dial it
// (2049), and with the portmapper the portmapper where clients ask it
// (111) and the NFS port under the number the portmapper hands out (the
// one DittoFS listens on, 12049): a client that asked the portmapper dials
// the Service's address at that port. MOUNT, NLM and NSM over UDP are
// served on the same number.
func nfsServicePorts(a *v1alpha1.AdapterSpec) []corev1.ServicePort {
	ports := []corev1.ServicePort{servicePort(PortNFS, a.ServicePort, a.Port)}
	pm := a.Portmapper
	if pm.Enabled && a.ServicePort != a.Port {
		ports = append(ports, servicePort(portNFSRPC, a.Port, a.Port))
	}
	if a.UDP.Enabled {
		ports = append(ports, udpServicePort(portNFSRPCUDP, a.Port, a.Port))
	}
	if pm.Enabled {
		ports = append(ports, servicePort(portPortmap, pm.ServicePort, pm.Port), udpServicePort(portPortmapUDP, pm.ServicePort, pm.Port))
	}
	return ports
}

func udpServicePort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target), Protocol: corev1.ProtocolUDP}
}
