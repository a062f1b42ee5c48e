# syntax=docker/dockerfile:1
# The function's runtime image, for those with Docker. `make image` builds the
# same image without Docker (hack/image): /function as entrypoint, user
# 65532:65532, port 9443, on distroless static (this one adds CA certificates
# and tzdata, which the function does not use).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
ARG VERSION=v0.0.0-dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=$VERSION" -o /function .

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title=function-dittofs \
      org.opencontainers.image.source=https://github.com/dittofs/function-dittofs \
      org.opencontainers.image.licenses=Apache-2.0
COPY --from=build /function /function
EXPOSE 9443
USER 65532:65532
ENTRYPOINT ["/function"]
