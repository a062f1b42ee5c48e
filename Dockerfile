# syntax=docker/dockerfile:1
# The function's runtime image, like Crossplane's function template. `make
# image` builds the same image without Docker (hack/image): /function as
# entrypoint, user 65532:65532, port 9443, on distroless static, and
# /reconciler beside it (cmd/reconciler: the DittoFS pod's
# fileservice-reconciler container runs this same image with command
# ["/reconciler"]).

ARG GO_VERSION=1.26

# Build on the builder's own platform and cross-compile, which is much faster
# than emulating the target platform.
FROM --platform=${BUILDPLATFORM} golang:${GO_VERSION} AS build
WORKDIR /fn

# A static binary, so the distroless static base (no libc) can run it.
ENV CGO_ENABLED=0

# Download modules in their own step; the cache mount keeps them across builds
# and the bind mount of the context avoids a COPY layer.
RUN --mount=target=. \
    --mount=type=cache,target=/go/pkg/mod \
    go mod download

# Set by BuildKit from --platform.
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=v0.0.0-dev

RUN --mount=target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" -o /function . && \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" -o /reconciler ./cmd/reconciler

# Distroless: no shell or package manager, only the binaries, run as nonroot.
FROM gcr.io/distroless/static-debian12:nonroot AS image
LABEL org.opencontainers.image.title=function-dittofs \
      org.opencontainers.image.source=https://github.com/dittofs/function-dittofs \
      org.opencontainers.image.licenses=Apache-2.0
WORKDIR /
COPY --from=build /function /function
COPY --from=build /reconciler /reconciler
EXPOSE 9443
USER 65532:65532
ENTRYPOINT ["/function"]
