package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseS3Endpoint(t *testing.T) {
	cases := map[string]struct {
		reason   string
		endpoint string
		want     s3Endpoint
		composed string
		err      string
	}{
		"HostAlone": {
			reason:   "The form the seed's operator documents: composed as it is.",
			endpoint: "s3.eu-west-1.amazonaws.com",
			want:     s3Endpoint{Host: "s3.eu-west-1.amazonaws.com"},
			composed: "s3.eu-west-1.amazonaws.com",
		},
		"HostAndPortKeepsThePort": {
			reason:   "Percona copies the endpoint into repo1-s3-endpoint verbatim and pgBackRest dials the port in it.",
			endpoint: "minio.storage.svc:9000",
			want:     s3Endpoint{Host: "minio.storage.svc", Port: 9000},
			composed: "minio.storage.svc:9000",
		},
		"HTTPSSchemeIsDropped": {
			reason:   "The DittoFS operator's docs write https://s3.cubbit.eu; it composes the same cluster as s3.cubbit.eu.",
			endpoint: "https://s3.cubbit.eu",
			want:     s3Endpoint{Host: "s3.cubbit.eu"},
			composed: "s3.cubbit.eu",
		},
		"HTTPSWithPortAndSlash": {
			reason:   "A trailing slash is no path.",
			endpoint: "https://10.0.0.7:9443/",
			want:     s3Endpoint{Host: "10.0.0.7", Port: 9443},
			composed: "10.0.0.7:9443",
		},
		"SchemeCaseDoesNotMatter": {
			reason:   "HTTPS:// is https://.",
			endpoint: "HTTPS://s3.cubbit.eu",
			want:     s3Endpoint{Host: "s3.cubbit.eu"},
			composed: "s3.cubbit.eu",
		},
		"DefaultPortIsKeptAsWritten": {
			reason:   "host:443 stays host:443, so a cluster composed with it before keeps its endpoint (the operator hashes it).",
			endpoint: "s3.example.com:443",
			want:     s3Endpoint{Host: "s3.example.com", Port: 443},
			composed: "s3.example.com:443",
		},
		"PlainHTTPIsRefusedWithTheReason": {
			reason:   "Backups in the clear; the message says why and what to write.",
			endpoint: "http://minio.storage.svc:9000",
			err:      EndpointPlainHTTP,
		},
		"OtherSchemeIsRefused": {
			reason:   "s3:// is a URI of an object, not an endpoint.",
			endpoint: "s3://dittofs-backups",
			err:      "scheme s3:// is not S3: write https://host[:port] or host[:port]",
		},
		"PathIsRefused": {
			reason:   "A path would be the bucket or the repo path, both of which have their own field.",
			endpoint: "https://s3.example.com/dittofs-backups",
			err:      "must be [https://]host[:port] without a path: the bucket is spec.percona.backup.bucket, and the function chooses the path inside it",
		},
		"PortOutOfRange": {
			reason:   "Ports end at 65535.",
			endpoint: "minio:70000",
			err:      `port "70000" must be a number between 1 and 65535`,
		},
		"PortNotANumber": {
			reason:   "A second colon or letters are no port.",
			endpoint: "minio:9000:1",
			err:      `port "9000:1" must be a number between 1 and 65535`,
		},
		"EmptyHost": {
			reason:   "https:// alone names no host.",
			endpoint: "https://",
			err:      "must be [https://]host[:port] with a DNS name or IPv4 address as host, e.g. s3.eu-west-1.amazonaws.com or minio.storage.svc:9000",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseS3Endpoint(tc.endpoint)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.err, gotErr); diff != "" {
				t.Fatalf("%s\nparseS3Endpoint(%q) error: -want, +got:\n%s", tc.reason, tc.endpoint, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nparseS3Endpoint(%q): -want, +got:\n%s", tc.reason, tc.endpoint, diff)
			}
			if err == nil && got.String() != tc.composed {
				t.Errorf("%s\nparseS3Endpoint(%q).String() = %q, want %q", tc.reason, tc.endpoint, got.String(), tc.composed)
			}
		})
	}
}
