package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// databaseSide are the objects and conditions of the database.
var databaseSide = []string{"percona-cluster", "pgbackrest-s3-secret", "usage-database-s3-credentials", "DatabaseReady", "BackupReady", "FunctionSuccess"}

const readyCluster = `{"apiVersion":"pgv2.percona.com/v2","kind":"PerconaPGCluster","metadata":{"name":"files-postgres","namespace":"storage","generation":2},
 "spec":{"backups":{"pgbackrest":{"configuration":[{"secret":{"name":"files-pgbackrest-s3"}}]}}},
 "status":{"state":"ready","observedGeneration":2,"host":"files-postgres-primary.storage.svc","conditions":[{"type":"ReadyForBackup","status":"True","reason":"AllConditionsAreTrue","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`

const awsKeys = `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"backup-s3","namespace":"storage"},"data":{"AWS_ACCESS_KEY_ID":"QUtJQQ==","AWS_SECRET_ACCESS_KEY":"c2VjcmV0"}}`

func TestRunFunctionDatabase(t *testing.T) {
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   summary
	}{
		"SQLiteComposesNoDatabase": {
			reason: "Without Percona nothing of the database is composed or required, and the conditions say the database is SQLite and backups are off, so the user is not left waiting on them.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"}}`),
			want: summary{
				Desired:    map[string]string{},
				Results:    []string{},
				Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/External", "BackupReady=STATUS_CONDITION_FALSE/Disabled"},
			},
		},
		"PerconaWithoutBackup": {
			reason: "A new Percona cluster is composed, not ready yet, and DittoFS waits for it with a Normal result saying so.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`),
			want: summary{
				Desired:    map[string]string{"percona-cluster": "READY_FALSE"},
				Requires:   []string{"pod-secret-database", "pod-secret-database-ca", "schema:percona-cluster-crd"},
				Results:    []string{"SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"},
				Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Creating", "BackupReady=STATUS_CONDITION_FALSE/Disabled"},
			},
		},
		"CredentialsNotFetchedYetWaitWithoutFatal": {
			reason: "Until Crossplane has fetched the credentials Secret the cluster is not composed (projecting a missing Secret, it would never start), and that is a wait, not a Fatal.",
			req:    xrRequest(backupSpec),
			want: summary{
				Desired:    map[string]string{},
				Requires:   []string{"pod-secret-database", "pod-secret-database-ca", "s3-credentials", "schema:percona-cluster-crd"},
				Results:    []string{"SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"},
				Conditions: []string{"BackupReady=STATUS_CONDITION_FALSE/WaitingForCredentials", "DatabaseReady=STATUS_CONDITION_FALSE/WaitingForBackupCredentials"},
			},
		},
		"CredentialsMissingSayWhichSecretAndKeys": {
			reason: "A credentials Secret that does not exist is a Warning naming the Secret, its field and the keys it needs, and the new cluster still waits for it.",
			req:    withRequired(xrRequest(backupSpec), "s3-credentials"),
			want: summary{
				Desired:    map[string]string{},
				Requires:   []string{"pod-secret-database", "pod-secret-database-ca", "s3-credentials", "schema:percona-cluster-crd"},
				Results:    []string{"SEVERITY_WARNING: the S3 credentials Secret storage/backup-s3 (spec.percona.backup.credentialsSecretRef) does not exist; " + s3CredentialsHelp, "SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"},
				Conditions: []string{"BackupReady=STATUS_CONDITION_FALSE/InvalidCredentials", "DatabaseReady=STATUS_CONDITION_FALSE/WaitingForBackupCredentials"},
			},
		},
		"PlainKeysComposeS3ConfSecret": {
			reason: "Plain AWS keys become the composed pgbackrest-s3 Secret with its Usage, and the cluster is composed with them.",
			req:    withRequired(xrRequest(backupSpec), "s3-credentials", awsKeys),
			want: summary{
				Desired:    map[string]string{"percona-cluster": "READY_FALSE", "pgbackrest-s3-secret": "READY_FALSE", "usage-database-s3-credentials": "READY_FALSE"},
				Requires:   []string{"pod-secret-database", "pod-secret-database-ca", "s3-credentials", "schema:percona-cluster-crd"},
				Results:    []string{"SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"},
				Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Creating", "BackupReady=STATUS_CONDITION_FALSE/Waiting"},
			},
		},
		"ReadyClusterAndBackups": {
			reason: "A ready cluster whose ReadyForBackup is True makes both conditions True and starts DittoFS; the Secret is ready once observed, the Usage not yet.",
			req: withObserved(withObserved(withRequired(xrRequest(backupSpec), "s3-credentials", awsKeys),
				"percona-cluster", readyCluster),
				"pgbackrest-s3-secret", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"files-pgbackrest-s3","namespace":"storage"}}`),
			want: summary{
				Desired:    map[string]string{"percona-cluster": "READY_TRUE", "pgbackrest-s3-secret": "READY_TRUE", "usage-database-s3-credentials": "READY_FALSE"},
				Requires:   []string{"percona-backups", "pod-secret-database", "pod-secret-database-ca", "s3-credentials"},
				Results:    []string{"SEVERITY_NORMAL: PerconaPGCluster files-postgres is ready: starting DittoFS"},
				Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/Available", "BackupReady=STATUS_CONDITION_TRUE/Available"},
			},
		},
		"CredentialsGoneLaterKeepEverything": {
			reason: "Credentials deleted under a running cluster warn and turn BackupReady False, but the cluster, the composed Secret and its Usage stay desired: nothing holding data is dropped.",
			req: withObserved(withObserved(withRequired(xrRequest(backupSpec), "s3-credentials"),
				"percona-cluster", readyCluster),
				"pgbackrest-s3-secret", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"files-pgbackrest-s3","namespace":"storage"},"data":{"s3.conf":"eA=="}}`),
			want: summary{
				Desired:    map[string]string{"percona-cluster": "READY_TRUE", "pgbackrest-s3-secret": "READY_TRUE", "usage-database-s3-credentials": "READY_FALSE"},
				Requires:   []string{"percona-backups", "pod-secret-database", "pod-secret-database-ca", "s3-credentials"},
				Results:    []string{"SEVERITY_WARNING: the S3 credentials Secret storage/backup-s3 (spec.percona.backup.credentialsSecretRef) does not exist; " + s3CredentialsHelp, "SEVERITY_NORMAL: PerconaPGCluster files-postgres is ready: starting DittoFS"},
				Conditions: []string{"BackupReady=STATUS_CONDITION_FALSE/InvalidCredentials", "DatabaseReady=STATUS_CONDITION_TRUE/Available"},
			},
		},
		"StaleGenerationIsNotReady": {
			reason: "A cluster that reports ready for an older generation has not applied our spec yet, so it is Initializing and DittoFS keeps waiting.",
			req: withObserved(xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`), "percona-cluster",
				strings.Replace(readyCluster, `"generation":2`, `"generation":3`, 1)),
			want: summary{
				Desired:    map[string]string{"percona-cluster": "READY_FALSE"},
				Requires:   []string{"pod-secret-database", "pod-secret-database-ca"},
				Results:    []string{"SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"},
				Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing", "BackupReady=STATUS_CONDITION_FALSE/Disabled"},
			},
		},
		"InvalidSpecIsFatalAndNamesTheField": {
			reason: "A missing bucket is a Fatal naming spec.percona.backup.bucket and composes nothing, so no half-configured cluster is applied.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"x"},"endpoint":"s3.example.com"}}}`),
			want: summary{
				Desired:    map[string]string{},
				Results:    []string{`SEVERITY_FATAL: invalid DittoServer "files": spec.percona.backup.bucket: Required value: required when backup is enabled`},
				Conditions: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/InvalidSpec"},
			},
		},
		"WrongTypeIsFatalAndNamesTheField": {
			reason: "A value of the wrong JSON type is a Fatal naming the field and the type it must be, not an internal decode error.",
			req:    xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"replicas":"three"}}`),
			want: summary{
				Desired:    map[string]string{},
				Results:    []string{`SEVERITY_FATAL: invalid DittoServer "files": spec.percona.replicas: must be a int32, not a string`},
				Conditions: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/InvalidSpec"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := summarize(compose(t, tc.req), databaseSide...)
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func cmpSummary() cmp.Option {
	return cmp.Options{protocmp.Transform(), cmp.Transformer("nilToEmpty", func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	})}
}

// TestRunFunctionStatus checks the XR status the user reads.
func TestRunFunctionStatus(t *testing.T) {
	req := withObserved(withRequired(xrRequest(backupSpec), "s3-credentials", awsKeys), "percona-cluster", readyCluster)
	rsp := compose(t, req)
	status := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue()
	hash := status.GetFields()["configHash"].GetStringValue()
	if len(hash) != 16 {
		t.Errorf("status.configHash = %q, want 16 hex characters", hash)
	}
	delete(status.GetFields(), "configHash")
	want := resource.MustStructJSON(`{
		"phase": "Pending",
		"database": {"clusterName":"files-postgres","host":"files-postgres-primary.storage.svc","state":"ready","backupReady":true,
			"backup": {"repoPath":"/pgbackrest/storage/files-4a49acf8/repo1","bucket":"b","endpoint":"s3.example.com","region":"eu-west-1"}},
		"endpoints": {"api":"http://files-api.storage.svc.cluster.local:8080","nfs":"files-nfs.storage.svc.cluster.local:2049","smb":"files-smb.storage.svc.cluster.local:445"}
	}`)
	if diff := cmp.Diff(want, status, protocmp.Transform()); diff != "" {
		t.Errorf("RunFunction(): desired XR status: -want, +got:\n%s", diff)
	}
}

// TestRunFunctionDatabaseFailure: Percona's own reason reaches the user as a
// warning event and in DatabaseReady.
func TestRunFunctionDatabaseFailure(t *testing.T) {
	cluster := `{"apiVersion":"pgv2.percona.com/v2","kind":"PerconaPGCluster","metadata":{"name":"files-postgres","namespace":"storage","generation":1},
	 "status":{"state":"initializing","observedGeneration":1,"conditions":[
	   {"type":"PersistentVolumeResizing","status":"False","reason":"PersistentVolumeError","message":"storage class does not allow expansion","lastTransitionTime":"2026-01-01T00:00:00Z"},
	   {"type":"ReadyForBackup","status":"False","reason":"PGBackRestRepoHostReady","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`
	rsp := compose(t, withObserved(xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`), "percona-cluster", cluster))
	var got []string
	for _, r := range rsp.GetResults() {
		got = append(got, r.GetSeverity().String()+": "+r.GetMessage())
	}
	for _, c := range rsp.GetConditions() {
		if c.GetType() == conditionDatabaseReady {
			got = append(got, c.GetReason()+": "+c.GetMessage())
		}
	}
	want := []string{
		"SEVERITY_WARNING: PerconaPGCluster files-postgres is not ready: PersistentVolumeResizing (PersistentVolumeError: storage class does not allow expansion)",
		"SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS",
		`Initializing: waiting for PerconaPGCluster files-postgres to report ready (state "initializing"); Percona reports PersistentVolumeResizing (PersistentVolumeError: storage class does not allow expansion)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunFunction(): results and DatabaseReady: -want, +got:\n%s", diff)
	}
}
