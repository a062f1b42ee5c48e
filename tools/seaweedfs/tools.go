//go:build tools

// Package tools pins SeaweedFS, whose `weed server -s3` is the real S3
// server the restore drill (test/dr) backs up to with pgBackRest: SigV4
// identities, TLS, path-style buckets, all in one process on 127.0.0.1.
// It builds with CGO_ENABLED=0 like the other tools.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
