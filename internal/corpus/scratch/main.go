package main

import (
	"context"
	"fmt"
	"os"

	"github.com/crossplane/function-sdk-go/logging"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/corpus"
)

func main() {
	c, err := corpus.LoadExample("/work/main", os.Args[1])
	if err != nil { panic(err) }
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("x"))
	rsp, _ := f.RunFunction(context.Background(), c.Request())
	req := c.Resolve(rsp.GetRequirements())
	rsp2, _ := f.RunFunction(context.Background(), req)
	fmt.Fprintln(os.Stderr, "req bytes", proto.Size(req), "rsp bytes", proto.Size(rsp2), "stable", proto.Equal(rsp.GetRequirements(), rsp2.GetRequirements()))
	js, _ := protojson.Marshal(rsp2)
	y, _ := yaml.JSONToYAML(js)
	os.Stdout.Write(y)
}
