package build

import (
	"strings"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// ShareStatuses are the declared shares as clients reach them, in the
// spec's order: the NFS and SMB URLs from the Services' in-cluster names
// and ports (Endpoints). Applied is left false: only the reconciler's
// report sets it.
func ShareStatuses(ds spec.DittoServer, in v1beta1.Input) []v1alpha1.ShareStatus {
	if !spec.FileServiceDeclared(ds.Spec) {
		return nil
	}
	e := Endpoints(ds, in)
	var out []v1alpha1.ShareStatus
	for _, sh := range ds.Spec.FileService.Shares {
		st := v1alpha1.ShareStatus{Name: sh.Name}
		if e.NFS != "" {
			st.NFS = "nfs://" + e.NFS + sh.Name
		}
		if e.SMB != "" {
			// The SMB share name is the share's without its leading slash.
			st.SMB = "smb://" + e.SMB + "/" + strings.TrimPrefix(sh.Name, "/")
		}
		out = append(out, st)
	}
	return out
}
