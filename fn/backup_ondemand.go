package fn

import (
	"fmt"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// observedBackup is what the function reads of an observed PerconaPGBackup.
type observedBackup struct {
	State, Completed, BackupName, Error string
}

// observedOnDemand reads the observed PerconaPGBackup under key, or nil.
func (c *composer) observedOnDemand(key resource.Name) *observedBackup {
	f := c.observedFields(key, []string{"status"})
	if f == nil {
		return nil
	}
	st, _ := f["status"].(map[string]any)
	s := func(k string) string { v, _ := st[k].(string); return v }
	return &observedBackup{State: s("state"), Completed: s("completed"), BackupName: s("backupName"), Error: s("error")}
}

// composeOnDemandBackup composes the PerconaPGBackup of
// spec.percona.backup.onDemand, ready once Percona reports it Succeeded,
// and returns what status.database.backup says of it. A new one waits for
// pgBackRest to be ready for backups (Percona fails a backup of a cluster
// that is not: failIfClusterIsNotReady); one observed is kept whatever
// the cluster's state, so that it never runs twice.
func (c *composer) composeOnDemandBackup(cluster *pgv2.PerconaPGCluster) (*v1alpha1.OnDemandBackupStatus, error) {
	b := c.ds.Spec.Percona.Backup
	if !b.Enabled {
		return nil, nil
	}
	if b.OnDemand == "" {
		return c.removedOnDemand(), nil
	}
	key := onDemandKey(b.OnDemand)
	st := &v1alpha1.OnDemandBackupStatus{Name: c.ds.PerconaBackupName(b.OnDemand), Token: b.OnDemand}
	observed := c.observedOnDemand(key)
	if observed == nil && !readyForBackup(cluster) {
		return st, nil
	}
	succeeded := observed != nil && observed.State == string(pgv2.BackupSucceeded)
	if err := c.add(key, build.PerconaBackup(c.ds, b.OnDemand), readiness(succeeded)); err != nil {
		return nil, err
	}
	if observed != nil {
		st.State, st.Completed, st.BackupName, st.Error = observed.State, observed.Completed, observed.BackupName, observed.Error
	}
	c.onDemandCondition(cluster, st)
	return st, nil
}

// readyForBackup: Percona says pgBackRest's stanza exists and backups run.
func readyForBackup(cluster *pgv2.PerconaPGCluster) bool {
	status, _, _ := perconaCondition(cluster, perconaReadyForBackup)
	return status == "True"
}

// onDemandCondition sets BackupReady for an on-demand backup that failed or
// runs; one that succeeded (or a cluster not ready for backups) leaves it
// to backupCondition. A condition set before (credentials, CA, passphrase)
// wins.
func (c *composer) onDemandCondition(cluster *pgv2.PerconaPGCluster, st *v1alpha1.OnDemandBackupStatus) {
	if c.hasCondition(conditionBackupReady) {
		return
	}
	switch {
	case st.State == string(pgv2.BackupFailed):
		msg := fmt.Sprintf("the on-demand backup %s (spec.percona.backup.onDemand %q) failed", st.Name, st.Token)
		if st.Error != "" {
			msg += ": " + st.Error
		}
		msg += "; the scheduled backups go on. To try again, set spec.percona.backup.onDemand to a new token"
		response.Warning(c.rsp, errors.New(msg)).TargetCompositeAndClaim()
		response.ConditionFalse(c.rsp, conditionBackupReady, "OnDemandBackupFailed").WithMessage(msg).TargetCompositeAndClaim()
	case st.State != string(pgv2.BackupSucceeded) && readyForBackup(cluster):
		response.ConditionTrue(c.rsp, conditionBackupReady, "OnDemandBackupRunning").
			WithMessage(fmt.Sprintf("pgBackRest backs up; the on-demand backup %s is %s", st.Name, spec.OrDefault(st.State, "pending"))).TargetCompositeAndClaim()
	}
}

// onDemandStatus completes status.database.backup with the on-demand
// backup (of the current token, or the record of a removed one) and the
// latest restorable time Percona reports for the cluster.
func (c *composer) onDemandStatus(st *v1alpha1.OnDemandBackupStatus) {
	if c.status.Database == nil || c.status.Database.Backup == nil {
		return
	}
	bs := c.status.Database.Backup
	bs.Encrypted = backupEncrypted(c.ds)
	if bs.Encrypted {
		bs.PassphraseDigest = c.statusPassphraseDigest()
	}
	bs.LastOnDemand = st
	bs.LatestRestorableTime = restorableTimeStatus(c.restorableTime())
}

// removedOnDemand is lastOnDemand once the token is removed from the spec:
// Crossplane deletes its PerconaPGBackup (its key is no longer desired),
// so the record the observed XR status holds is carried on, marked
// removed, and never again read as a live object. The memory is the XR's
// status, which Crossplane observes; nil when it holds none.
func (c *composer) removedOnDemand() *v1alpha1.OnDemandBackupStatus {
	last := c.observedXRStatus("database", "backup", "lastOnDemand")
	str := func(k string) string { v, _ := last[k].(string); return v }
	if str("name") == "" {
		return nil
	}
	return &v1alpha1.OnDemandBackupStatus{
		Name: str("name"), Token: str("token"), State: str("state"), Completed: str("completed"),
		BackupName: str("backupName"), Error: str("error"), Removed: true,
	}
}
