package spec

import (
	"strconv"

	"github.com/go-json-experiment/json"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Defaults of the Input. They are the images certified for Percona operator
// 2.9.0 (its e2e-tests/release_versions) and DittoFS v0.29.0. The CRD in
// package/input carries the same defaults, but Crossplane never applies that
// CRD, so the function applies them itself.
const (
	defaultDittoFSImage    = "docker.io/marmos91c/dittofs:v0.29.0"
	defaultPGBackRestImage = "docker.io/percona/percona-pgbackrest:2.58.0-1"
	defaultPGBouncerImage  = "docker.io/percona/percona-pgbouncer:1.25.1-1"
	// defaultReconcilerImage is this release's function package image: it
	// holds /reconciler beside /function (hack/image). Its tag is the
	// version apis/*/crossplane.yaml depend on (TestDefaultReconcilerImage).
	defaultReconcilerImage = "ghcr.io/dittofs/function-dittofs:v0.1.0"
	defaultCRVersion       = "2.9.0"
	defaultPostgresVersion = 17
	defaultClusterDomain   = "cluster.local"
)

// defaultPostgresImages maps each PostgreSQL major certified for Percona
// operator 2.9.0 to its image.
func defaultPostgresImages() map[string]string {
	return map[string]string{
		"14": "docker.io/percona/percona-distribution-postgresql:14.22-1",
		"15": "docker.io/percona/percona-distribution-postgresql:15.17-1",
		"16": "docker.io/percona/percona-distribution-postgresql:16.13-1",
		"17": "docker.io/percona/percona-distribution-postgresql:17.9-1",
		"18": "docker.io/percona/percona-distribution-postgresql:18.3-1",
	}
}

// InputWithDefaults returns in with every unset field defaulted. Postgres
// images given in the Input replace the default of their major only.
func InputWithDefaults(in v1beta1.Input) v1beta1.Input {
	out := *in.DeepCopy()
	out.Images.DittoFS = OrDefault(out.Images.DittoFS, defaultDittoFSImage)
	out.Images.PGBackRest = OrDefault(out.Images.PGBackRest, defaultPGBackRestImage)
	out.Images.PGBouncer = OrDefault(out.Images.PGBouncer, defaultPGBouncerImage)
	out.Images.Reconciler = OrDefault(out.Images.Reconciler, defaultReconcilerImage)
	images := defaultPostgresImages()
	for major, image := range out.Images.Postgres {
		images[major] = image
	}
	out.Images.Postgres = images
	out.CRVersion = OrDefault(out.CRVersion, defaultCRVersion)
	if out.PostgresVersion == 0 {
		out.PostgresVersion = defaultPostgresVersion
	}
	out.ClusterDomain = OrDefault(out.ClusterDomain, defaultClusterDomain)
	return out
}

// PostgresImage is the image pinned for a PostgreSQL major, or "" when none is.
func PostgresImage(in v1beta1.Input, major int32) string {
	return in.Images.Postgres[strconv.Itoa(int(major))]
}

// OrDefault is v, or def when v is empty.
func OrDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ReadInput decodes the step's Input as the SDK's request.GetInput does
// (its JSON, decoded by go-json-experiment with unknown fields refused),
// with the JSON written by appendJSON rather than protojson: the same
// document, at a fraction of the cost.
func ReadInput(s *structpb.Struct) (v1beta1.Input, error) {
	var in v1beta1.Input
	raw, err := appendJSON(nil, structpb.NewStructValue(s))
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(raw, &in, json.RejectUnknownMembers(true)); err != nil {
		return v1beta1.Input{}, err
	}
	return in, nil
}
