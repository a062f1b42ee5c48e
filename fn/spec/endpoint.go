package spec

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/crossplane/function-sdk-go/errors"
)

// s3Endpoint is spec.percona.backup.endpoint, parsed once:
// [https://]host[:port][/].
//
// What pgBackRest gets: Percona operator 2.9.0 copies repos[].s3.endpoint
// verbatim into pgBackRest's repo1-s3-endpoint (internal/pgbackrest/config.go,
// getExternalRepoConfigs), and pgBackRest parses a port off that option
// itself (host:port since 2.2x, an https:// scheme since 2.37:
// src/storage/s3/helper.c). So the port stays in the endpoint and no
// repo1-storage-port is composed: that keeps the endpoint of a cluster made
// from host:port exactly as it was (the operator hashes it into the repo's
// repoOptionsHash), and a user's *.conf that sets repo1-storage-port itself
// is not set twice, which pgBackRest refuses. Only the scheme is dropped,
// so that https://host and host compose the same cluster.
type s3Endpoint struct {
	Host string
	// Port as written; 0 when none was, and pgBackRest dials 443.
	Port int
}

// String is the endpoint as composed and published: host[:port].
func (e s3Endpoint) String() string {
	if e.Port == 0 {
		return e.Host
	}
	return e.Host + ":" + strconv.Itoa(e.Port)
}

// endpointHost is a DNS name or an IPv4 address, as the XRD's pattern has it.
var endpointHost = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

// EndpointPlainHTTP is why http:// is refused.
const EndpointPlainHTTP = "plain http:// is refused: pgBackRest sends this endpoint every WAL segment and base backup of the database, which would cross the network unencrypted (and pgBackRest before 2.58 cannot speak plain HTTP at all). Serve the S3 endpoint over TLS and write https://host[:port] or host[:port] (verifyTLS: false for a self-signed certificate)"

// parseS3Endpoint parses [https://]host[:port][/]. Its errors say what to
// write instead.
func parseS3Endpoint(s string) (s3Endpoint, error) {
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		switch scheme := strings.ToLower(rest[:i]); scheme {
		case "https":
			rest = rest[i+3:]
		case "http":
			return s3Endpoint{}, errors.New(EndpointPlainHTTP)
		default:
			return s3Endpoint{}, errors.Errorf("scheme %s:// is not S3: write https://host[:port] or host[:port]", scheme)
		}
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.Contains(rest, "/") {
		return s3Endpoint{}, errors.New("must be [https://]host[:port] without a path: the bucket is spec.percona.backup.bucket, and the function chooses the path inside it")
	}
	host, port, hasPort := strings.Cut(rest, ":")
	if !endpointHost.MatchString(host) {
		return s3Endpoint{}, errors.New("must be [https://]host[:port] with a DNS name or IPv4 address as host, e.g. s3.eu-west-1.amazonaws.com or minio.storage.svc:9000")
	}
	e := s3Endpoint{Host: host}
	if !hasPort {
		return e, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return s3Endpoint{}, errors.Errorf("port %q must be a number between 1 and 65535", port)
	}
	e.Port = n
	return e, nil
}

// ComposedEndpoint is the endpoint of a validated spec as pgBackRest gets it.
func ComposedEndpoint(endpoint string) string {
	e, err := parseS3Endpoint(endpoint)
	if err != nil {
		// validate refused it before anything is composed.
		return endpoint
	}
	return e.String()
}
