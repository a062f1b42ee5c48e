// Command noop-function serves the no-op baseline: the floor of what any
// function on the SDK costs per request (decoding and encoding).
package main

import (
	"github.com/dittofs/function-dittofs/test/bench/baseline"
	"github.com/dittofs/function-dittofs/test/bench/baseline/serve"
)

func main() { serve.Main("noop-function", baseline.Noop{}) }
