package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestUsages(t *testing.T) {
	usage := func(name, reason string, of, by map[string]any) map[string]any {
		return map[string]any{
			"apiVersion": "protection.crossplane.io/v1beta1",
			"kind":       "Usage",
			"metadata":   map[string]any{"name": name, "namespace": "storage", "labels": anyMap(serverLabels)},
			"spec":       map[string]any{"of": of, "by": by, "reason": reason, "replayDeletion": true},
		}
	}
	end := func(apiVersion, kind, name string) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": kind, "resourceRef": map[string]any{"name": name}}
	}
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	cases := map[string]struct {
		reason string
		call   string // what got is, for the failure message
		got    map[string]any
		want   map[string]any
	}{
		"StatefulSetUsesDatabase": {
			reason: "The database is deleted only after the DittoFS StatefulSet, so DittoFS never runs against a database being torn down.",
			call:   "build.ServerUsesDatabase(ds)",
			got:    build.ServerUsesDatabase(ds).Object,
			want: usage("files-server-uses-database", "DittoFS stores its control plane in this database",
				end("pgv2.percona.com/v2", "PerconaPGCluster", "files-postgres"),
				end("apps/v1", "StatefulSet", "files")),
		},
		"DatabaseUsesComposedCredentials": {
			reason: "From plain access keys pgBackRest reads the composed Secret, which must outlive the cluster the operator is still deleting.",
			call:   `build.DatabaseUsesCredentials(ds, "files-pgbackrest-s3")`,
			got:    build.DatabaseUsesCredentials(ds, "files-pgbackrest-s3").Object,
			want: usage("files-database-uses-s3-credentials", "pgBackRest reads its S3 credentials from this Secret",
				end("v1", "Secret", "files-pgbackrest-s3"),
				end("pgv2.percona.com/v2", "PerconaPGCluster", "files-postgres")),
		},
		"DatabaseUsesProjectedUserSecret": {
			reason: "A user's *.conf Secret is projected as it is, so the Usage protects that Secret, not a composed one that does not exist.",
			call:   `build.DatabaseUsesCredentials(ds, "backup-s3")`,
			got:    build.DatabaseUsesCredentials(ds, "backup-s3").Object,
			want: usage("files-database-uses-s3-credentials", "pgBackRest reads its S3 credentials from this Secret",
				end("v1", "Secret", "backup-s3"),
				end("pgv2.percona.com/v2", "PerconaPGCluster", "files-postgres")),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n%s: -want, +got:\n%s", tc.reason, tc.call, diff)
			}
		})
	}
}

// TestUsagesComposed: Usages only with Percona, the S3 one only once the
// credentials Secret is known.
func TestUsagesComposed(t *testing.T) {
	usages := []string{"usage-statefulset-database", "usage-database-s3-credentials"}
	cases := map[string]struct {
		reason   string
		spec     string
		required []string
		want     map[string]string
	}{
		"SQLiteHasNone": {
			reason: "Without Percona no database is composed, so there is no deletion to order and no Usage.",
			spec:   `{"storage":{"metadataSize":"10Gi"}}`,
			want:   map[string]string{},
		},
		"PerconaWithoutBackup": {
			reason: "With Percona the database outlives DittoFS; without backups there is no credentials Secret to keep, so no S3 Usage.",
			spec:   `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`,
			want:   map[string]string{"usage-statefulset-database": "READY_FALSE"},
		},
		"PerconaWithBackup": {
			reason:   "Once the credentials Secret is read the S3 Usage joins; neither is ready before Crossplane's usage controller reports it Ready.",
			spec:     backupSpec,
			required: []string{awsKeys},
			want:     map[string]string{"usage-statefulset-database": "READY_FALSE", "usage-database-s3-credentials": "READY_FALSE"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := withObserved(xrRequest(tc.spec), "percona-cluster", readyCluster)
			if tc.required != nil {
				req = withRequired(req, "s3-credentials", tc.required...)
			}
			got := summarize(compose(t, req), usages...)
			if diff := cmp.Diff(tc.want, got.Desired); diff != "" {
				t.Errorf("%s\nRunFunction(): desired Usages: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
