//go:build tools

// Package tools pins the Percona Operator for PostgreSQL v2.9.0, which the
// e2e test runs as a process to reconcile the composed PerconaPGCluster.
// Its go.mod comes from `go get` alone: `go mod tidy` fails on two of the
// operator's test-only dependencies whose checksums the sum database does
// not serve (see build.sh).
package tools

import _ "github.com/percona/percona-postgresql-operator/v2/cmd/postgres-operator"
