package fn

import (
	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/build"
)

// composeFileService adds the declared file service's ConfigMap when the XR
// declares one. It is not part of the pod's config hash: the reconciler
// applies a change to it without restarting DittoFS (docs/fileservice.md).
func (c *composer) composeFileService() error {
	cm, err := build.FileServiceConfigMap(c.ds)
	if err != nil || cm == nil {
		return err
	}
	if !build.ReconcilerApplies(c.ds) {
		response.Warning(c.rsp, errors.Errorf("spec.fileService is rendered into ConfigMap %s but not applied: DittoFS's API requires client certificates (spec.controlPlane.clientCASecretName), and the reconciler has none yet; unset clientCASecretName to have the declaration applied", cm.Name)).TargetCompositeAndClaim()
	}
	if err := c.add(keyFileService, cm, c.readyOnceObserved(keyFileService)); err != nil {
		return err
	}
	return c.composeFileServiceStatus(cm)
}
