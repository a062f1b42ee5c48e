#!/usr/bin/env bash
# ci-deps.sh: installs the system packages the tests need when a fresh
# Debian machine lacks them; a no-op when they are there. Run as root
# (.ci/run calls it before make test).
set -euo pipefail

# PostgreSQL server binaries (initdb, postgres, psql) for test/boot, which
# runs its own throwaway TLS-only server in a temp dir. No Debian "main"
# cluster is wanted: with none created, the package has nothing to start.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/function-dittofs.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi

# pgBackRest for test/pgbackrest, which runs it against what the function
# composes for the S3 endpoint (Debian's build; the parsing of
# repo1-s3-endpoint it exercises is the same since 2.37).
if ! command -v pgbackrest >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest
fi
