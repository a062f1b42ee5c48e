package fn

import (
	"time"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
)

// The latest restorable time, one reader for both its readers: the status
// (status.database.backup.latestRestorableTime) and the recovery's check
// that spec.percona.recovery.pointInTime is not later. Percona's WAL
// watcher (percona/watcher/wal.go, v2.9.0) writes it on the latest
// succeeded PerconaPGBackup of the cluster, whichever created it (the
// on-demand token, or Percona's own cron for the schedules), and stops
// moving it on one once a later backup completes: so the latest time is
// the latest over every succeeded backup of the cluster.

// perconaLatestRestorableTime is how Percona v2.9.0 writes a
// PerconaPGBackup's status.latestRestorableTime
// (PITRestoreDateTime.MarshalJSON).
const perconaLatestRestorableTime = "2006-01-02 15:04:05.000000-0700"

// requiredBackups lists the PerconaPGBackups of the XR's namespace; those
// of the cluster carry the latest restorable time.
const requiredBackups = "percona-backups"

// latestRestorableTime is the latest restorable time among backups
// (PerconaPGBackup objects, as Crossplane hands them over): the latest
// status.latestRestorableTime of the succeeded backups of cluster, read in
// Percona's format or RFC 3339. nil when none reports one it can read.
func latestRestorableTime(cluster string, backups ...map[string]any) *time.Time {
	var latest *time.Time
	for _, b := range backups {
		spec, _ := b["spec"].(map[string]any)
		status, _ := b["status"].(map[string]any)
		of, _ := spec["pgCluster"].(string)
		state, _ := status["state"].(string)
		at, _ := status["latestRestorableTime"].(string)
		if of != cluster || state != string(pgv2.BackupSucceeded) {
			continue
		}
		t, ok := parseRestorableTime(at)
		if !ok {
			continue
		}
		if latest == nil || t.After(*latest) {
			latest = &t
		}
	}
	return latest
}

// parseRestorableTime reads latestRestorableTime as Percona writes it, or
// RFC 3339.
func parseRestorableTime(s string) (time.Time, bool) {
	for _, layout := range []string{perconaLatestRestorableTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// restorableTimeStatus is t as the status publishes it: RFC 3339 in UTC, ""
// for none.
func restorableTimeStatus(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// restorableTime is the latest restorable time Percona reports for
// the XR's cluster: over the PerconaPGBackups of the namespace, read as
// required resources, and the observed on-demand backup (which is among
// them, once Crossplane has fetched them). The backups are asked for once
// the cluster is observed with backups on: before, there is no backup to
// read, and the kind may not even be installed (a required kind that does
// not exist fails the whole reconcile).
// It is read once per call: the status and the recovery see the same time.
func (c *composer) restorableTime() *time.Time {
	if !c.restorableRead {
		c.restorableRead = true
		c.restorable = c.readRestorableTime()
	}
	return c.restorable
}

func (c *composer) readRestorableTime() *time.Time {
	b := c.ds.Spec.Percona.Backup
	if !c.ds.Spec.Percona.Enabled || !b.Enabled || !c.isObserved(keyPerconaCluster) {
		return nil
	}
	c.require(requiredBackups, &fnv1.ResourceSelector{
		ApiVersion: "pgv2.percona.com/v2",
		Kind:       "PerconaPGBackup",
		Match:      &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: map[string]string{}}},
		Namespace:  ptr.To(c.ds.Namespace),
	})
	var backups []map[string]any
	if found, _, err := request.GetRequiredResource(c.req, requiredBackups); err == nil {
		for _, r := range found {
			backups = append(backups, r.Resource.Object)
		}
	}
	if b.OnDemand != "" {
		if o := c.observedFields(onDemandKey(b.OnDemand), []string{"spec", "pgCluster"}, []string{"status"}); o != nil {
			backups = append(backups, o)
		}
	}
	return latestRestorableTime(c.ds.PerconaClusterName(), backups...)
}
