//go:build tools

// Package tools pins the DittoFS server (dfs) the boot test runs. Its SQLite
// driver is pure Go (glebarez/sqlite on modernc.org/sqlite), so it builds
// with CGO_ENABLED=0 like the other tools.
package tools

import _ "github.com/marmos91/dittofs/cmd/dfs"
