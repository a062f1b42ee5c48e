package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestRepoPath(t *testing.T) {
	withUID := func(uid string) spec.DittoServer {
		ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
		ds.UID = uid
		return ds
	}
	cluster := func(enabled *bool, global map[string]string, repos ...string) *pgv2.PerconaPGCluster {
		pc := &pgv2.PerconaPGCluster{}
		pc.Spec.Backups.Enabled = enabled
		pc.Spec.Backups.PGBackRest.Global = global
		for _, r := range repos {
			pc.Spec.Backups.PGBackRest.Repos = append(pc.Spec.Backups.PGBackRest.Repos, crunchyv1beta1.PGBackRestRepo{Name: r})
		}
		return pc
	}
	cases := map[string]struct {
		reason   string
		ds       spec.DittoServer
		observed *pgv2.PerconaPGCluster
		want     string
	}{
		"NewClusterHasTheUIDInItsPath": {
			reason: "sha256(uid-1) starts 4a49acf8.",
			ds:     withUID("uid-1"),
			want:   "/pgbackrest/storage/files-4a49acf8/repo1",
		},
		"ReCreatedXRGetsAnotherPath": {
			reason: "Deleted and created again with the same name: a new UID, a new path, so pgBackRest never meets the old stanza.",
			ds:     withUID("uid-2"),
			want:   "/pgbackrest/storage/files-afaec2d5/repo1",
		},
		"NoUIDFallsBackToNamespaceAndName": {
			reason: "crossplane render of an xr.yaml without metadata.uid (a warning says so).",
			ds:     withUID(""),
			want:   "/pgbackrest/storage/files/repo1",
		},
		"ExistingClusterKeepsItsPath": {
			reason:   "A cluster made before the UID was in the path keeps its repository where it is.",
			ds:       withUID("uid-1"),
			observed: cluster(ptr.To(true), map[string]string{"repo1-path": "/pgbackrest/storage/files/repo1"}, "repo1"),
			want:     "/pgbackrest/storage/files/repo1",
		},
		"ExistingClusterWithoutPathKeepsPgBackRestsDefault": {
			reason:   "Backups on without repo1-path: pgBackRest has been writing to /pgbackrest/repo1; adding a path would move it.",
			ds:       withUID("uid-1"),
			observed: cluster(nil, nil, "repo1"),
			want:     "/pgbackrest/repo1",
		},
		"ExistingClusterWithBackupsOffGetsANewPath": {
			reason:   "No repository yet: the first one is this XR's.",
			ds:       withUID("uid-1"),
			observed: cluster(ptr.To(false), nil),
			want:     "/pgbackrest/storage/files-4a49acf8/repo1",
		},
		"ObservedPathWinsEvenWithBackupsOff": {
			reason:   "A repo1-path still in the spec names where the repository was; it is kept for when backups return.",
			ds:       withUID("uid-1"),
			observed: cluster(ptr.To(false), map[string]string{"repo1-path": "/pgbackrest/storage/files-0badcafe/repo1"}),
			want:     "/pgbackrest/storage/files-0badcafe/repo1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, repoPath(tc.ds, tc.observed)); diff != "" {
				t.Errorf("%s\nrepoPath(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// repoOutcome is what a render says about the repository: the path
// composed into the cluster, status.database.backup, and the results.
type repoOutcome struct {
	Path    string
	Status  map[string]any
	Results []string
}

func repoOutcomeOf(t *testing.T, rsp *fnv1.RunFunctionResponse) repoOutcome {
	t.Helper()
	pc := &pgv2.PerconaPGCluster{}
	desiredInto(t, rsp, keyPerconaCluster, pc)
	db := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["database"].GetStructValue()
	status, _ := db.AsMap()["backup"].(map[string]any)
	return repoOutcome{Path: pc.Spec.Backups.PGBackRest.Global["repo1-path"], Status: status, Results: resultStrings(rsp)}
}

// TestRunFunctionRepoPath: the repo path through whole renders, chained as
// Crossplane chains them.
func TestRunFunctionRepoPath(t *testing.T) {
	xrWithUID := func(uid, spec string) *fnv1.RunFunctionRequest {
		req := xrRequest(spec)
		xr := strings.Replace(testXR, "%s", spec, 1)
		if uid == "" {
			xr = strings.Replace(xr, `,"uid":"uid-1"`, "", 1)
		} else {
			xr = strings.Replace(xr, `"uid":"uid-1"`, `"uid":"`+uid+`"`, 1)
		}
		req.Observed.Composite = &fnv1.Resource{Resource: resource.MustStructJSON(xr)}
		return withRequired(req, requiredS3Credentials, awsKeys)
	}
	httpsSpec := strings.Replace(backupSpec, `"endpoint":"s3.example.com"`, `"endpoint":"https://minio.storage.svc:9000"`, 1)
	const waiting = "SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"
	status := func(path, endpoint string) map[string]any {
		return map[string]any{"repoPath": path, "bucket": "b", "endpoint": endpoint, "region": "eu-west-1"}
	}
	oldCluster := `{"apiVersion":"pgv2.percona.com/v2","kind":"PerconaPGCluster","metadata":{"name":"files-postgres","namespace":"storage","generation":1},
	 "spec":{"backups":{"pgbackrest":{"configuration":[{"secret":{"name":"files-pgbackrest-s3"}}],"global":{"repo1-path":"/pgbackrest/storage/files/repo1"},
	   "repos":[{"name":"repo1","s3":{"bucket":"b","endpoint":"s3.example.com","region":"eu-west-1"}}]}}},
	 "status":{"state":"initializing"}}`

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   repoOutcome
	}{
		"NewClusterPublishesItsPath": {
			reason: "status.database.backup says exactly what the cluster is configured with.",
			req:    xrWithUID("uid-1", backupSpec),
			want:   repoOutcome{Path: "/pgbackrest/storage/files-4a49acf8/repo1", Status: status("/pgbackrest/storage/files-4a49acf8/repo1", "s3.example.com"), Results: []string{waiting}},
		},
		"ReCreatedXRGetsAnotherPath": {
			reason: "Same namespace and name, another UID.",
			req:    xrWithUID("uid-2", backupSpec),
			want:   repoOutcome{Path: "/pgbackrest/storage/files-afaec2d5/repo1", Status: status("/pgbackrest/storage/files-afaec2d5/repo1", "s3.example.com"), Results: []string{waiting}},
		},
		"HTTPSEndpointPublishedAsComposed": {
			reason: "The scheme is dropped and the port kept, in the cluster and in the status alike.",
			req:    xrWithUID("uid-1", httpsSpec),
			want:   repoOutcome{Path: "/pgbackrest/storage/files-4a49acf8/repo1", Status: status("/pgbackrest/storage/files-4a49acf8/repo1", "minio.storage.svc:9000"), Results: []string{waiting}},
		},
		"ExistingClusterIsNeverMoved": {
			reason: "A cluster made by an earlier release, at /pgbackrest/<ns>/<name>/repo1, stays there.",
			req:    withObserved(xrWithUID("uid-1", backupSpec), string(keyPerconaCluster), oldCluster),
			want: repoOutcome{Path: "/pgbackrest/storage/files/repo1", Status: status("/pgbackrest/storage/files/repo1", "s3.example.com"), Results: []string{
				waiting,
			}},
		},
		"NoUIDWarns": {
			reason: "Without a UID the path cannot be unique across re-creation; the user is told.",
			req:    xrWithUID("", backupSpec),
			want: repoOutcome{Path: "/pgbackrest/storage/files/repo1", Status: status("/pgbackrest/storage/files/repo1", "s3.example.com"), Results: []string{
				"SEVERITY_WARNING: the XR has no metadata.uid (an API server always sets one; crossplane render takes it from the XR file), so the pgBackRest repo path /pgbackrest/storage/files/repo1 is not unique if an XR of this name is deleted and created again",
				waiting,
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := repoOutcomeOf(t, compose(t, tc.req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRunFunctionRepoPathStableAcrossRenders: once composed, the path is read
// back from the observed cluster on every later render.
func TestRunFunctionRepoPathStableAcrossRenders(t *testing.T) {
	req := withRequired(xrRequest(backupSpec), requiredS3Credentials, awsKeys)
	first := repoOutcomeOf(t, compose(t, req)).Path
	req = observeDesired(req, compose(t, req), keyPerconaCluster)
	if second := repoOutcomeOf(t, compose(t, req)).Path; second != first {
		t.Errorf("repo path moved from %q to %q once the cluster was observed", first, second)
	}
}
