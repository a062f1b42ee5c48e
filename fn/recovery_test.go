package fn

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// addRequired sets one required resource of req, keeping the others.
func addRequired(req *fnv1.RunFunctionRequest, name string, objs ...string) *fnv1.RunFunctionRequest {
	if req.RequiredResources == nil {
		req.RequiredResources = map[string]*fnv1.Resources{}
	}
	rs := &fnv1.Resources{}
	for _, o := range objs {
		rs.Items = append(rs.Items, &fnv1.Resource{Resource: resource.MustStructJSON(o)})
	}
	req.RequiredResources[name] = rs
	return req
}

// perconaBackupJSON is a PerconaPGBackup of cluster in state, reporting
// latestRestorableTime at (Percona's format; "" for none).
func perconaBackupJSON(name, cluster, state, at string) string {
	st := `"state":"` + state + `"`
	if at != "" {
		st += `,"latestRestorableTime":"` + at + `"`
	}
	return `{"apiVersion":"pgv2.percona.com/v2","kind":"PerconaPGBackup","metadata":{"name":"` + name + `","namespace":"storage"},"spec":{"pgCluster":"` + cluster + `","repoName":"repo1"},"status":{` + st + `}}`
}

func TestNextRecoveryStep(t *testing.T) {
	latest := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	spec := &v1alpha1.PerconaRecoveryConfig{ID: "r1", PointInTime: "2026-12-01T18:30:00Z"}
	running := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(1))}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 1, ReadyReplicas: 1}}
	scaledNotGone := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(0))}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 3, Replicas: 1, ReadyReplicas: 0}}
	stopped := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(0))}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 3}}
	restore := func(state pgv2.PGRestoreState, options ...string) map[string]*pgv2.PerconaPGRestore {
		if options == nil {
			options = build.RestoreOptions(spec.PointInTime)
		}
		return map[string]*pgv2.PerconaPGRestore{"r1": {Spec: pgv2.PerconaPGRestoreSpec{Options: options}, Status: pgv2.PerconaPGRestoreStatus{State: state}}}
	}
	status := func(state string) *v1alpha1.RecoveryStatus {
		return &v1alpha1.RecoveryStatus{ID: "r1", PointInTime: spec.PointInTime, RestoreName: "files-recovery-r1", State: state}
	}
	base := recoveryInputs{Spec: spec, Server: "files", RestoreName: "files-recovery-r1", Job: "files-postgres-pgbackrest-restore", Latest: &latest}
	with := func(f func(*recoveryInputs)) recoveryInputs { in := base; f(&in); return in }
	failedMsg := "recovery r1: PerconaPGRestore files-recovery-r1 failed; DittoFS stays stopped. See why with kubectl logs job/files-postgres-pgbackrest-restore. To retry, set spec.percona.recovery.id to a new token (and a pointInTime the backups cover); to start DittoFS on the database as it is, remove spec.percona.recovery"

	cases := map[string]struct {
		reason string
		in     recoveryInputs
		want   recoveryStep
	}{
		"NoneAsked": {
			reason: "without spec.percona.recovery the last recovery's status is carried, nothing stops",
			in:     with(func(in *recoveryInputs) { in.Spec, in.Last = nil, status("Succeeded") }),
			want:   recoveryStep{Status: status("Succeeded"), Ready: true, Reason: "NoneRequested", Message: "no recovery is asked for"},
		},
		"StopFirst": {
			reason: "a new recovery first scales DittoFS to 0 and composes no restore while a pod runs",
			in:     with(func(in *recoveryInputs) { in.STS = running }),
			want: recoveryStep{
				StopDittoFS: true, Status: status("StoppingDittoFS"), Reason: "StoppingDittoFS",
				Message: "recovery r1: stopping DittoFS before restoring the database to 2026-12-01T18:30:00Z (StatefulSet files: 1 pods, 1 ready)",
			},
		},
		"PodStillTerminating": {
			reason: "scaled to 0 but a pod is still there: wait",
			in:     with(func(in *recoveryInputs) { in.STS = scaledNotGone }),
			want: recoveryStep{
				StopDittoFS: true, Status: status("StoppingDittoFS"), Reason: "StoppingDittoFS",
				Message: "recovery r1: stopping DittoFS before restoring the database to 2026-12-01T18:30:00Z (StatefulSet files: 1 pods, 0 ready)",
			},
		},
		"StoppedComposesRestore": {
			reason: "at 0 pods the restore is composed",
			in:     with(func(in *recoveryInputs) { in.STS = stopped }),
			want: recoveryStep{
				StopDittoFS: true, Compose: &pgv2.PerconaPGRestore{}, Status: status("Restoring"), Reason: "Restoring",
				Message: "recovery r1: DittoFS is stopped; PerconaPGRestore files-recovery-r1 restores the database to 2026-12-01T18:30:00Z",
			},
		},
		"Running": {
			reason: "the observed restore runs: DittoFS stays stopped",
			in:     with(func(in *recoveryInputs) { in.STS, in.Restores = stopped, restore(pgv2.RestoreRunning) }),
			want: recoveryStep{
				StopDittoFS: true, Status: status("Restoring"), Reason: "Restoring",
				Message: "recovery r1: PerconaPGRestore files-recovery-r1 is Running; DittoFS stays stopped until it succeeds",
			},
		},
		"Succeeded": {
			reason: "DittoFS comes back once the restore succeeded",
			in:     with(func(in *recoveryInputs) { in.STS, in.Restores = stopped, restore(pgv2.RestoreSucceeded) }),
			want: recoveryStep{
				Status: status("Succeeded"), Ready: true, Reason: "Recovered",
				Message: "recovery r1: the database was restored to 2026-12-01T18:30:00Z; DittoFS runs on it",
			},
		},
		"Failed": {
			reason: "a failed restore is reported, DittoFS stays stopped, the message says what to do",
			in:     with(func(in *recoveryInputs) { in.STS, in.Restores = stopped, restore(pgv2.RestoreFailed) }),
			want:   recoveryStep{StopDittoFS: true, Status: status("Failed"), Reason: "RecoveryFailed", Message: failedMsg, Warning: failedMsg},
		},
		"RemovedWhileRunning": {
			reason: "spec.percona.recovery removed while its restore runs: DittoFS stays stopped until the restore ends",
			in: with(func(in *recoveryInputs) {
				in.Spec, in.STS, in.Restores, in.Last = nil, stopped, restore(""), status("Restoring")
			}),
			want: recoveryStep{
				StopDittoFS: true, Status: status("Restoring"), Reason: "Restoring",
				Message: "recovery r1: PerconaPGRestore files-recovery-r1 is new; DittoFS stays stopped, and no other recovery starts, until it ends",
			},
		},
		"RemovedThenEnded": {
			reason: "the restore of a removed recovery ended: DittoFS comes back, and the status says how it ended",
			in: with(func(in *recoveryInputs) {
				in.Spec, in.STS, in.Restores, in.Last = nil, stopped, restore(pgv2.RestoreSucceeded), status("Restoring")
			}),
			want: recoveryStep{Status: status("Succeeded"), Ready: true, Reason: "NoneRequested", Message: "no recovery is asked for"},
		},
		"NewIDWhileRunning": {
			reason: "a new id while r1's restore runs: no second restore beside it, DittoFS stays stopped",
			in: with(func(in *recoveryInputs) {
				in.Spec, in.RestoreName = &v1alpha1.PerconaRecoveryConfig{ID: "r2", PointInTime: "2026-12-01T18:00:00Z"}, "files-recovery-r2"
				in.STS, in.Restores, in.Last = stopped, restore(pgv2.RestoreRunning), status("Restoring")
			}),
			want: recoveryStep{
				StopDittoFS: true, Status: status("Restoring"), Reason: "Restoring",
				Message: "recovery r1: PerconaPGRestore files-recovery-r1 is Running; DittoFS stays stopped, and no other recovery starts, until it ends",
			},
		},
		"SameIDRestoreDeletedStatusRemembers": {
			reason: "the restore of a succeeded id was deleted: the XR status remembers, no second restore",
			in:     with(func(in *recoveryInputs) { in.STS, in.Last = running, status("Succeeded") }),
			want: recoveryStep{
				Status: status("Succeeded"), Ready: true, Reason: "Recovered",
				Message: "recovery r1: the database was restored to 2026-12-01T18:30:00Z; DittoFS runs on it",
			},
		},
		"SameIDPointInTimeEdited": {
			reason: "a new pointInTime under an id that ran has no effect, and says so",
			in: with(func(in *recoveryInputs) {
				in.STS, in.Restores = running, restore(pgv2.RestoreSucceeded, "--type=time", `--target="2026-12-01 17:00:00+00"`)
			}),
			want: recoveryStep{
				Status: status("Succeeded"), Ready: true, Reason: "Recovered",
				Message: "recovery r1: the database was restored to 2026-12-01T18:30:00Z; DittoFS runs on it",
				Warning: `spec.percona.recovery.pointInTime changed under id r1 after its restore was created: it has no effect (the restore runs with --target="2026-12-01 17:00:00+00"). A new recovery needs a new id`,
			},
		},
		"NewIDAfterAnother": {
			reason: "a new id after a succeeded one is a new recovery",
			in: with(func(in *recoveryInputs) {
				in.STS = running
				in.Restores = map[string]*pgv2.PerconaPGRestore{"r0": {Status: pgv2.PerconaPGRestoreStatus{State: pgv2.RestoreSucceeded}}}
				in.Last = &v1alpha1.RecoveryStatus{ID: "r0", State: "Succeeded"}
			}),
			want: recoveryStep{
				StopDittoFS: true, Status: status("StoppingDittoFS"), Reason: "StoppingDittoFS",
				Message: "recovery r1: stopping DittoFS before restoring the database to 2026-12-01T18:30:00Z (StatefulSet files: 1 pods, 1 ready)",
			},
		},
		"LaterThanRestorable": {
			reason: "a pointInTime after Percona's latestRestorableTime is refused; DittoFS keeps running",
			in: with(func(in *recoveryInputs) {
				in.STS = running
				later := latest.Add(-time.Hour)
				in.Latest = &later
			}),
			want: recoveryStep{
				Status: status("Refused"), Reason: "PointInTimeNotRestorable",
				Message: "spec.percona.recovery.pointInTime: 2026-12-01T18:30:00Z is later than the latest restorable time Percona reports, 2026-12-01T18:00:00Z: the backups cannot reach it. Set a pointInTime at or before it (and a new id); DittoFS is not stopped for it",
				Warning: "spec.percona.recovery.pointInTime: 2026-12-01T18:30:00Z is later than the latest restorable time Percona reports, 2026-12-01T18:00:00Z: the backups cannot reach it. Set a pointInTime at or before it (and a new id); DittoFS is not stopped for it",
			},
		},
		"NoRestorableTimeYet": {
			reason: "without a latestRestorableTime nothing can be checked: wait, DittoFS keeps running",
			in:     with(func(in *recoveryInputs) { in.STS, in.Latest = running, nil }),
			want: recoveryStep{
				Status: status("WaitingForRestorableTime"), Reason: "WaitingForRestorableTime",
				Message: "spec.percona.recovery: Percona reports no latestRestorableTime for this cluster yet (a PerconaPGBackup must have succeeded and the WAL watcher run); DittoFS is not stopped for it, and the recovery r1 starts once it is reported",
			},
		},
		"RestoringNotObservedYetSkipsCheck": {
			reason: "once composed (status Restoring), a restore not observed yet stays composed whatever the backups say",
			in:     with(func(in *recoveryInputs) { in.STS, in.Latest, in.Last = stopped, nil, status("Restoring") }),
			want: recoveryStep{
				StopDittoFS: true, Compose: &pgv2.PerconaPGRestore{}, Status: status("Restoring"), Reason: "Restoring",
				Message: "recovery r1: DittoFS is stopped; PerconaPGRestore files-recovery-r1 restores the database to 2026-12-01T18:30:00Z",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, nextRecoveryStep(tc.in)); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// recoverySpec is backupSpec with spec.percona.recovery.
func recoverySpec(id, pointInTime string) string {
	return strings.Replace(backupSpec, `"percona":{"enabled":true,`, `"percona":{"enabled":true,"recovery":{"id":"`+id+`","pointInTime":"`+pointInTime+`"},`, 1)
}

// recoveryWorld is a live server under recovery, call after call: what the
// function composes is observed, with the status the controllers would
// report, and the XR status it writes is the next call's observed XR status.
type recoveryWorld struct {
	t   *testing.T
	req *fnv1.RunFunctionRequest
	rsp *fnv1.RunFunctionResponse
}

func (w *recoveryWorld) call(spec string) {
	w.t.Helper()
	next := later(w.req, spec, "")
	if st := w.req.GetObserved().GetComposite().GetResource().GetFields()["status"]; st != nil {
		next.Observed.Composite.Resource.Fields["status"] = proto.Clone(st).(*structpb.Value)
	}
	w.req = next
	w.rsp = compose(w.t, w.req)
	if msg, fatal := fatalResult(w.rsp); fatal {
		w.t.Fatalf("Fatal: %s", msg)
	}
	// Crossplane applies what is desired and writes the XR status; the
	// controllers keep reporting the status of what exists.
	statuses := map[string]*structpb.Value{}
	for k, r := range w.req.GetObserved().GetResources() {
		if st := r.GetResource().GetFields()["status"]; st != nil {
			statuses[k] = st
		}
	}
	w.req = observeDesired(w.req, w.rsp)
	for k, st := range statuses {
		if o := w.req.GetObserved().GetResources()[k].GetResource(); o != nil {
			o.Fields["status"] = st
		}
	}
	for k := range w.req.GetObserved().GetResources() {
		if _, ok := w.rsp.GetDesired().GetResources()[k]; !ok {
			delete(w.req.GetObserved().GetResources(), k)
		}
	}
	w.req.Observed.Composite.Resource.Fields["status"] = proto.Clone(w.rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]).(*structpb.Value)
}

// setStatus sets the observed status of key, as its controller reports.
func (w *recoveryWorld) setStatus(key resource.Name, status string) {
	if o := w.req.GetObserved().GetResources()[string(key)].GetResource(); o != nil {
		o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(status))
	}
}

// stsReplicas is the desired StatefulSet's spec.replicas.
func (w *recoveryWorld) stsReplicas() int {
	w.t.Helper()
	return int(w.rsp.GetDesired().GetResources()[string(keyStatefulSet)].GetResource().GetFields()["spec"].GetStructValue().GetFields()["replicas"].GetNumberValue())
}

func (w *recoveryWorld) condition(typ string) string {
	for _, c := range w.rsp.GetConditions() {
		if c.GetType() == typ {
			return c.GetStatus().String() + "/" + c.GetReason()
		}
	}
	return ""
}

func (w *recoveryWorld) recoveryStatus() v1alpha1.RecoveryStatus {
	w.t.Helper()
	st := w.rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue()
	rec := st.GetFields()["database"].GetStructValue().GetFields()["restore"].GetStructValue().GetFields()["recovery"].GetStructValue()
	b, err := json.Marshal(rec.AsMap())
	if err != nil {
		w.t.Fatal(err)
	}
	var out v1alpha1.RecoveryStatus
	if err := json.Unmarshal(b, &out); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *recoveryWorld) restores() []string {
	var out []string
	for _, k := range desiredKeys(w.rsp) {
		if strings.HasPrefix(k, recoveryKeyPrefix) {
			out = append(out, k+"="+w.rsp.GetDesired().GetResources()[k].GetReady().String())
		}
	}
	return out
}

// expect compares what one call composed with want.
func (w *recoveryWorld) expect(step string, replicas int, restores []string, condition string, status v1alpha1.RecoveryStatus) {
	w.t.Helper()
	got := struct {
		Replicas  int
		Restores  []string
		Condition string
		Status    v1alpha1.RecoveryStatus
	}{w.stsReplicas(), w.restores(), w.condition(conditionRestoreReady), w.recoveryStatus()}
	want := struct {
		Replicas  int
		Restores  []string
		Condition string
		Status    v1alpha1.RecoveryStatus
	}{replicas, restores, condition, status}
	if diff := cmp.Diff(want, got); diff != "" {
		w.t.Errorf("%s (-want +got):\n%s", step, diff)
	}
}

// TestRecoverySequence drives the recovery state machine through
// RunFunction over a live server: scale down, restore, succeeded, scale up;
// the same token again; a new token; a failure.
func TestRecoverySequence(t *testing.T) {
	req, _ := liveServer(t, backupSpec, "", awsKeys)
	req = addRequired(req, requiredS3Credentials, awsKeys)
	req = addRequired(req, requiredBackups,
		perconaBackupJSON("b1", "files-postgres", "Succeeded", "2026-12-01 19:00:00.000000+0000"),
		perconaBackupJSON("b2", "other-postgres", "Succeeded", "2026-12-01 23:00:00.000000+0000"))
	w := &recoveryWorld{t: t, req: req}
	running := `{"replicas":1,"readyReplicas":1,"updatedReplicas":1}`
	stopped := `{"replicas":0,"readyReplicas":0,"updatedReplicas":0}`
	pit := "2026-12-01T18:30:00Z"
	st := func(id, state string) v1alpha1.RecoveryStatus {
		return v1alpha1.RecoveryStatus{ID: id, PointInTime: pit, RestoreName: "files-recovery-" + id, State: state}
	}

	w.call(recoverySpec("r1", pit))
	w.expect("asked: DittoFS scaled to 0, no restore yet", 0, nil, "STATUS_CONDITION_FALSE/StoppingDittoFS", st("r1", "StoppingDittoFS"))
	if got := w.condition(conditionWorkloadReady); got != "STATUS_CONDITION_FALSE/StoppedForRecovery" {
		t.Errorf("WorkloadReady while stopping: %s", got)
	}
	w.setStatus(keyStatefulSet, running)
	w.call(recoverySpec("r1", pit))
	w.expect("the pod still runs: still no restore", 0, nil, "STATUS_CONDITION_FALSE/StoppingDittoFS", st("r1", "StoppingDittoFS"))

	w.setStatus(keyStatefulSet, stopped)
	w.call(recoverySpec("r1", pit))
	w.expect("stopped: the restore is composed", 0, []string{"recovery-r1=READY_FALSE"}, "STATUS_CONDITION_FALSE/Restoring", st("r1", "Restoring"))
	var composed pgv2.PerconaPGRestore
	desiredInto(t, w.rsp, recoveryKey("r1"), &composed)
	want := build.PerconaRestore(fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup())), v1alpha1.PerconaRecoveryConfig{ID: "r1", PointInTime: pit})
	want.Labels = composed.Labels
	if diff := cmp.Diff(want.Spec, composed.Spec); diff != "" || composed.Name != "files-recovery-r1" {
		t.Errorf("the composed restore %s (-want +got):\n%s", composed.Name, diff)
	}

	w.setStatus(recoveryKey("r1"), `{"state":"Running"}`)
	w.call(recoverySpec("r1", pit))
	w.expect("running", 0, []string{"recovery-r1=READY_FALSE"}, "STATUS_CONDITION_FALSE/Restoring", st("r1", "Restoring"))

	w.setStatus(recoveryKey("r1"), `{"state":"Succeeded"}`)
	w.call(recoverySpec("r1", pit))
	w.expect("succeeded: DittoFS back", 1, []string{"recovery-r1=READY_TRUE"}, "STATUS_CONDITION_TRUE/Recovered", st("r1", "Succeeded"))

	w.setStatus(keyStatefulSet, running)
	w.call(recoverySpec("r1", pit))
	w.expect("the same token again: nothing restores twice", 1, []string{"recovery-r1=READY_TRUE"}, "STATUS_CONDITION_TRUE/Recovered", st("r1", "Succeeded"))

	delete(w.req.GetObserved().GetResources(), string(recoveryKey("r1")))
	w.call(recoverySpec("r1", pit))
	w.expect("the same token, its restore deleted: the XR status remembers", 1, nil, "STATUS_CONDITION_TRUE/Recovered", st("r1", "Succeeded"))

	w.call(backupSpec)
	if got := w.recoveryStatus(); got != st("r1", "Succeeded") {
		t.Errorf("recovery removed from the spec: status %+v, want the last one kept", got)
	}
	if w.stsReplicas() != 1 {
		t.Error("recovery removed from the spec: DittoFS stopped")
	}

	w.call(recoverySpec("r2", pit))
	w.expect("a new token is a new recovery", 0, nil, "STATUS_CONDITION_FALSE/StoppingDittoFS", st("r2", "StoppingDittoFS"))
	w.setStatus(keyStatefulSet, stopped)
	w.call(recoverySpec("r2", pit))
	w.expect("r2 composed", 0, []string{"recovery-r2=READY_FALSE"}, "STATUS_CONDITION_FALSE/Restoring", st("r2", "Restoring"))
	w.setStatus(recoveryKey("r2"), `{"state":"Failed"}`)
	w.call(recoverySpec("r2", pit))
	w.expect("failed: reported, DittoFS stays stopped", 0, []string{"recovery-r2=READY_FALSE"}, "STATUS_CONDITION_FALSE/RecoveryFailed", st("r2", "Failed"))
	w.call(recoverySpec("r2", pit))
	w.expect("failed, called again: no second restore, still stopped", 0, []string{"recovery-r2=READY_FALSE"}, "STATUS_CONDITION_FALSE/RecoveryFailed", st("r2", "Failed"))

	w.call(recoverySpec("r3", "2026-12-01T19:30:00Z"))
	w.expect("later than latestRestorableTime: refused, DittoFS comes back", 1, []string{"recovery-r2=READY_TRUE"}, "STATUS_CONDITION_FALSE/PointInTimeNotRestorable",
		v1alpha1.RecoveryStatus{ID: "r3", PointInTime: "2026-12-01T19:30:00Z", RestoreName: "files-recovery-r3", State: "Refused"})

	w.call(backupSpec)
	if got := w.restores(); !cmp.Equal(got, []string{"recovery-r2=READY_TRUE"}) {
		t.Errorf("every restore that ran stays composed: %v", got)
	}
}

// TestRecoveryRequiresBackups: refused naming the field.
func TestRecoveryRequiresBackups(t *testing.T) {
	spec := `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"recovery":{"id":"r1","pointInTime":"2026-12-01T18:30:00Z"}}}`
	msg, fatal := fatalResult(compose(t, xrRequest(spec)))
	want := `invalid DittoServer "files": spec.percona.recovery: Forbidden: an in-place recovery restores from the cluster's own backups: it requires spec.percona.backup.enabled`
	if !fatal || msg != want {
		t.Errorf("got %q (fatal %v), want %q", msg, fatal, want)
	}
}
