// Command image builds the function's runtime image without Docker: the
// static binaries in one layer on an empty base, one image per architecture,
// written as a tarball that `crossplane xpkg build
// --embed-runtime-image-tarball` (and `docker load`) reads. The result is
// reproducible: the same source, Go toolchain, version and created time give
// the same image digest, because every timestamp, owner and mode is fixed and
// the build is path independent (-trimpath, -buildvcs=false).
//
// It describes the same image as the Dockerfile (gcr.io/distroless/static
// :nonroot): /function as entrypoint, user 65532:65532, port 9443/tcp, and
// /reconciler beside it (cmd/reconciler, the DittoFS pod's
// fileservice-reconciler container runs it with command ["/reconciler"]), so
// the package image Crossplane pulls is also the reconciler's image and the
// two versions always match. It starts from scratch because no base image
// can be pulled without a registry; distroless static adds CA certificates,
// tzdata and /etc/passwd, and neither binary needs them: the function makes
// no outbound TLS calls, the reconciler makes them only to DittoFS on
// localhost, trusting the certificate mounted from the pod's Secret (no
// public CA bundle is wanted there), neither uses time zones, and the
// numeric user needs no passwd entry. A minimal
// /etc/passwd and /etc/group still name the user (as distroless does, so
// tools that print user names agree), and /tmp exists for libraries that
// expect it when the root file system is writable.
//
// Usage (from the repo root):
//
//	go -C hack/image run . -source "$PWD" -out "$PWD/_output/images" -version v0.1.0
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The function runs as distroless's nonroot user; numeric, so Kubernetes'
// runAsNonRoot check can verify it without reading /etc/passwd.
const (
	uid  = 65532
	user = "65532:65532"
	port = "9443/tcp"
)

type options struct {
	source, out, version, revision, repo, licenses string
	arches                                         []string
	created                                        time.Time
}

func main() {
	var o options
	var arches string
	flag.StringVar(&o.source, "source", ".", "the function's module root (holds main.go)")
	flag.StringVar(&o.out, "out", "_output/images", "directory for function-dittofs-<arch>.tar")
	flag.StringVar(&o.version, "version", "", "version to stamp (default: git describe, else v0.0.0-dev)")
	flag.StringVar(&o.repo, "repo", "ghcr.io/dittofs/function-dittofs", "repository the tarball's tag names")
	flag.StringVar(&o.licenses, "licenses", "Apache-2.0", "SPDX expression for the org.opencontainers.image.licenses label")
	flag.StringVar(&arches, "arches", "amd64,arm64", "comma-separated linux architectures")
	flag.Parse()
	o.arches = strings.Split(arches, ",")

	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	src, err := filepath.Abs(o.source)
	if err != nil {
		return fmt.Errorf("resolving -source: %w", err)
	}
	o.source = src
	if o.version == "" {
		o.version = gitOr(src, "v0.0.0-dev", "describe", "--tags", "--always", "--dirty")
	}
	// A repo without commits has no revision; the label is left out then.
	o.revision = gitOr(src, "", "rev-parse", "HEAD")
	if o.created, err = createdTime(src); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", o.out, err)
	}
	tmp, err := os.MkdirTemp("", "function-image-")
	if err != nil {
		return fmt.Errorf("creating a temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	for _, arch := range o.arches {
		bins := binaries{function: filepath.Join(tmp, "function-"+arch), reconciler: filepath.Join(tmp, "reconciler-"+arch)}
		if err := buildBinary(o, arch, ".", bins.function); err != nil {
			return err
		}
		if err := buildBinary(o, arch, "./cmd/reconciler", bins.reconciler); err != nil {
			return err
		}
		img, err := buildImage(o, arch, bins)
		if err != nil {
			return fmt.Errorf("building the %s image: %w", arch, err)
		}
		tag, err := name.NewTag(o.repo + ":" + tagSafe(o.version) + "-" + arch)
		if err != nil {
			return fmt.Errorf("naming the %s image: %w", arch, err)
		}
		path := filepath.Join(o.out, "function-dittofs-"+arch+".tar")
		if err := tarball.WriteToFile(path, tag, img); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return fmt.Errorf("digest of the %s image: %w", arch, err)
		}
		// stdout carries only "arch digest path" lines, for scripts and tests.
		fmt.Printf("%s %s %s\n", arch, digest, path)
	}
	return nil
}

// binaries are the host paths of the two programs the image holds.
type binaries struct{ function, reconciler string }

// buildBinary cross-compiles the main package pkg of the module (the
// function, or cmd/reconciler): static (no cgo), without local paths or VCS
// stamps so two checkouts of the same source build the same bytes.
// main.version gets the version; -X on a missing variable is a no-op.
func buildBinary(o *options, arch, pkg, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+o.version, "-o", out, pkg)
	cmd.Dir = o.source
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=readonly")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for linux/%s: %w", pkg, arch, err)
	}
	return nil
}

func buildImage(o *options, arch string, bins binaries) (v1.Image, error) {
	layerTar, err := rootfs(bins, o.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("making the layer: %w", err)
	}

	labels := map[string]string{
		"org.opencontainers.image.title":    "function-dittofs",
		"org.opencontainers.image.source":   "https://github.com/dittofs/function-dittofs",
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.licenses": o.licenses,
		"org.opencontainers.image.created":  o.created.Format(time.RFC3339),
	}
	if o.revision != "" {
		labels["org.opencontainers.image.revision"] = o.revision
	}
	cfg := &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: o.created},
		// Docker and containerd refuse a root file system of another type.
		RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:         user,
			Entrypoint:   []string{"/function"},
			WorkingDir:   "/",
			ExposedPorts: map[string]struct{}{port: {}},
			Labels:       labels,
		},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the config: %w", err)
	}
	return mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.created},
			CreatedBy: "hack/image: COPY function /function, reconciler /reconciler",
		},
	})
}

// rootfs is the layer: /function and /reconciler plus the few files
// distroless would give the nonroot user. Owners, modes and times are fixed
// for reproducibility.
func rootfs(bins binaries, mtime time.Time) ([]byte, error) {
	fn, err := os.ReadFile(bins.function)
	if err != nil {
		return nil, fmt.Errorf("reading the function's binary: %w", err)
	}
	rec, err := os.ReadFile(bins.reconciler)
	if err != nil {
		return nil, fmt.Errorf("reading the reconciler's binary: %w", err)
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(uid) + ":nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:" + strconv.Itoa(uid) + ":\n"
	entries := []struct {
		name string
		mode int64
		uid  int
		body []byte
		dir  bool
	}{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "function", mode: 0o755, body: fn},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: uid, dir: true},
		{name: "reconciler", mode: 0o755, body: rec},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing %s to the layer: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing %s to the layer: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	return buf.Bytes(), nil
}

// createdTime is SOURCE_DATE_EPOCH when set (the reproducible-builds
// convention), else the last commit's time, else the Unix epoch.
func createdTime(src string) (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if s := gitOr(src, "", "log", "-1", "--format=%ct"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC(), nil
		}
	}
	return time.Unix(0, 0).UTC(), nil
}

// gitOr runs git in dir and returns its trimmed output, or def when git
// fails (no git, not a clone, no commits yet).
func gitOr(dir, def string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return def
	}
	return strings.TrimSpace(string(out))
}

// tagSafe turns a version into a valid OCI tag: [A-Za-z0-9_.-], at most 128.
func tagSafe(v string) string {
	v = regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(v, "-")
	if len(v) > 120 {
		v = v[:120]
	}
	return v
}
