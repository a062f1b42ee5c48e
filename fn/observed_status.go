package fn

import "github.com/dittofs/function-dittofs/fn/wire"

// observedXRStatus is the object at status.<path...> of the observed XR,
// nil when it holds none. The XR's status is the memory the function may
// keep across calls: Crossplane writes it and hands it back, so what the
// function reads there is observed, never state of its own.
func (c *composer) observedXRStatus(path ...string) map[string]any {
	xr := c.req.GetObserved().GetComposite().GetResource()
	m := wire.PickProto(xr, append([]string{"status"}, path...))
	at, _ := m["status"].(map[string]any)
	for _, p := range path {
		at, _ = at[p].(map[string]any)
	}
	return at
}
