package fn

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/resource"
)

// backupObject is a PerconaPGBackup as Crossplane hands it over.
func backupObject(t *testing.T, cluster, state, at string) map[string]any {
	t.Helper()
	return resource.MustStructJSON(perconaBackupJSON("b", cluster, state, at)).AsMap()
}

func TestLatestRestorableTime(t *testing.T) {
	const cluster = "files-postgres"
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	cases := map[string]struct {
		backups []map[string]any
		want    *time.Time
	}{
		"NoBackups": {},
		"PerconasFormatWithAnOffset": {
			backups: []map[string]any{backupObject(t, cluster, "Succeeded", "2026-12-01 19:42:07.123456+0100")},
			want:    at("2026-12-01T18:42:07.123456Z"),
		},
		"RFC3339": {
			backups: []map[string]any{backupObject(t, cluster, "Succeeded", "2026-12-01T18:42:07Z")},
			want:    at("2026-12-01T18:42:07Z"),
		},
		"TheLatestOfSeveralWhateverTheOrder": {
			backups: []map[string]any{
				backupObject(t, cluster, "Succeeded", "2026-12-01 18:00:00.000000+0000"),
				backupObject(t, cluster, "Succeeded", "2026-12-01 20:00:00.000000+0000"),
				backupObject(t, cluster, "Succeeded", "2026-12-01 19:00:00.000000+0000"),
			},
			want: at("2026-12-01T20:00:00Z"),
		},
		"AnotherClustersIgnored": {
			backups: []map[string]any{
				backupObject(t, cluster, "Succeeded", "2026-12-01 18:00:00.000000+0000"),
				backupObject(t, "other-postgres", "Succeeded", "2026-12-01 20:00:00.000000+0000"),
			},
			want: at("2026-12-01T18:00:00Z"),
		},
		"OnlySucceededBackupsCount": {
			backups: []map[string]any{
				backupObject(t, cluster, "Running", "2026-12-01 20:00:00.000000+0000"),
				backupObject(t, cluster, "Failed", "2026-12-01 21:00:00.000000+0000"),
			},
		},
		"AnUnreadableTimeIsSkippedNotGuessed": {
			backups: []map[string]any{
				backupObject(t, cluster, "Succeeded", "yesterday"),
				backupObject(t, cluster, "Succeeded", "2026-12-01 18:00:00.000000+0000"),
			},
			want: at("2026-12-01T18:00:00Z"),
		},
		"SucceededWithoutATimeYet": {
			backups: []map[string]any{backupObject(t, cluster, "Succeeded", "")},
		},
		"NoStatusAtAll": {
			backups: []map[string]any{{"spec": map[string]any{"pgCluster": cluster}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := latestRestorableTime(cluster, tc.backups...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRestorableTimeOneReader: status.database.backup.latestRestorableTime
// and the recovery's check read the same time, the latest over every
// PerconaPGBackup of the cluster: a scheduled backup's, without an
// on-demand token, and after the token is removed.
func TestRestorableTimeOneReader(t *testing.T) {
	scheduled := []string{
		perconaBackupJSON("files-postgres-repo1-full-abc12", "files-postgres", "Succeeded", "2026-12-01 18:59:59.500000+0000"),
		perconaBackupJSON("files-postgres-repo1-incr-def34", "files-postgres", "Succeeded", "2026-12-01 19:00:00.000000+0000"),
		perconaBackupJSON("other-postgres-repo1-full-ghi56", "other-postgres", "Succeeded", "2026-12-01 23:00:00.000000+0000"),
	}
	const want = "2026-12-01T19:00:00Z"

	t.Run("StatusFromScheduledBackups", func(t *testing.T) {
		req, _ := liveServer(t, backupSpec, "", awsKeys)
		rsp := compose(t, addRequired(req, requiredBackups, scheduled...))
		if _, ok := rsp.GetRequirements().GetResources()[requiredBackups]; !ok {
			t.Fatal("the PerconaPGBackups are not required for a live cluster with backups")
		}
		if got := backupStatusOf(t, rsp).LatestRestorableTime; got != want {
			t.Errorf("latestRestorableTime = %q, want %q", got, want)
		}
	})
	t.Run("NotRequiredBeforeTheClusterExists", func(t *testing.T) {
		rsp := compose(t, withRequired(xrRequest(backupSpec), requiredS3Credentials, awsKeys))
		if _, ok := rsp.GetRequirements().GetResources()[requiredBackups]; ok {
			t.Error("the PerconaPGBackups are required before the cluster is observed (the kind may not exist)")
		}
	})
	t.Run("KeptAfterTheTokenIsRemoved", func(t *testing.T) {
		req, _ := liveServer(t, onDemandSpec("before-upgrade"), "", awsKeys)
		setReadyForBackup(req, "True")
		withBackupStatus(req, onDemandKey("before-upgrade"), `{"state":"Succeeded","backupName":"20261201-185900F","latestRestorableTime":"2026-12-01 18:59:00.000000+0000"}`)
		removed := compose(t, addRequired(later(req, backupSpec, ""), requiredBackups, scheduled...))
		st := backupStatusOf(t, removed)
		if st.LatestRestorableTime != want {
			t.Errorf("with onDemand removed, latestRestorableTime = %q, want %q", st.LatestRestorableTime, want)
		}
	})
	t.Run("TheRecoveryChecksTheSameTime", func(t *testing.T) {
		req, _ := liveServer(t, backupSpec, "", awsKeys)
		rsp := compose(t, addRequired(later(req, recoverySpec("r1", "2026-12-01T19:00:00.5Z"), ""), requiredBackups, scheduled...))
		if got := condition(rsp, conditionRestoreReady); got != "STATUS_CONDITION_FALSE/PointInTimeNotRestorable" {
			t.Errorf("RestoreReady = %s", got)
		}
		msg := "later than the latest restorable time Percona reports, " + want
		if !strings.Contains(strings.Join(resultStrings(rsp), "\n"), msg) {
			t.Errorf("no result with %q in %v", msg, resultStrings(rsp))
		}
		if got := backupStatusOf(t, rsp).LatestRestorableTime; got != want {
			t.Errorf("the status says %q, the recovery checked against %s", got, want)
		}
		ok := compose(t, addRequired(later(req, recoverySpec("r1", want), ""), requiredBackups, scheduled...))
		if got := condition(ok, conditionRestoreReady); got != "STATUS_CONDITION_FALSE/StoppingDittoFS" {
			t.Errorf("a pointInTime equal to the latest restorable time: RestoreReady = %s", got)
		}
	})
}
