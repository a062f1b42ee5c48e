// Command template-function serves the template baseline: a DittoServer
// composed the function-go-templating way (see baseline.Template).
package main

import (
	"github.com/dittofs/function-dittofs/test/bench/baseline"
	"github.com/dittofs/function-dittofs/test/bench/baseline/serve"
)

func main() { serve.Main("template-function", baseline.Template{}) }
