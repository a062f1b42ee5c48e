package fn

import (
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
	if err := c.add(keyFileService, cm, c.readyOnceObserved(keyFileService)); err != nil {
		return err
	}
	return c.composeFileServiceStatus(cm)
}
