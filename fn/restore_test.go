package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

const sourceRepoPath = "/pgbackrest/storage/old-1a2b3c4d/repo1"

// sourceXR is the DittoServer "old" restored from, as Crossplane reads it.
const sourceXR = `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"old","namespace":"storage"},
 "spec":{"percona":{"enabled":true,"backup":{"enabled":true,"uriStyle":"host","verifyTLS":false}}},
 "status":{"database":{"backup":{"repoPath":"` + sourceRepoPath + `","bucket":"old-bucket","endpoint":"s3.old.example.com","region":"us-east-1"}}}}`

// sourceWithStores is sourceXR declaring a file service with the given
// stores (JSON lists).
func sourceWithStores(metadataStores, blockStores string) string {
	return strings.Replace(sourceXR, `"spec":{"percona"`, `"spec":{"fileService":{"metadataStores":`+metadataStores+`,"blockStores":`+blockStores+`},"percona"`, 1)
}

const sourceWithoutBackups = `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"DittoServer","metadata":{"name":"old","namespace":"storage"},"spec":{},"status":{}}`

const otherKeys = `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"old-s3","namespace":"storage"},"data":{"AWS_ACCESS_KEY_ID":"T0xE","AWS_SECRET_ACCESS_KEY":"b2xkLXNlY3JldA=="}}`

// restoreSpecJSON is backupSpec with spec.percona.restore.
func restoreSpecJSON(restore string) string {
	return strings.Replace(backupSpec, `"percona":{"enabled":true,`, `"percona":{"enabled":true,"restore":`+restore+`,`, 1)
}

// condition is one condition of rsp as status/reason, "" when not set.
func condition(rsp *fnv1.RunFunctionResponse, typ string) string {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == typ {
			return c.GetStatus().String() + "/" + c.GetReason()
		}
	}
	return ""
}

func TestRunFunctionRestore(t *testing.T) {
	fromOld := want(func(*crunchyv1beta1.PGBackRestDataSource) {})
	cases := map[string]struct {
		reason   string
		restore  string
		required map[string][]string
		// wantSource is the cluster's dataSource; nil for no cluster.
		wantSource *crunchyv1beta1.DataSource
		wantKeys   []string // desired keys besides the cluster
		condition  string   // RestoreReady
		warning    string   // a warning result containing this
	}{
		"FromDittoServerLatest": {
			reason:  "the source's repository from its status, its uriStyle and verifyTLS from its spec, the backups' credentials",
			restore: `{"from":{"dittoServer":"old"}}`,
			required: map[string][]string{
				requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceXR},
			},
			wantSource: fromOld,
			wantKeys:   []string{"percona-cluster", "pgbackrest-s3-secret", "usage-database-s3-credentials"},
			condition:  "STATUS_CONDITION_FALSE/Restoring",
		},
		"FromDittoServerPointInTime": {
			reason:  "a point in time becomes --type=time and a --target bash reads as one word",
			restore: `{"from":{"dittoServer":"old"},"pointInTime":"2026-12-01T18:30:00Z"}`,
			required: map[string][]string{
				requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceXR},
			},
			wantSource: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Options = []string{"--type=time", `--target="2026-12-01 18:30:00+00"`}
			}),
			wantKeys:  []string{"percona-cluster", "pgbackrest-s3-secret", "usage-database-s3-credentials"},
			condition: "STATUS_CONDITION_FALSE/Restoring",
		},
		"SourceNotFetchedYet": {
			reason:    "no cluster until the source is read: an empty one could never be filled",
			restore:   `{"from":{"dittoServer":"old"}}`,
			required:  map[string][]string{requiredS3Credentials: {awsKeys}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/WaitingForSource",
		},
		"SourceNotFound": {
			reason:    "a source that does not exist in the namespace: no cluster, and the user is told",
			restore:   `{"from":{"dittoServer":"old"}}`,
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreSource: {}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/SourceNotFound",
			warning:   "DittoServer storage/old (spec.percona.restore.from.dittoServer) does not exist in this namespace",
		},
		"SourceWithPostgresMetadataStore": {
			reason:    "this XR does not declare the source's store on its own cluster, so nothing points the restored record here: the restored control plane would open the source's metadata database, which the live source serves too; no cluster, and the user is told why and what to do instead",
			restore:   `{"from":{"dittoServer":"old"}}`,
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceWithStores(`[{"name":"main","type":"postgres"}]`, `[{"name":"local","kind":"local","type":"fs"}]`)}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/SourceStoresShared",
			warning:   "DittoServer storage/old (spec.percona.restore.from.dittoServer) declares stores a restored server would share with it: metadata store main (postgres, database dittofs_meta). ",
		},
		"SourceWithRemoteBlockStore": {
			reason:    "a remote block store is the source's bucket: the restored server's collector would delete the source's blocks",
			restore:   `{"from":{"dittoServer":"old"}}`,
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceWithStores(`[{"name":"main","type":"badger"}]`, `[{"name":"local","kind":"local","type":"fs"},{"name":"s3","kind":"remote","type":"s3","s3":{"bucket":"blocks","prefix":"old/"}}]`)}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/SourceStoresShared",
			warning:   "remote block store s3 (s3://blocks/old/)",
		},
		"SourceWithStoresOnItsVolumes": {
			reason:  "badger and local stores are on the source pod's volumes: the restored server gets its own, and the restore goes on",
			restore: `{"from":{"dittoServer":"old"}}`,
			required: map[string][]string{
				requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceWithStores(`[{"name":"main","type":"badger"},{"name":"scratch","type":"memory"}]`, `[{"name":"local","kind":"local","type":"fs"}]`)},
			},
			wantSource: fromOld,
			wantKeys:   []string{"percona-cluster", "pgbackrest-s3-secret", "usage-database-s3-credentials"},
			condition:  "STATUS_CONDITION_FALSE/Restoring",
		},
		"SourceWithoutBackups": {
			reason:    "a source without a repository in its status",
			restore:   `{"from":{"dittoServer":"old"}}`,
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreSource: {sourceWithoutBackups}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/SourceHasNoBackups",
			warning:   "reports no backup repository",
		},
		"RawCoordinatesOtherCredentials": {
			reason:  "raw coordinates read with a Secret of plain keys of their own: <xr>-pgbackrest-restore-s3 is composed and projected",
			restore: `{"from":{"repoPath":"` + sourceRepoPath + `","bucket":"old-bucket","endpoint":"https://s3.old.example.com","region":"us-east-1","uriStyle":"host","verifyTLS":false,"credentialsSecretRef":{"name":"old-s3"},"adminSecretRef":{"name":"old-admin"}}}`,
			required: map[string][]string{
				requiredS3Credentials: {awsKeys}, requiredRestoreCredentials: {otherKeys},
			},
			wantSource: want(func(d *crunchyv1beta1.PGBackRestDataSource) {
				d.Configuration[0].Secret.Name = "files-pgbackrest-restore-s3"
			}),
			wantKeys:  []string{"percona-cluster", "pgbackrest-restore-s3-secret", "pgbackrest-s3-secret", "usage-database-s3-credentials"},
			condition: "STATUS_CONDITION_FALSE/Restoring",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(restoreSpecJSON(tc.restore))
			for n, objs := range tc.required {
				req = addRequired(req, n, objs...)
			}
			rsp := compose(t, req)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nFatal: %s", tc.reason, msg)
			}
			if diff := cmp.Diff(tc.wantKeys, desiredKeys(rsp)); diff != "" {
				t.Errorf("%s\ndesired (-want +got):\n%s", tc.reason, diff)
			}
			if got := condition(rsp, conditionRestoreReady); got != tc.condition {
				t.Errorf("%s\nRestoreReady = %s, want %s", tc.reason, got, tc.condition)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(resultStrings(rsp), "\n"), tc.warning) {
				t.Errorf("%s\nno warning with %q in %v", tc.reason, tc.warning, resultStrings(rsp))
			}
			if tc.wantSource == nil {
				if got := condition(rsp, conditionDatabaseReady); got != "STATUS_CONDITION_FALSE/WaitingForRestoreSource" {
					t.Errorf("%s\nDatabaseReady = %s", tc.reason, got)
				}
				return
			}
			var pc pgv2.PerconaPGCluster
			desiredInto(t, rsp, keyPerconaCluster, &pc)
			if diff := cmp.Diff(tc.wantSource, pc.Spec.DataSource); diff != "" {
				t.Errorf("%s\nspec.dataSource (-want +got):\n%s", tc.reason, diff)
			}
			// The new cluster backs up to a path of its own, never the source's.
			if own := pc.Spec.Backups.PGBackRest.Global["repo1-path"]; own == sourceRepoPath || own != "/pgbackrest/storage/files-4a49acf8/repo1" {
				t.Errorf("%s\nthe restored cluster backs up to %s; want its own new path, not the source's %s", tc.reason, own, sourceRepoPath)
			}
			if pc.Annotations[annotationRestoredFrom] == "" {
				t.Errorf("%s\nno %s annotation", tc.reason, annotationRestoredFrom)
			}
		})
	}
}

// want is the dataSource restoring from sourceXR's repository with the
// backups' own credentials, latest.
func want(mutate func(*crunchyv1beta1.PGBackRestDataSource)) *crunchyv1beta1.DataSource {
	d := &crunchyv1beta1.PGBackRestDataSource{
		Stanza: "db",
		Repo:   crunchyv1beta1.PGBackRestRepo{Name: "repo1", S3: &crunchyv1beta1.RepoS3{Bucket: "old-bucket", Endpoint: "s3.old.example.com", Region: "us-east-1"}},
		Global: map[string]string{
			"repo1-path":               sourceRepoPath,
			"repo1-s3-uri-style":       "host",
			"repo1-storage-verify-tls": "n",
		},
		Configuration: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-s3"}}}},
	}
	mutate(d)
	return &crunchyv1beta1.DataSource{PGBackRest: d}
}

// TestRestoreIntoOwnPathIsRefused: raw coordinates naming the repository
// this XR's own backups write to are refused with a Fatal that applies
// nothing.
func TestRestoreIntoOwnPathIsRefused(t *testing.T) {
	spec := restoreSpecJSON(`{"from":{"repoPath":"/pgbackrest/storage/files-4a49acf8/repo1","bucket":"b","endpoint":"s3.example.com","adminSecretRef":{"name":"old-admin"}}}`)
	rsp := compose(t, addRequired(xrRequest(spec), requiredS3Credentials, awsKeys))
	msg, fatal := fatalResult(rsp)
	want := `refusing a change that would lose data, nothing was applied: spec.percona.restore.from.repoPath: Invalid value: "/pgbackrest/storage/files-4a49acf8/repo1": is the repository this DittoServer's own backups write to (s3://b/pgbackrest/storage/files-4a49acf8/repo1); a restored cluster backs up to a new path, never into its source's. Restore from the source's repoPath (its status.database.backup.repoPath)`
	if !fatal || msg != want {
		t.Errorf("got %q (fatal %v)\nwant %q", msg, fatal, want)
	}
}

// TestRestoreOnlyAtCreation: once the cluster is observed its dataSource is
// kept exactly as observed, the source is no longer read, and a change of
// spec.percona.restore gets a warning saying it has no effect.
func TestRestoreOnlyAtCreation(t *testing.T) {
	first := restoreSpecJSON(`{"from":{"dittoServer":"old"}}`)
	req := addRequired(addRequired(xrRequest(first), requiredS3Credentials, awsKeys), requiredRestoreSource, sourceXR)
	rsp := compose(t, req)
	req = observeDesired(req, rsp)
	delete(req.GetRequiredResources(), requiredRestoreSource)

	cases := map[string]struct {
		spec    string
		warning string
	}{
		"Unchanged": {spec: first},
		"PointInTimeAdded": {
			spec:    restoreSpecJSON(`{"from":{"dittoServer":"old"},"pointInTime":"2026-12-01T18:30:00Z"}`),
			warning: `spec.percona.restore has no effect on an existing cluster: PerconaPGCluster files-postgres was created restored from dittoServer old and keeps that dataSource; the spec now says "dittoServer old, pointInTime 2026-12-01T18:30:00Z". To recover this server in place, use spec.percona.recovery`,
		},
		"Removed": {
			spec:    backupSpec,
			warning: `spec.percona.restore has no effect on an existing cluster: PerconaPGCluster files-postgres was created restored from dittoServer old and keeps that dataSource; the spec now says "none". To recover this server in place, use spec.percona.recovery`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, later(req, tc.spec, ""))
			var pc pgv2.PerconaPGCluster
			desiredInto(t, rsp, keyPerconaCluster, &pc)
			if diff := cmp.Diff(want(func(*crunchyv1beta1.PGBackRestDataSource) {}), pc.Spec.DataSource); diff != "" {
				t.Errorf("the observed dataSource is not kept (-want +got):\n%s", diff)
			}
			if _, ok := rsp.GetRequirements().GetResources()[requiredRestoreSource]; ok {
				t.Error("the source is still required once the cluster exists")
			}
			var warnings []string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING && strings.HasPrefix(r.GetMessage(), "spec.percona.restore") {
					warnings = append(warnings, r.GetMessage())
				}
			}
			var wantWarnings []string
			if tc.warning != "" {
				wantWarnings = []string{tc.warning}
			}
			if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("AddedToAnExistingCluster", func(t *testing.T) {
		live, _ := liveServer(t, backupSpec, "", awsKeys)
		rsp := compose(t, later(live, first, ""))
		var pc pgv2.PerconaPGCluster
		desiredInto(t, rsp, keyPerconaCluster, &pc)
		if pc.Spec.DataSource != nil {
			t.Errorf("a restore added to an existing cluster composed a dataSource: %+v", pc.Spec.DataSource)
		}
		want := "WARNING: spec.percona.restore has no effect: PerconaPGCluster files-postgres exists already, and a restore only fills a cluster when it is created. To restore into a new server, create a new DittoServer with spec.percona.restore; to recover this one in place, use spec.percona.recovery"
		if !strings.Contains(strings.Join(resultStrings(rsp), "\n"), want) {
			t.Errorf("no warning %q in %v", want, resultStrings(rsp))
		}
	})
}

// TestRestoredAdminPassword: a restored server's <xr>-admin holds the
// source's admin password (the restored database keeps the source's users),
// copied once; DittoFS waits until it can be read.
func TestRestoredAdminPassword(t *testing.T) {
	spec := restoreSpecJSON(`{"from":{"dittoServer":"old"}}`)
	sourceAdmin := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"old-admin","namespace":"storage"},"data":{"username":"YWRtaW4=","password":"c291cmNlLXBhc3N3b3Jk"}}`
	ready := func(required ...string) *fnv1.RunFunctionRequest {
		req := addRequired(addRequired(xrRequest(spec), requiredS3Credentials, awsKeys), requiredRestoreSource, sourceXR)
		req = observeDesired(req, compose(t, req))
		markLive(req)
		if required != nil {
			req = addRequired(req, requiredRestoreAdmin, required...)
		}
		return req
	}

	t.Run("Copied", func(t *testing.T) {
		rsp := compose(t, ready(sourceAdmin))
		var s corev1.Secret
		desiredInto(t, rsp, keyAdminSecret, &s)
		if got := string(s.Data["password"]); got != "source-password" {
			t.Errorf("<xr>-admin password = %q, want the source's", got)
		}
		sel := rsp.GetRequirements().GetResources()[requiredRestoreAdmin]
		if sel.GetMatchName() != "old-admin" || sel.GetNamespace() != "storage" {
			t.Errorf("the source's admin Secret is asked for as %v", sel)
		}
		// Once <xr>-admin exists it is kept, the source no longer read.
		req := observeDesired(ready(), rsp)
		delete(req.GetRequiredResources(), requiredRestoreAdmin)
		rsp = compose(t, req)
		desiredInto(t, rsp, keyAdminSecret, &s)
		if got := string(s.Data["password"]); got != "source-password" {
			t.Errorf("kept <xr>-admin password = %q", got)
		}
		if _, ok := rsp.GetRequirements().GetResources()[requiredRestoreAdmin]; ok {
			t.Error("the source's admin Secret is still required once <xr>-admin exists")
		}
	})
	t.Run("MissingWaits", func(t *testing.T) {
		rsp := compose(t, ready([]string{}...))
		for _, k := range desiredKeys(rsp) {
			if k == string(keyStatefulSet) || k == string(keyAdminSecret) {
				t.Errorf("%s composed before the source's admin password could be read", k)
			}
		}
		if got := condition(rsp, conditionWorkloadReady); got != "STATUS_CONDITION_FALSE/WaitingForRestoredAdminPassword" {
			t.Errorf("WorkloadReady = %s", got)
		}
	})
}

// TestRestoredFrom: the annotation that a later spec.percona.restore is
// compared with names every field that chose the restore's data, so a
// changed CA or passphrase reference on a live cluster is warned about too;
// and what an older cluster carries reads the same as before.
func TestRestoredFrom(t *testing.T) {
	raw := v1alpha1.RestoreSource{Bucket: "b", Endpoint: "s3.example:9000", RepoPath: "/pgbackrest/ns/old-1234abcd/repo1"}
	withSecrets := raw
	withSecrets.CASecretRef = &v1alpha1.SecretKeySelector{Name: "s3-ca"}
	withSecrets.Encryption = &v1alpha1.BackupEncryption{PassphraseSecretRef: v1alpha1.SecretKeySelector{Name: "cipher", Key: "pass"}}
	cases := map[string]struct {
		reason string
		r      *v1alpha1.PerconaRestoreConfig
		want   string
	}{
		"None": {
			reason: "No restore is the empty annotation, which keepObservedDataSource reads as a cluster never restored.",
			want:   "",
		},
		"DittoServer": {
			reason: "A DittoServer source is named by the server alone: its repository is read from it.",
			r:      &v1alpha1.PerconaRestoreConfig{From: v1alpha1.RestoreSource{DittoServer: "old"}, PointInTime: "2026-12-01T18:30:00Z"},
			want:   "dittoServer old, pointInTime 2026-12-01T18:30:00Z",
		},
		"RawCoordinates": {
			reason: "Raw coordinates without a CA or passphrase read as they did before those fields existed, so older clusters are not warned about.",
			r:      &v1alpha1.PerconaRestoreConfig{From: raw},
			want:   "s3://b/pgbackrest/ns/old-1234abcd/repo1 at s3.example:9000",
		},
		"RawWithCAAndEncryption": {
			reason: "The CA and passphrase references chose how the data was read: a later change to them has no effect and must be warned about; only Secret names appear, never data.",
			r:      &v1alpha1.PerconaRestoreConfig{From: withSecrets},
			want:   "s3://b/pgbackrest/ns/old-1234abcd/repo1 at s3.example:9000, ca s3-ca/ca.crt, encrypted, passphrase cipher/pass",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, restoredFrom(tc.r)); diff != "" {
				t.Errorf("%s\nrestoredFrom(r): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRestoreStateIsKept: status.database.restore.source.state is Restoring
// until the restored cluster first reports ready, then Restored; a later
// spell of the cluster not ready (a failover, an upgrade) keeps Restored,
// because the XR's observed status remembers it. Another source's Restored
// is not taken for this one's.
func TestRestoreStateIsKept(t *testing.T) {
	spec := restoreSpecJSON(`{"from":{"dittoServer":"old"}}`)
	req := addRequired(addRequired(xrRequest(spec), requiredS3Credentials, awsKeys), requiredRestoreSource, sourceXR)
	rsp := compose(t, req)
	req = observeDesired(req, rsp)

	state := func(rsp *fnv1.RunFunctionResponse) string {
		st := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
		src, _ := st["database"].(map[string]any)["restore"].(map[string]any)["source"].(map[string]any)
		s, _ := src["state"].(string)
		return s
	}
	withStatus := func(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, repoPath string) *fnv1.RunFunctionRequest {
		next := proto.Clone(req).(*fnv1.RunFunctionRequest)
		st := proto.Clone(rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue()).(*structpb.Struct)
		if repoPath != "" {
			st.GetFields()["database"].GetStructValue().GetFields()["restore"].GetStructValue().GetFields()["source"].GetStructValue().Fields["repoPath"] = structpb.NewStringValue(repoPath)
		}
		next.Observed.Composite.Resource.Fields["status"] = structpb.NewStructValue(st)
		return next
	}

	restoring := compose(t, req)
	if got := state(restoring); got != restoreStateRestoring {
		t.Fatalf("a cluster not ready yet: state %q, want %q", got, restoreStateRestoring)
	}
	live := proto.Clone(req).(*fnv1.RunFunctionRequest)
	markLive(live)
	restored := compose(t, live)
	if got := state(restored); got != restoreStateRestored {
		t.Fatalf("the cluster reports ready: state %q, want %q", got, restoreStateRestored)
	}
	cases := map[string]struct {
		reason   string
		req      *fnv1.RunFunctionRequest
		want     string
		wantCond string
	}{
		"RestoredThenNotReady": {
			reason:   "Once restored the cluster holds the restored data: a later spell of not ready must not read as a restore under way.",
			req:      withStatus(req, restored, ""),
			want:     restoreStateRestored,
			wantCond: "STATUS_CONDITION_TRUE/Restored",
		},
		"AnotherSourceRestored": {
			reason:   "A status that says another repository was restored says nothing of this one.",
			req:      withStatus(req, restored, "/pgbackrest/elsewhere/repo1"),
			want:     restoreStateRestoring,
			wantCond: "STATUS_CONDITION_FALSE/Restoring",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, tc.req)
			if diff := cmp.Diff(tc.want, state(rsp)); diff != "" {
				t.Errorf("%s\nstatus.database.restore.source.state: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantCond, condition(rsp, conditionRestoreReady)); diff != "" {
				t.Errorf("%s\nRestoreReady: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRestoreStoresOutsideThePod: what a restore does with the stores the
// restored XR declares outside the pod. From a dittoServer source, a
// postgres store on the source's cluster that this XR declares on its own
// cluster too (same name and database) is restored with the cluster and
// re-pointed by the pre-start step: the restore goes on. From raw
// coordinates (nothing known of the source), a postgres store elsewhere or
// a remote block store gets a warning; one on this XR's own cluster does
// not.
func TestRestoreStoresOutsideThePod(t *testing.T) {
	raw := `{"from":{"repoPath":"` + sourceRepoPath + `","bucket":"old-bucket","endpoint":"https://s3.old.example.com","region":"us-east-1","credentialsSecretRef":{"name":"old-s3"},"adminSecretRef":{"name":"old-admin"}}}`
	fromSource := `{"from":{"dittoServer":"old"}}`
	fileService := func(store string) string {
		return `{"metadataStores":[` + store + `],"blockStores":[{"name":"local","kind":"local","type":"fs"}],"shares":[{"name":"/export","metadataStore":"main","localBlockStore":"local"}]}`
	}
	const warning = "spec.percona.restore: this XR declares stores whose data is outside the backup"
	cases := map[string]struct {
		reason      string
		restore     string
		fileService string
		required    map[string]string
		condition   string // RestoreReady
		warned      string // a warning containing this, "" for none of warning's
	}{
		"SourceStoreDeclaredOnThisCluster": {
			reason:      "the source's store on its cluster, declared on this XR's cluster with the same name and database: restored with the cluster, and re-pointed before DittoFS starts",
			restore:     fromSource,
			fileService: fileService(`{"name":"main","type":"postgres"}`),
			required:    map[string]string{requiredRestoreSource: sourceWithStores(`[{"name":"main","type":"postgres"}]`, `[{"name":"local","kind":"local","type":"fs"}]`)},
			condition:   "STATUS_CONDITION_FALSE/Restoring",
		},
		"SourceStoreInAnotherDatabase": {
			reason:      "declared on this cluster but in another database: the restored record names the source's, and nothing points it here",
			restore:     fromSource,
			fileService: fileService(`{"name":"main","type":"postgres","postgres":{"database":"other_meta"}}`),
			required:    map[string]string{requiredRestoreSource: sourceWithStores(`[{"name":"main","type":"postgres"}]`, `[{"name":"local","kind":"local","type":"fs"}]`)},
			condition:   "STATUS_CONDITION_FALSE/SourceStoresShared",
		},
		"RawWithAStoreElsewhere": {
			reason:      "a postgres store on another server is not restored with the cluster: the restored record may name it, beside the source",
			restore:     raw,
			fileService: fileService(`{"name":"main","type":"postgres","postgres":{"secretName":"shared-postgres","database":"meta"}}`),
			required:    map[string]string{requiredRestoreCredentials: otherKeys},
			condition:   "STATUS_CONDITION_FALSE/Restoring",
			warned:      warning + " (metadata store main (postgres, database meta))",
		},
		"RawWithAStoreOnThisCluster": {
			reason:      "a postgres store on this XR's own cluster is re-pointed by the pre-start step: nothing to warn about",
			restore:     raw,
			fileService: fileService(`{"name":"main","type":"postgres"}`),
			required:    map[string]string{requiredRestoreCredentials: otherKeys},
			condition:   "STATUS_CONDITION_FALSE/Restoring",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := strings.Replace(restoreSpecJSON(tc.restore), `{"storage":`, `{"fileService":`+tc.fileService+`,"storage":`, 1)
			req := addRequired(xrRequest(xr), requiredS3Credentials, awsKeys)
			for n, o := range tc.required {
				req = addRequired(req, n, o)
			}
			rsp := compose(t, req)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nFatal: %s", tc.reason, msg)
			}
			if got := condition(rsp, conditionRestoreReady); got != tc.condition {
				t.Errorf("%s\nRestoreReady = %s, want %s", tc.reason, got, tc.condition)
			}
			results := strings.Join(resultStrings(rsp), "\n")
			switch {
			case tc.warned != "" && !strings.Contains(results, tc.warned):
				t.Errorf("%s\nno warning with %q in %s", tc.reason, tc.warned, results)
			case tc.warned == "" && strings.Contains(results, warning):
				t.Errorf("%s\nwarned: %s", tc.reason, results)
			}
		})
	}
}
