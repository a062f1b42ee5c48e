// Command echo-function serves the echo floor: function-dittofs's own
// steady-state response to an example case's request, computed once at
// startup and sent back for every request (see baseline.Echo); with
// --clone, a new copy of it made for each request.
package main

import (
	"flag"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/test/bench/baseline"
	"github.com/dittofs/function-dittofs/test/bench/baseline/serve"
)

func main() {
	root := flag.String("root", "../..", "the function-dittofs repository, whose example/ holds the case")
	example := flag.String("case", "percona-running", "the example case whose steady-state response is echoed")
	clone := flag.Bool("clone", false, "answer each call with a new proto.Clone of the response, not a copy made at startup")
	flag.IntVar(&baseline.EchoCopies, "copies", baseline.EchoCopies, "how many copies of the response to make at startup and answer from in turn")
	serve.MainWith("echo-function", func() (fnv1.FunctionRunnerServiceServer, error) {
		e, _, err := baseline.NewEcho(*root, *example, *clone)
		return e, err
	})
}
