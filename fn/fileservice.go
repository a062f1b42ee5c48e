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
	if !build.ReconcilerApplies(c.ds, c.in) {
		why := "the Composition's function Input pins no images.reconciler"
		if c.in.Images.Reconciler != "" {
			why = "the reconciler does not yet reach a control plane served over TLS (spec.controlPlane.certSecretName)"
		}
		response.Warning(c.rsp, errors.Errorf("spec.fileService is rendered into ConfigMap %s but not applied: %s", cm.Name, why)).TargetCompositeAndClaim()
	}
	if err := c.add(keyFileService, cm, c.readyOnceObserved(keyFileService)); err != nil {
		return err
	}
	return c.composeFileServiceStatus(cm)
}
