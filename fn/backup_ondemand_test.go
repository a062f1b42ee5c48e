package fn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// onDemandSpec is backupSpec with spec.percona.backup.onDemand: token.
func onDemandSpec(token string) string {
	return strings.Replace(backupSpec, `"endpoint":"s3.example.com"`, `"endpoint":"s3.example.com","onDemand":"`+token+`"`, 1)
}

// withBackupStatus sets the observed status of the PerconaPGBackup under
// key, as Percona writes it.
func withBackupStatus(req *fnv1.RunFunctionRequest, key resource.Name, status string) {
	if o := req.GetObserved().GetResources()[string(key)].GetResource(); o != nil {
		o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(status))
	}
}

// setReadyForBackup overrides the observed cluster's ReadyForBackup.
func setReadyForBackup(req *fnv1.RunFunctionRequest, status string) {
	o := req.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource()
	o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(`{"state":"ready","conditions":[{"type":"ReadyForBackup","status":"` + status + `","reason":"Percona","lastTransitionTime":"2026-01-01T00:00:00Z"}]}`))
}

// backupStatusOf is the XR's status.database.backup.
func backupStatusOf(t *testing.T, rsp *fnv1.RunFunctionResponse) *v1alpha1.BackupStatus {
	t.Helper()
	db := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["database"]
	b, err := db.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var st v1alpha1.DatabaseStatus
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.Backup
}

// conditionOf is a condition's status and reason, "" when not set.
func conditionOf(rsp *fnv1.RunFunctionResponse, typ string) string {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == typ {
			return strings.TrimPrefix(c.GetStatus().String(), "STATUS_CONDITION_") + " " + c.GetReason()
		}
	}
	return ""
}

// TestOnDemandBackup: one PerconaPGBackup per token, composed once
// pgBackRest is ready for backups, kept whatever the cluster does once it
// exists, ready on Succeeded, reported in status.database.backup and
// BackupReady.
func TestOnDemandBackup(t *testing.T) {
	const key = "percona-backup-before-upgrade"
	wantBackup := `{"apiVersion":"pgv2.percona.com/v2","kind":"PerconaPGBackup","metadata":{"name":"files-postgres-backup-before-upgrade","namespace":"storage",` +
		`"labels":{"app.kubernetes.io/component":"backup","app.kubernetes.io/instance":"files","app.kubernetes.io/managed-by":"function-dittofs","app.kubernetes.io/name":"dittofs"}},` +
		`"spec":{"pgCluster":"files-postgres","repoName":"repo1","options":["--type=full"],"containerOptions":{}}}`
	repo := v1alpha1.BackupStatus{RepoPath: "/pgbackrest/storage/files-4a49acf8/repo1", Bucket: "b", Endpoint: "s3.example.com", Region: "eu-west-1"}
	lastOnDemand := func(state, completed, label, errMsg string) *v1alpha1.OnDemandBackupStatus {
		return &v1alpha1.OnDemandBackupStatus{Name: "files-postgres-backup-before-upgrade", Token: "before-upgrade", State: state, Completed: completed, BackupName: label, Error: errMsg}
	}
	with := func(b v1alpha1.BackupStatus, f func(*v1alpha1.BackupStatus)) *v1alpha1.BackupStatus { f(&b); return &b }

	cases := map[string]struct {
		reason         string
		readyForBackup string // the cluster's ReadyForBackup
		observed       bool   // the PerconaPGBackup exists
		status         string // its status, as Percona writes it
		wantComposed   bool
		wantReady      fnv1.Ready
		wantStatus     *v1alpha1.BackupStatus
		wantCondition  string
	}{
		"WaitsForPgBackRest": {
			reason:         "Percona fails a backup of a cluster not ready for backups: the PerconaPGBackup waits",
			readyForBackup: "False",
			wantStatus:     with(repo, func(b *v1alpha1.BackupStatus) { b.LastOnDemand = lastOnDemand("", "", "", "") }),
			wantCondition:  "FALSE Percona",
		},
		"ComposedOncePgBackRestIsReady": {
			reason:         "ready for backups: the backup is composed, not ready until Percona says Succeeded",
			readyForBackup: "True",
			wantComposed:   true, wantReady: fnv1.Ready_READY_FALSE,
			wantStatus:    with(repo, func(b *v1alpha1.BackupStatus) { b.LastOnDemand = lastOnDemand("", "", "", "") }),
			wantCondition: "TRUE OnDemandBackupRunning",
		},
		"Running": {
			reason:         "Percona's state is reported while the Job runs",
			readyForBackup: "True", observed: true, status: `{"state":"Running","jobName":"files-postgres-backup-x7k2"}`,
			wantComposed: true, wantReady: fnv1.Ready_READY_FALSE,
			wantStatus:    with(repo, func(b *v1alpha1.BackupStatus) { b.LastOnDemand = lastOnDemand("Running", "", "", "") }),
			wantCondition: "TRUE OnDemandBackupRunning",
		},
		"Succeeded": {
			reason:         "Succeeded is ready; the completion time, pgBackRest's label and the latest restorable time (Percona's format, published in RFC 3339) are reported",
			readyForBackup: "True", observed: true,
			status:       `{"state":"Succeeded","completed":"2026-12-01T19:30:41Z","backupName":"20261201-193012F","latestRestorableTime":"2026-12-01 19:42:07.123456+0100"}`,
			wantComposed: true, wantReady: fnv1.Ready_READY_TRUE,
			wantStatus: with(repo, func(b *v1alpha1.BackupStatus) {
				b.LastOnDemand = lastOnDemand("Succeeded", "2026-12-01T19:30:41Z", "20261201-193012F", "")
				b.LatestRestorableTime = "2026-12-01T18:42:07.123456Z"
			}),
			wantCondition: "TRUE Available",
		},
		"SucceededKeptWhileTheClusterIsNotReadyForBackups": {
			reason:         "an observed backup is never dropped (dropping it would delete it, and a new object would back up again)",
			readyForBackup: "False", observed: true, status: `{"state":"Succeeded","completed":"2026-12-01T19:30:41Z"}`,
			wantComposed: true, wantReady: fnv1.Ready_READY_TRUE,
			wantStatus: with(repo, func(b *v1alpha1.BackupStatus) {
				b.LastOnDemand = lastOnDemand("Succeeded", "2026-12-01T19:30:41Z", "", "")
			}),
			wantCondition: "FALSE Percona",
		},
		"Failed": {
			reason:         "a failed backup is reported with Percona's error and what to do; it stays not ready until the token changes",
			readyForBackup: "True", observed: true, status: `{"state":"Failed","error":"backup job failed"}`,
			wantComposed: true, wantReady: fnv1.Ready_READY_FALSE,
			wantStatus:    with(repo, func(b *v1alpha1.BackupStatus) { b.LastOnDemand = lastOnDemand("Failed", "", "", "backup job failed") }),
			wantCondition: "FALSE OnDemandBackupFailed",
		},
		"UnknownRestorableTimeLeftOut": {
			reason:         "a latestRestorableTime in no known format is not published rather than published wrong",
			readyForBackup: "True", observed: true, status: `{"state":"Succeeded","latestRestorableTime":"yesterday"}`,
			wantComposed: true, wantReady: fnv1.Ready_READY_TRUE,
			wantStatus:    with(repo, func(b *v1alpha1.BackupStatus) { b.LastOnDemand = lastOnDemand("Succeeded", "", "", "") }),
			wantCondition: "TRUE Available",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req, rsp := liveServer(t, onDemandSpec("before-upgrade"), "", awsKeys)
			if !tc.observed {
				delete(req.GetObserved().GetResources(), key)
			} else if _, ok := req.GetObserved().GetResources()[key]; !ok {
				t.Fatalf("the live server's on-demand backup was not composed: %v", desiredKeys(rsp))
			}
			withBackupStatus(req, key, tc.status)
			setReadyForBackup(req, tc.readyForBackup)
			rsp = compose(t, req)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatal(msg)
			}
			got, composed := rsp.GetDesired().GetResources()[key]
			if composed != tc.wantComposed {
				t.Fatalf("%s\ncomposed %v, want %v (desired: %v)", tc.reason, composed, tc.wantComposed, desiredKeys(rsp))
			}
			if composed {
				b, _ := got.GetResource().MarshalJSON()
				if diff := cmp.Diff(jsonValue(t, wantBackup), jsonValue(t, string(b))); diff != "" {
					t.Errorf("%s\nthe PerconaPGBackup (-want +got):\n%s", tc.reason, diff)
				}
				if got.GetReady() != tc.wantReady {
					t.Errorf("%s\nready %v, want %v", tc.reason, got.GetReady(), tc.wantReady)
				}
			}
			if diff := cmp.Diff(tc.wantStatus, backupStatusOf(t, rsp)); diff != "" {
				t.Errorf("%s\nstatus.database.backup (-want +got):\n%s", tc.reason, diff)
			}
			if got := conditionOf(rsp, conditionBackupReady); got != tc.wantCondition {
				t.Errorf("%s\nBackupReady %q, want %q", tc.reason, got, tc.wantCondition)
			}
		})
	}
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

// TestOnDemandNewToken: a new token is a new PerconaPGBackup under a new
// key, and the old key is no longer desired, so Crossplane deletes the old
// object (the backup it took stays in the repository).
func TestOnDemandNewToken(t *testing.T) {
	req, _ := liveServer(t, onDemandSpec("first"), "", awsKeys)
	withBackupStatus(req, "percona-backup-first", `{"state":"Succeeded"}`)
	rsp := compose(t, later(req, onDemandSpec("second"), ""))
	var backups []string
	for _, k := range desiredKeys(rsp) {
		if strings.HasPrefix(k, "percona-backup-") {
			backups = append(backups, k+" "+rsp.GetDesired().GetResources()[k].GetResource().GetFields()["metadata"].GetStructValue().GetFields()["name"].GetStringValue())
		}
	}
	if diff := cmp.Diff([]string{"percona-backup-second files-postgres-backup-second"}, backups); diff != "" {
		t.Errorf("desired on-demand backups (-want +got):\n%s", diff)
	}
	removed := compose(t, later(req, backupSpec, ""))
	for _, k := range desiredKeys(removed) {
		if strings.HasPrefix(k, "percona-backup-") {
			t.Errorf("with onDemand removed, %s is still desired", k)
		}
	}
	if st := backupStatusOf(t, removed); st.LastOnDemand != nil {
		t.Errorf("with onDemand removed, status.database.backup.lastOnDemand = %+v", st.LastOnDemand)
	}
}

// TestOnDemandRefused: an on-demand backup with backups off, or a token that
// is not a DNS label of at most 18 characters, is refused naming the field.
func TestOnDemandRefused(t *testing.T) {
	cases := map[string]struct {
		spec string
		want string
	}{
		"BackupsOff": {
			spec: `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"onDemand":"now"}}}`,
			want: "spec.percona.backup.onDemand: Forbidden: an on-demand backup needs backups on: set spec.percona.backup.enabled: true, or remove onDemand",
		},
		"NotADNSLabel": {
			spec: onDemandSpec("Before_Upgrade"),
			want: `spec.percona.backup.onDemand: Invalid value: "Before_Upgrade": must be a DNS label`,
		},
		"TooLong": {
			spec: onDemandSpec("a-token-of-19-chars"),
			want: `spec.percona.backup.onDemand: Invalid value: "a-token-of-19-chars": must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit) of at most 18 characters`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, withRequired(xrRequest(tc.spec), requiredS3Credentials, awsKeys))
			msg, fatal := fatalResult(rsp)
			if !fatal || !strings.Contains(msg, tc.want) {
				t.Errorf("result %q (fatal %v), want one containing %q", msg, fatal, tc.want)
			}
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Errorf("a refused spec desired %v", desiredKeys(rsp))
			}
		})
	}
}
