package spec

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// Defaults of DittoFS's portmapper: its setting's default port (the NFS
// adapter setting portmapper_port), and the port rpcinfo and NFS clients
// ask.
const (
	defaultPortmapperPort        int32 = 10111
	defaultPortmapperServicePort int32 = 111
)

func portmapperDefaults(p *v1alpha1.PortmapperSpec) *v1alpha1.PortmapperSpec {
	p = PtrOr(p, v1alpha1.PortmapperSpec{})
	if p.Port == 0 {
		p.Port = defaultPortmapperPort
	}
	if p.ServicePort == 0 {
		p.ServicePort = defaultPortmapperServicePort
	}
	return p
}

// validateNFSSidePorts: the portmapper and UDP are the NFS adapter's, and
// the portmapper's Service port must not be one the NFS Service already
// uses over TCP (build.nfsServicePorts).
func validateNFSSidePorts(p *field.Path, a *v1alpha1.AdaptersSpec) field.ErrorList {
	var errs field.ErrorList
	if a.SMB.Portmapper != nil {
		errs = append(errs, field.Forbidden(p.Child("smb", "portmapper"), "the portmapper is DittoFS's NFS adapter's: set spec.adapters.nfs.portmapper"))
	}
	if a.SMB.UDP != nil {
		errs = append(errs, field.Forbidden(p.Child("smb", "udp"), "the UDP transport is DittoFS's NFS adapter's (MOUNT, NLM, NSM): set spec.adapters.nfs.udp"))
	}
	nfs, pm := a.NFS, a.NFS.Portmapper
	pmPath := p.Child("nfs", "portmapper")
	errs = append(errs, validateRange(pmPath.Child("port"), int64(pm.Port), 1, 65535, "")...)
	errs = append(errs, validateRange(pmPath.Child("servicePort"), int64(pm.ServicePort), 1, 65535, "")...)
	if !pm.Enabled || !*nfs.Enabled {
		return errs
	}
	switch pm.ServicePort {
	case nfs.ServicePort:
		errs = append(errs, field.Duplicate(pmPath.Child("servicePort"), fmt.Sprintf("%d is also spec.adapters.nfs.servicePort", pm.ServicePort)))
	case nfs.Port:
		errs = append(errs, field.Duplicate(pmPath.Child("servicePort"), fmt.Sprintf("%d is also spec.adapters.nfs.port, which the NFS Service serves under its own number for the clients the portmapper sends there", pm.ServicePort)))
	}
	return errs
}
