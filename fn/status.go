package fn

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/response"
)

// setStatus writes the XR status the function owns, keeping what earlier
// pipeline steps wrote under other keys.
func (c *composer) setStatus() error {
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&c.status)
	if err != nil {
		return fmt.Errorf("cannot convert the XR status: %w", err)
	}
	for k, v := range status {
		if err := c.dxr.Resource.SetValue("status."+k, v); err != nil {
			return fmt.Errorf("cannot set status.%s: %w", k, err)
		}
	}
	if c.connection != nil {
		c.dxr.ConnectionDetails = c.connection
	}
	if err := response.SetDesiredCompositeResource(c.rsp, c.dxr); err != nil {
		return fmt.Errorf("cannot set the desired XR: %w", err)
	}
	return nil
}
