// Package wire is the function's side of the protocol's encoding: typed
// Kubernetes objects to the structpb.Struct Crossplane receives, in one pass
// and exactly as encoding/json would write them (encode.go states the
// rule), and the few fields fn reads from observed objects picked straight
// from the proto, without decoding the rest.
package wire
