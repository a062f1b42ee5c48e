// Package build holds the pure builders: one file per composed kind, each a
// function of a spec.DittoServer (and the Composition Input, and values fn
// read from observed objects) that returns the typed object to compose. No
// builder reads the request or writes the response; fn decides what is
// composed and when, and wire encodes what the builders return.
//
// A new composed kind is a new file here with its table test, one call and
// resource key in fn (names.go, workloads.go or database.go), its kind in
// wire/scheme.go when it is a typed object, the ClusterRole in
// apis/rbac/clusterrole.yaml, and the render goldens.
package build
