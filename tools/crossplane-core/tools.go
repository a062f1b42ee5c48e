//go:build tools

// Package tools pins Crossplane core, the real reconciler that
// `crossplane composition render --crossplane-binary` runs.
package tools

import _ "github.com/crossplane/crossplane/v2/cmd/crossplane"
