# function-dittofs: common tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# The example case `make render` renders (a directory under example/), and
# the local port the function serves it on.
CASE ?= percona-backup
PORT ?= 9443

TOOLS := $(notdir $(wildcard tools/*))

.PHONY: help build generate test test-unit render lint tools

help:
	@echo "build      build the function into bin/function"
	@echo "generate   regenerate deepcopy code and the input CRD (go generate)"
	@echo "test       every test: unit, render and validate, and anything slow"
	@echo "test-unit  the fast tests only (go test -short)"
	@echo "render     render example/\$$CASE (CASE=$(CASE)) with the real Crossplane CLI and core"
	@echo "lint       go vet, gofmt and golangci-lint (.golangci.yml) over every module"
	@echo "lint-go    golangci-lint alone (LINT_ARGS=--fix applies the formatters' fixes)"
	@echo "tools      build the pinned programs under tools/ (once per machine)"
	@echo "test-boot  the DittoFS boot test alone (real dfs on TLS-only PostgreSQL and SQLite)"
	@echo "test-dr    the restore drill alone (pgBackRest to SeaweedFS S3, restores, DittoFS on them)"
	@echo "e2e        the control-plane test: etcd, kube-apiserver, Crossplane, the Percona operator"
	@echo "fuzz       fuzz RunFunction for FUZZTIME (FUZZTIME=$(FUZZTIME))"
	@echo "bench      benchmarks and the gRPC load comparison; writes docs/bench.md"
	@echo "image      the runtime images, without Docker (_output/images)"
	@echo "xpkg       the Function and Configuration packages (_output/xpkg)"
	@echo "xpkg-push  push them: REGISTRY=host/org VERSION=v0.1.0"

build:
	go build -o bin/function .

# The generators sit behind the 'generate' build tag, which go generate sets
# itself, so ordinary builds don't compile them.
generate:
	go generate ./...

# make test: every suite, in the order they run. Each prints its time when
# it ends, and make test ends with the table of them (.ci/run prints it).
test: lint test-go test-packages test-bench check-xrds e2e
	@echo; echo "suites of this make test (seconds):"; cat $(SUITE_LOG)

# $(call suite,NAME,COMMAND) runs COMMAND and appends its duration and
# outcome to SUITE_LOG: one file per make run, so the table lists this run.
SUITE_LOG := _output/suites/$(shell date +%Y%m%dT%H%M%S)-$(shell echo $$PPID).log
suite = mkdir -p $(dir $(SUITE_LOG)); start=$$SECONDS; rc=0; $(2) || rc=$$?; \
	printf '%-14s %5ss  %s\n' "$(1)" "$$((SECONDS - start))" "$$([ $$rc = 0 ] && echo ok || echo FAILED)" | tee -a $(SUITE_LOG); exit $$rc

# test-go is go test over the function's module: the unit tests (fn/...,
# apis, internal), test/render (the real crossplane CLI and core), test/boot
# and test/dr (real DittoFS, PostgreSQL, pgBackRest and an S3 server),
# test/robust, test/security and test/pgbackrest. go test prints each
# package's time. The tools build first, outside go test's timeout: a
# first build takes minutes.
.PHONY: test-go
test-go: tools
	@$(call suite,test-go,go test -count=1 -timeout 30m ./...)

# The fast lane: what needs no real program (go test -short skips those).
test-unit:
	go test -short ./...

render: build tools
	PORT=$(PORT) hack/render.sh $(CASE)

# Every module: the function's and those of the tests and tools that keep
# their heavy dependencies out of it.
MODULES := . test/bench test/packages test/e2e hack/image hack/xrdcheck

lint:
	@$(call suite,lint,$(MAKE) --no-print-directory lint-all)

.PHONY: lint-all
lint-all: lint-go
	@for m in $(MODULES); do echo "go vet ($$m)"; (cd $$m && go vet ./...); done
	@out="$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# golangci-lint v2, pinned in tools/golangci-lint and configured by the root
# .golangci.yml (each module finds it from its own directory). LINT_ARGS=--fix
# applies the fixes the linters and formatters offer. --allow-parallel-runners:
# on a shared machine several clones may lint at once.
LINT_MODULES ?= $(MODULES)
.PHONY: lint-go
lint-go:
	@bin="$$(hack/tool.sh golangci-lint)"; \
	for m in $(LINT_MODULES); do echo "golangci-lint ($$m)"; (cd $$m && "$$bin/golangci-lint" run --allow-parallel-runners $(LINT_ARGS) ./...); done

tools:
	@for t in $(TOOLS); do hack/tool.sh $$t >/dev/null; done

# Packages, without a Docker engine: hack/xpkg.sh builds the runtime images
# with go-containerregistry (hack/image) and the packages with the real
# Crossplane CLI. VERSION is stamped into the binary and is the pushed tag
# (semver, e.g. VERSION=v0.1.0); REGISTRY is where xpkg-push pushes
# (REGISTRY=ghcr.io/dittofs).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
ARCHES ?= amd64 arm64
XPKG_ENV = VERSION="$(VERSION)" ARCHES="$(ARCHES)"

.PHONY: image xpkg xpkg-push test-packages

image:
	$(XPKG_ENV) hack/xpkg.sh image

xpkg: image tools
	$(XPKG_ENV) hack/xpkg.sh build

xpkg-push: xpkg
	$(XPKG_ENV) REGISTRY="$(REGISTRY)" hack/xpkg.sh push

# test/packages is a module of its own (it needs go-containerregistry, which
# the function does not), so `go test ./...` from the root skips it; `make
# test` runs it through this prerequisite.
test-packages: tools
	@$(call suite,test-packages,(cd test/packages && go test -count=1 -timeout 20m ./...))

# The DittoFS boot test alone: the real dfs server (tools/dittofs) against a
# throwaway TLS-only PostgreSQL, and on SQLite. `make test` runs it too
# (go test ./... covers test/boot). Without the PostgreSQL server binaries it
# skips those boots; hack/ci-deps.sh installs them.
.PHONY: test-boot

test-boot:
	hack/tool.sh dittofs >/dev/null
	go test -count=1 -v -timeout 10m ./test/boot/

# The restore drill alone (test/dr, docs/dr.md): pgBackRest as the function
# and the Percona operator configure it, backing up a TLS-only PostgreSQL 15
# to a real S3 server (tools/seaweedfs) over TLS, restoring it latest and to
# a point in time, and booting real DittoFS on each restore. `make test` runs
# it too (go test ./... covers test/dr). It needs pgbackrest, curl and the
# PostgreSQL server binaries (.ci/run installs them) and skips without them.
.PHONY: test-dr

test-dr:
	hack/tool.sh dittofs >/dev/null
	hack/tool.sh seaweedfs >/dev/null
	go test -count=1 -v -timeout 20m ./test/dr/

# Benchmarks. test/bench is a module of its own (the template baseline
# needs Sprig, which the function does not): `make bench` runs the
# in-process RunFunction benchmarks (BENCH_COUNT times each), then drives
# the function and its baselines as subprocesses over gRPC with mTLS: the
# echo floor (the SDK answering the same request with a fixed copy of the
# function's own response: decoding and encoding alone), a no-op function
# and a function-go-templating-style template function. BENCH_ROUNDS rounds
# interleave all four; it prints the medians with ratios and goals, and
# writes them with the machine to docs/bench.md. Only ratios carry between
# machines. `make test` runs test/bench's tests (the echo floor answers
# exactly what the function does, the template baseline composes what it
# composes), not its benchmarks.
BENCH_TIME ?= 2s
BENCH_COUNT ?= 3
BENCH_ROUNDS ?= 3
BENCH_REQUESTS ?= 2000
BENCH_OUT := _output/bench
# Other builds of the function to drive in the same rounds, for a before
# and after: BENCH_ALSO=before=/path/to/function,...
BENCH_ALSO ?=

.PHONY: bench test-bench

bench:
	@mkdir -p $(BENCH_OUT)
	go build -o $(BENCH_OUT)/function .
	cd test/bench && go build -o ../../$(BENCH_OUT)/ ./cmd/...
	cd test/bench && go test -run '^$$' -bench . -benchtime $(BENCH_TIME) -count $(BENCH_COUNT) . | tee ../../$(BENCH_OUT)/go-bench.txt
	cd test/bench && ../../$(BENCH_OUT)/load -root ../.. -bins ../../$(BENCH_OUT) -requests $(BENCH_REQUESTS) -rounds $(BENCH_ROUNDS) $(if $(BENCH_ALSO),-also $(BENCH_ALSO)) \
	  -bench-output ../../$(BENCH_OUT)/go-bench.txt -markdown ../../docs/bench.md

test-bench:
	@$(call suite,test-bench,(cd test/bench && go test -count=1 -timeout 10m ./...))

# The XRDs through Crossplane's own Go types and the API server's CRD
# validation (CEL compilation and cost limits), in a module of its own so
# the function's go.mod does not carry k8s.io/apiserver.
.PHONY: check-xrds
check-xrds:
	@$(call suite,check-xrds,(cd hack/xrdcheck && go run . ../..))

# The control-plane test (test/e2e, a module of its own: client-go and
# go-containerregistry): etcd, kube-apiserver and kube-controller-manager,
# Crossplane core and its RBAC manager, the Percona operator and the
# function, all as local processes (tools/), with the packages installed
# from a registry on 127.0.0.1. About a minute once the tools are built.
# E2E_WORKDIR=dir keeps its logs and kubeconfigs there.
.PHONY: e2e
e2e: tools
	@$(call suite,e2e,(cd test/e2e && go test -count=1 -v -timeout 40m ./...))

# Fuzz RunFunction beyond the seed corpus `go test` runs (every example case
# and a few mutations of each). A failing input is written to
# fn/testdata/fuzz/FuzzRunFunction/, where `go test` keeps replaying it.
FUZZTIME ?= 10m

.PHONY: fuzz

fuzz:
	go test -run='^FuzzRunFunction$$' -fuzz='^FuzzRunFunction$$' -fuzztime=$(FUZZTIME) ./fn/
