#!/usr/bin/env bash
# Builds the Percona Operator for PostgreSQL v2.9.0 (cmd/postgres-operator)
# into $OUT. hack/tool.sh runs this with GOFLAGS=-mod=mod.
#
# go.mod and go.sum come from `go get` alone; `go mod tidy` fails here, on
# two test-only dependencies of the operator (percona-version-service,
# grpcmock) whose checksums the sum database does not serve, and the build
# does not need them.
#
# cgo is required: the operator parses SQL with pg_query_go, which wraps
# PostgreSQL's C parser (without cgo: "undefined: pg_query.Parse"). That
# needs a C compiler (gcc) and makes the first build slower.
set -euo pipefail
export CGO_ENABLED=1
go build -trimpath -o "$OUT/postgres-operator" github.com/percona/percona-postgresql-operator/v2/cmd/postgres-operator
