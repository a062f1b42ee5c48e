package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

func TestValidateInput(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     v1beta1.Input
		want   string
	}{
		"DefaultsAreValid": {
			reason: "An empty Input is the certified one.",
		},
		"PatchReleaseOfTheCertifiedMinor": {
			reason: "Percona's patch releases keep the API.",
			in:     v1beta1.Input{CRVersion: "2.9.3"},
		},
		"CRVersionNotSemver": {
			reason: "The operator parses crVersion with go-version's Must: latest panics its reconcile.",
			in:     v1beta1.Input{CRVersion: "latest"},
			want:   `input.crVersion: Invalid value: "latest": must be a version X.Y.Z, e.g. 2.9.0 (the Percona operator panics on anything else); leave it unset for 2.9.0`,
		},
		"CRVersionWithV": {
			reason: "The Input's own pattern is X.Y.Z; v2.9.0 is not.",
			in:     v1beta1.Input{CRVersion: "v2.9.0"},
			want:   `input.crVersion: Invalid value: "v2.9.0": must be a version X.Y.Z, e.g. 2.9.0 (the Percona operator panics on anything else); leave it unset for 2.9.0`,
		},
		"CRVersionBelowSupported": {
			reason: "Below 2.9.0 the operator defaults a pgBouncer the function gives no image.",
			in:     v1beta1.Input{CRVersion: "2.8.0"},
			want:   `input.crVersion: Invalid value: "2.8.0": this function composes for Percona operator 2.9.x (crVersion >= 2.9.0 and < 2.10.0): it is certified against that operator's API, defaults and images. Set crVersion within that range, or upgrade function-dittofs to a release certified for the operator you run`,
		},
		"CRVersionAboveSupported": {
			reason: "An operator the function was not certified against.",
			in:     v1beta1.Input{CRVersion: "2.10.0"},
			want:   `input.crVersion: Invalid value: "2.10.0": this function composes for Percona operator 2.9.x (crVersion >= 2.9.0 and < 2.10.0): it is certified against that operator's API, defaults and images. Set crVersion within that range, or upgrade function-dittofs to a release certified for the operator you run`,
		},
		"PostgresImageOfAnotherMajor": {
			reason: "A 16 image under 17 would start PostgreSQL 16 binaries for a cluster that says 17.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"17": "docker.io/percona/percona-distribution-postgresql:16.13-1"}}},
			want:   `input.images.postgres[17]: Invalid value: "docker.io/percona/percona-distribution-postgresql:16.13-1": tag "16.13-1" is not PostgreSQL 17 (a tag starts with its major, e.g. docker.io/percona/percona-distribution-postgresql:17.9-1): pin an image of PostgreSQL 17 under "17", or put this one under its own major`,
		},
		"PostgresImageWithRegistryPortAndDigest": {
			reason: "A registry port is no tag, and a digest may follow the tag.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"16": "registry.local:5000/percona/pg:16.13-1@sha256:0123"}}},
		},
		"PostgresImageWithoutTag": {
			reason: "Without a tag the major cannot be told; a registry port is not one.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"16": "registry.local:5000/percona/pg@sha256:0123"}}},
			want:   `input.images.postgres[16]: Invalid value: "registry.local:5000/percona/pg@sha256:0123": has no tag to tell its PostgreSQL major by: name it, e.g. docker.io/percona/percona-distribution-postgresql:16.13-1 (a digest may follow: docker.io/percona/percona-distribution-postgresql:16.13-1@sha256:...)`,
		},
		"PostgresImageTagOfLongerMajor": {
			reason: "17 is not the start of 170: the whole leading number is the major.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"17": "pg:170"}}},
			want:   `input.images.postgres[17]: Invalid value: "pg:170": tag "170" is not PostgreSQL 17 (a tag starts with its major, e.g. docker.io/percona/percona-distribution-postgresql:17.9-1): pin an image of PostgreSQL 17 under "17", or put this one under its own major`,
		},
		"PostgresKeyNotAMajor": {
			reason: "Keys are what spec.percona.postgresVersion may name.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"v17": "pg:17.9-1", "12": "pg:12.22"}}},
			want: `input.images.postgres[12]: Invalid value: "pg:12.22": keys are PostgreSQL majors 14..18 (as spec.percona.postgresVersion), e.g. "17"; ` +
				`input.images.postgres[v17]: Invalid value: "pg:17.9-1": keys are PostgreSQL majors 14..18 (as spec.percona.postgresVersion), e.g. "17"`,
		},
		"EmptyImageUnpinsAMajor": {
			reason: "An empty entry takes the major away; spec.percona.postgresVersion refuses it then.",
			in:     v1beta1.Input{Images: v1beta1.Images{Postgres: map[string]string{"14": ""}}},
		},
		"EveryFieldNamed": {
			reason: "One result lists every invalid field.",
			in:     v1beta1.Input{CRVersion: "2.9", Images: v1beta1.Images{Postgres: map[string]string{"18": "pg:latest"}}},
			want: `input.crVersion: Invalid value: "2.9": must be a version X.Y.Z, e.g. 2.9.0 (the Percona operator panics on anything else); leave it unset for 2.9.0; ` +
				`input.images.postgres[18]: Invalid value: "pg:latest": tag "latest" is not PostgreSQL 18 (a tag starts with its major, e.g. docker.io/percona/percona-distribution-postgresql:18.3-1): pin an image of PostgreSQL 18 under "18", or put this one under its own major`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if err := spec.ValidateInput(spec.InputWithDefaults(tc.in)); err != nil {
				got = err.Error()
			}
			want := ""
			if tc.want != "" {
				want = "invalid function Input (the Composition's pipeline step of function-dittofs; ask your platform team to fix it): " + tc.want
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nvalidateInput(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRunFunctionInvalidInput: a bad Input is a Fatal that applies nothing,
// with its own reason, for the platform team.
func TestRunFunctionInvalidInput(t *testing.T) {
	req := xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`)
	req.Input = resource.MustStructJSON(`{"apiVersion":"dittofs.fn.crossplane.io/v1beta1","kind":"Input","crVersion":"latest"}`)
	want := summary{
		Desired: map[string]string{},
		Results: []string{`SEVERITY_FATAL: invalid function Input (the Composition's pipeline step of function-dittofs; ask your platform team to fix it): ` +
			`input.crVersion: Invalid value: "latest": must be a version X.Y.Z, e.g. 2.9.0 (the Percona operator panics on anything else); leave it unset for 2.9.0`},
		Conditions: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/InvalidInput"},
	}
	if diff := cmp.Diff(want, summarize(compose(t, req), databaseSide...), cmpSummary()); diff != "" {
		t.Errorf("RunFunction(): -want, +got:\n%s", diff)
	}
}
