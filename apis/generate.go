//go:build generate

// Regenerates the XRDs under apis/configuration and apis/legacy from the Go
// types in apis/v1alpha1. `go generate ./...` sets the generate build tag
// itself, so this file is seen by go generate and left out of builds.

//go:generate go run ../hack/genxrd -root ..

package apis
