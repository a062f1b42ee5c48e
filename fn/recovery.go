package fn

import (
	"fmt"
	"sort"
	"strings"
	"time"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// In-place point-in-time recovery (spec.percona.recovery): one
// PerconaPGRestore per id. The Percona operator (percona/controller/pgrestore,
// v2.9.0) needs nothing else on the cluster: for a restore in state "" it
// sets spec.backups.pgbackrest.restore (enabled, repoName, options) and the
// pgbackrest-restore annotation on the PerconaPGCluster itself, and turns
// enabled off again when the restore ends. The function composes neither
// (it would fight the operator over them), and DittoFS is stopped first: a
// server writing to the database while it is rewound would lose those
// writes, or fail midway.
//
// The function remembers nothing itself. What Crossplane observes does: a
// restore once composed stays observed (every one is kept, under its own
// key), and status.database.restore.recovery records the last id and how it
// ended, so an id never restores twice, even if its restore is deleted.

// Recovery states in status.database.restore.recovery.state.
const (
	recoveryStopping  = "StoppingDittoFS"
	recoveryRestoring = "Restoring"
	recoverySucceeded = "Succeeded"
	recoveryFailed    = "Failed"
	recoveryRefused   = "Refused"
	recoveryWaiting   = "WaitingForRestorableTime"
)

func recoveryKey(id string) resource.Name { return resource.Name(recoveryKeyPrefix + id) }

// observedRecoveries are the observed PerconaPGRestores, by id.
func (c *composer) observedRecoveries() map[string]*pgv2.PerconaPGRestore {
	out := map[string]*pgv2.PerconaPGRestore{}
	for key := range c.req.GetObserved().GetResources() {
		id, ok := strings.CutPrefix(key, recoveryKeyPrefix)
		if !ok {
			continue
		}
		fields := c.observedFields(resource.Name(key), []string{"metadata", "name"}, []string{"spec", "options"}, []string{"status", "state"})
		r := &pgv2.PerconaPGRestore{}
		status, _ := fields["status"].(map[string]any)
		if st, ok := status["state"].(string); ok {
			r.Status.State = pgv2.PGRestoreState(st)
		}
		spec, _ := fields["spec"].(map[string]any)
		opts, _ := spec["options"].([]any)
		for _, o := range opts {
			if o, ok := o.(string); ok {
				r.Spec.Options = append(r.Spec.Options, o)
			}
		}
		out[id] = r
	}
	return out
}

// keepRecoveries keeps every observed PerconaPGRestore as it is: they are
// the memory of which ids ran. Ready once ended, except the current
// recovery's failure, which leaves the XR not ready.
func (c *composer) keepRecoveries(observed map[string]*pgv2.PerconaPGRestore, current string) error {
	ids := make([]string, 0, len(observed))
	for id := range observed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ready := resource.ReadyTrue
		if id == current && observed[id].Status.State != pgv2.RestoreSucceeded {
			ready = resource.ReadyFalse
		}
		if err := c.keepObserved(ready, recoveryKey(id)); err != nil {
			return err
		}
	}
	return nil
}

// observedRecoveryStatus is status.database.restore.recovery of the observed
// XR: the last recovery and how it ended.
func (c *composer) observedRecoveryStatus() *v1alpha1.RecoveryStatus {
	rec := c.observedXRStatus("database", "restore", "recovery")
	if rec == nil {
		return nil
	}
	str := func(k string) string { v, _ := rec[k].(string); return v }
	return &v1alpha1.RecoveryStatus{ID: str("id"), PointInTime: str("pointInTime"), RestoreName: str("restoreName"), State: str("state")}
}

// dittoFSStopped: the StatefulSet asks for no pod and has none, ready or
// not. A StatefulSet not composed yet runs nothing either.
func dittoFSStopped(sts *appsv1.StatefulSet) bool {
	if sts == nil {
		return true
	}
	return sts.Spec.Replicas != nil && *sts.Spec.Replicas == 0 &&
		sts.Status.ObservedGeneration >= sts.Generation &&
		sts.Status.Replicas == 0 && sts.Status.ReadyReplicas == 0
}

// recoveryStep is what the recovery asks of this call.
type recoveryStep struct {
	// StopDittoFS scales the StatefulSet to 0.
	StopDittoFS bool
	// Compose is the PerconaPGRestore to compose now, nil for none.
	Compose *pgv2.PerconaPGRestore
	// Status is status.database.restore.recovery.
	Status *v1alpha1.RecoveryStatus
	// Reason and Message are RestoreReady's; Ready its status.
	Reason, Message string
	Ready           bool
	// Warning, when not empty, is also a warning event.
	Warning string
}

// recoveryInputs is everything the state machine reads.
type recoveryInputs struct {
	Spec     *v1alpha1.PerconaRecoveryConfig
	Restores map[string]*pgv2.PerconaPGRestore
	Last     *v1alpha1.RecoveryStatus
	STS      *appsv1.StatefulSet
	// Latest is the latest restorable time Percona reports; nil when none.
	Latest *time.Time
	// Server, RestoreName and Job name the objects for the messages.
	Server, RestoreName, Job string
}

// nextRecoveryStep is the recovery's state machine, pure: from what
// Crossplane observes to what this call composes.
func nextRecoveryStep(in recoveryInputs) recoveryStep {
	r := in.Spec
	if step, ok := runningRestoreStep(in); ok {
		return step
	}
	if r == nil {
		return recoveryStep{Status: endedLast(in), Ready: true, Reason: "NoneRequested", Message: "no recovery is asked for"}
	}
	st := &v1alpha1.RecoveryStatus{ID: r.ID, PointInTime: r.PointInTime, RestoreName: in.RestoreName}
	if o, ok := in.Restores[r.ID]; ok {
		return observedRecoveryStep(in, o, st)
	}
	if l := in.Last; l != nil && l.ID == r.ID && (l.State == recoverySucceeded || l.State == recoveryFailed) {
		// Its restore is gone (deleted by hand): the status remembers.
		st.State, st.PointInTime = l.State, l.PointInTime
		return endedRecoveryStep(in, st, "")
	}
	restoring := in.Last != nil && in.Last.ID == r.ID && in.Last.State == recoveryRestoring
	if !restoring {
		target, _ := time.Parse(time.RFC3339Nano, r.PointInTime)
		switch {
		case in.Latest == nil:
			st.State = recoveryWaiting
			return recoveryStep{Status: st, Reason: recoveryWaiting, Message: fmt.Sprintf(
				"spec.percona.recovery: Percona reports no latestRestorableTime for this cluster yet (a PerconaPGBackup must have succeeded and the WAL watcher run); DittoFS is not stopped for it, and the recovery %s starts once it is reported", r.ID)}
		case target.After(*in.Latest):
			st.State = recoveryRefused
			msg := fmt.Sprintf("spec.percona.recovery.pointInTime: %s is later than the latest restorable time Percona reports, %s: the backups cannot reach it. Set a pointInTime at or before it (and a new id); DittoFS is not stopped for it", r.PointInTime, in.Latest.UTC().Format(time.RFC3339))
			return recoveryStep{Status: st, Reason: "PointInTimeNotRestorable", Message: msg, Warning: msg}
		}
	}
	if !dittoFSStopped(in.STS) {
		st.State = recoveryStopping
		return recoveryStep{StopDittoFS: true, Status: st, Reason: recoveryStopping, Message: fmt.Sprintf(
			"recovery %s: stopping DittoFS before restoring the database to %s (%s)", r.ID, r.PointInTime, stsProgress(in.Server, in.STS))}
	}
	st.State = recoveryRestoring
	return recoveryStep{StopDittoFS: true, Compose: &pgv2.PerconaPGRestore{}, Status: st, Reason: recoveryRestoring, Message: fmt.Sprintf(
		"recovery %s: DittoFS is stopped; PerconaPGRestore %s restores the database to %s", r.ID, in.RestoreName, r.PointInTime)}
}

// runningRestoreStep: a restore that is still running while the spec asks
// for no recovery or another id (removed, or replaced, mid-restore) keeps
// DittoFS stopped and starts no other restore beside it: DittoFS writing to
// a database being rewound would lose those writes, and two restores would
// race over the cluster. ok is false when no other restore runs.
func runningRestoreStep(in recoveryInputs) (recoveryStep, bool) {
	ids := make([]string, 0, len(in.Restores))
	for id, o := range in.Restores {
		if (in.Spec == nil || id != in.Spec.ID) && !restoreEnded(o) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return recoveryStep{}, false
	}
	sort.Strings(ids)
	id, name := ids[0], in.Server+"-recovery-"+ids[0]
	st := &v1alpha1.RecoveryStatus{ID: id, RestoreName: name, State: recoveryRestoring}
	if in.Last != nil && in.Last.ID == id {
		st.PointInTime = in.Last.PointInTime
	}
	return recoveryStep{StopDittoFS: true, Status: st, Reason: recoveryRestoring, Message: fmt.Sprintf(
		"recovery %s: PerconaPGRestore %s is %s; DittoFS stays stopped, and no other recovery starts, until it ends", id, name, spec.OrDefault(string(in.Restores[id].Status.State), "new"))}, true
}

func restoreEnded(o *pgv2.PerconaPGRestore) bool {
	return o.Status.State == pgv2.RestoreSucceeded || o.Status.State == pgv2.RestoreFailed
}

// endedLast is the last recovery's status, with how its restore ended once
// it has (it may have ended after its recovery was removed from the spec).
func endedLast(in recoveryInputs) *v1alpha1.RecoveryStatus {
	l := in.Last
	if l == nil || l.State != recoveryRestoring {
		return l
	}
	if o, ok := in.Restores[l.ID]; ok && restoreEnded(o) {
		ended := *l
		ended.State = string(o.Status.State)
		return &ended
	}
	return l
}

func stsProgress(name string, sts *appsv1.StatefulSet) string {
	return fmt.Sprintf("StatefulSet %s: %d pods, %d ready", name, sts.Status.Replicas, sts.Status.ReadyReplicas)
}

// observedRecoveryStep follows a composed restore to its end.
func observedRecoveryStep(in recoveryInputs, o *pgv2.PerconaPGRestore, st *v1alpha1.RecoveryStatus) recoveryStep {
	warning := ""
	if got, want := optionTarget(o.Spec.Options), optionTarget(build.RestoreOptions(in.Spec.PointInTime)); got != want {
		warning = fmt.Sprintf("spec.percona.recovery.pointInTime changed under id %s after its restore was created: it has no effect (the restore runs with %s). A new recovery needs a new id", in.Spec.ID, spec.OrDefault(got, "no target"))
	}
	switch o.Status.State {
	case pgv2.RestoreSucceeded, pgv2.RestoreFailed:
		st.State = string(o.Status.State)
		return endedRecoveryStep(in, st, warning)
	default:
		st.State = recoveryRestoring
		return recoveryStep{StopDittoFS: true, Status: st, Reason: recoveryRestoring, Warning: warning, Message: fmt.Sprintf(
			"recovery %s: PerconaPGRestore %s is %s; DittoFS stays stopped until it succeeds", in.Spec.ID, in.RestoreName, spec.OrDefault(string(o.Status.State), "new"))}
	}
}

// endedRecoveryStep: DittoFS comes back after a success and stays stopped
// after a failure, until the user says what to do.
func endedRecoveryStep(in recoveryInputs, st *v1alpha1.RecoveryStatus, warning string) recoveryStep {
	if st.State == recoverySucceeded {
		return recoveryStep{Status: st, Ready: true, Reason: "Recovered", Warning: warning, Message: fmt.Sprintf(
			"recovery %s: the database was restored to %s; DittoFS runs on it", st.ID, st.PointInTime)}
	}
	msg := fmt.Sprintf("recovery %s: PerconaPGRestore %s failed; DittoFS stays stopped. See why with kubectl logs job/%s. "+
		"To retry, set spec.percona.recovery.id to a new token (and a pointInTime the backups cover); to start DittoFS on the database as it is, remove spec.percona.recovery",
		st.ID, in.RestoreName, in.Job)
	if warning != "" {
		warning += "; "
	}
	return recoveryStep{StopDittoFS: true, Status: st, Reason: "RecoveryFailed", Message: msg, Warning: warning + msg}
}

// composeRecovery runs one step of the recovery, returning whether DittoFS
// must be stopped in this call.
func (c *composer) composeRecovery(sts *appsv1.StatefulSet) (bool, error) {
	if !c.ds.Spec.Percona.Enabled {
		return false, nil
	}
	observed := c.observedRecoveries()
	r := c.ds.Spec.Percona.Recovery
	in := recoveryInputs{Spec: r, Server: c.ds.Name, Restores: observed, Last: c.observedRecoveryStatus(), STS: sts, Job: c.ds.PerconaClusterName() + "-pgbackrest-restore"}
	current := ""
	if r != nil {
		current = r.ID
		in.RestoreName = c.ds.RecoveryRestoreName(r.ID)
		if _, ok := observed[r.ID]; !ok {
			in.Latest = c.restorableTime()
		}
	}
	if err := c.keepRecoveries(observed, current); err != nil {
		return false, err
	}
	step := nextRecoveryStep(in)
	if step.Compose != nil {
		if err := c.add(recoveryKey(r.ID), build.PerconaRestore(c.ds, *r), resource.ReadyFalse); err != nil {
			return false, err
		}
	}
	c.recoveryStatus = step.Status
	if step.Warning != "" {
		response.Warning(c.rsp, errors.New(step.Warning)).TargetCompositeAndClaim()
	}
	if r != nil {
		if step.Ready {
			response.ConditionTrue(c.rsp, conditionRestoreReady, step.Reason).WithMessage(step.Message).TargetCompositeAndClaim()
		} else {
			response.ConditionFalse(c.rsp, conditionRestoreReady, step.Reason).WithMessage(step.Message).TargetCompositeAndClaim()
		}
	}
	return step.StopDittoFS, nil
}
