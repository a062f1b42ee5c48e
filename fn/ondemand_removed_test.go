package fn

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// TestOnDemandRemovedToken: once the token is removed, Crossplane deletes
// the PerconaPGBackup, and lastOnDemand keeps the XR status's last record
// of it marked removed (never as a live object); a new token replaces the
// record with every field written, so nothing of the old one survives.
func TestOnDemandRemovedToken(t *testing.T) {
	req, _ := liveServer(t, onDemandSpec("before-upgrade"), "", awsKeys)
	setReadyForBackup(req, "True")
	withBackupStatus(req, onDemandKey("before-upgrade"), `{"state":"Succeeded","completed":"2026-12-01T19:30:41Z","backupName":"20261201-193012F"}`)
	live := compose(t, req)
	last := backupStatusOf(t, live).LastOnDemand
	want := &v1alpha1.OnDemandBackupStatus{Name: "files-postgres-backup-before-upgrade", Token: "before-upgrade", State: "Succeeded", Completed: "2026-12-01T19:30:41Z", BackupName: "20261201-193012F"}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Fatalf("lastOnDemand while the token is set (-want +got):\n%s", diff)
	}
	// Crossplane writes the status the function returned into the XR.
	status := live.GetDesired().GetComposite().GetResource().GetFields()["status"]

	removed := later(req, backupSpec, "")
	removed.GetObserved().GetComposite().GetResource().Fields["status"] = status
	rsp := compose(t, removed)
	for _, k := range desiredKeys(rsp) {
		if k == string(onDemandKey("before-upgrade")) {
			t.Errorf("with the token removed, %s is still desired", k)
		}
	}
	wantRemoved := *want
	wantRemoved.Removed = true
	if diff := cmp.Diff(&wantRemoved, backupStatusOf(t, rsp).LastOnDemand); diff != "" {
		t.Errorf("lastOnDemand with the token removed (-want +got):\n%s", diff)
	}
	// Called again on its own status, it says the same.
	removed.GetObserved().GetComposite().GetResource().Fields["status"] = rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]
	if diff := cmp.Diff(&wantRemoved, backupStatusOf(t, compose(t, removed)).LastOnDemand); diff != "" {
		t.Errorf("lastOnDemand with the token removed, next call (-want +got):\n%s", diff)
	}

	// A new token: its own record, every field written (empty ones too).
	next := later(req, onDemandSpec("after-upgrade"), "")
	next.GetObserved().GetComposite().GetResource().Fields["status"] = rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]
	delete(next.GetObserved().GetResources(), string(onDemandKey("before-upgrade")))
	rsp = compose(t, next)
	db := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["database"].GetStructValue()
	b, err := json.Marshal(db.GetFields()["backup"].GetStructValue().GetFields()["lastOnDemand"].GetStructValue().AsMap())
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"backupName":"","completed":"","error":"","name":"files-postgres-backup-after-upgrade","removed":false,"state":"","token":"after-upgrade"}`
	if string(b) != wantJSON {
		t.Errorf("lastOnDemand for a new token = %s\nwant %s", b, wantJSON)
	}
}
