//go:build tools

// Package tools pins the Crossplane CLI (crossplane composition render,
// crossplane resource validate, crossplane xpkg) the tests drive.
package tools

import _ "github.com/crossplane/cli/v2/cmd/crossplane"
