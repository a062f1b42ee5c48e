package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
)

// Tests of a DittoServer over its life: a live
// server is composed, observed and reported ready, then the spec or the
// Composition's Input changes under it.

// inputJSON is a Composition step's Input with fields (a JSON object body).
func inputJSON(fields string) *structpb.Struct {
	body := `"apiVersion":"dittofs.fn.crossplane.io/v1beta1","kind":"Input"`
	if fields != "" {
		body += "," + fields
	}
	return resource.MustStructJSON("{" + body + "}")
}

// liveServer composes spec under input until everything exists: each
// response's desired objects become the next request's observed ones, the
// Percona cluster reports ready and the StatefulSet rolled out. It returns
// the last request (observed = what runs) and its response.
func liveServer(t *testing.T, spec, input string, required ...string) (*fnv1.RunFunctionRequest, *fnv1.RunFunctionResponse) {
	t.Helper()
	req := xrRequest(spec)
	req.Input = inputJSON(input)
	if len(required) > 0 {
		req = withRequired(req, requiredS3Credentials, required...)
	}
	return liveServerFrom(t, req)
}

// liveServerFrom runs req to a live server, as liveServer does, from a
// request that already has its required resources.
func liveServerFrom(t *testing.T, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionRequest, *fnv1.RunFunctionResponse) {
	t.Helper()
	var rsp *fnv1.RunFunctionResponse
	for range 3 {
		rsp = compose(t, req)
		if msg, fatal := fatalResult(rsp); fatal {
			t.Fatalf("composing the live server: %s", msg)
		}
		req = observeDesired(req, rsp)
		markLive(req)
	}
	return req, rsp
}

// markLive writes the status the Percona operator and the StatefulSet
// controller report for a healthy server.
func markLive(req *fnv1.RunFunctionRequest) {
	status := map[resource.Name]string{
		keyPerconaCluster: `{"state":"ready","conditions":[{"type":"ReadyForBackup","status":"True","reason":"AllConditionsAreTrue","lastTransitionTime":"2026-01-01T00:00:00Z"}]}`,
		keyStatefulSet:    `{"replicas":1,"readyReplicas":1,"updatedReplicas":1}`,
	}
	for key, s := range status {
		if o := req.GetObserved().GetResources()[string(key)].GetResource(); o != nil {
			o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(s))
		}
	}
}

// later is req (what runs) with the XR's spec and the Input replaced.
func later(req *fnv1.RunFunctionRequest, spec, input string) *fnv1.RunFunctionRequest {
	next := proto.Clone(req).(*fnv1.RunFunctionRequest)
	next.Observed.Composite = xrRequest(spec).GetObserved().GetComposite()
	next.Input = inputJSON(input)
	return next
}

// composedObjects are the desired composed resources, without readiness.
func composedObjects(rsp *fnv1.RunFunctionResponse) map[string]*structpb.Struct {
	out := map[string]*structpb.Struct{}
	for k, r := range rsp.GetDesired().GetResources() {
		out[k] = r.GetResource()
	}
	return out
}

const (
	perconaNoBackup = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`
	perconaPG16     = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"postgresVersion":16}}`
	explicitClasses = `{"storage":{"metadataSize":"10Gi","storageClassName":"fast"},"percona":{"enabled":true,"storageClassName":"fast","databaseName":"files"}}`
)

// TestDefaultsBindAtCreation (items 1 and 3): what the function filled in for
// an object that exists (from the Input or its own defaults) stays as the
// object has it when the Input moves on or the user removes an explicit
// value. Every composed object is compared whole.
func TestDefaultsBindAtCreation(t *testing.T) {
	cases := map[string]struct {
		reason            string
		wasSpec, wasInput string
		nowSpec, nowInput string
	}{
		"InputMajorMovesOn": {
			reason:  "a new default major in the Input shapes new clusters; the running one stays on 16",
			wasSpec: perconaNoBackup, wasInput: `"postgresVersion":16`,
			nowSpec: perconaNoBackup, nowInput: `"postgresVersion":17`,
		},
		"InputStorageClassAppears": {
			reason:  "an Input default class given later does not re-class volumes made on the cluster default",
			wasSpec: perconaNoBackup, wasInput: ``,
			nowSpec: perconaNoBackup, nowInput: `"storageClassName":"fast"`,
		},
		"InputStorageClassChanges": {
			reason:  "the Input's default class moving on changes neither the Percona nor the DittoFS volumes",
			wasSpec: perconaNoBackup, wasInput: `"storageClassName":"slow"`,
			nowSpec: perconaNoBackup, nowInput: `"storageClassName":"fast"`,
		},
		"ExplicitMajorUnset": {
			reason:  "removing postgresVersion: 16 from the spec is no major upgrade to the Input's 17",
			wasSpec: perconaPG16, wasInput: ``,
			nowSpec: perconaNoBackup, nowInput: ``,
		},
		"ExplicitClassesAndDatabaseUnset": {
			reason:  "removing storage classes and databaseName keeps what the objects were made with",
			wasSpec: explicitClasses, wasInput: ``,
			nowSpec: perconaNoBackup, nowInput: `"storageClassName":"other"`,
		},
		"SQLiteInputClassMovesOn": {
			reason:  "a server without Percona keeps its volumes' class too",
			wasSpec: `{"storage":{"metadataSize":"10Gi"}}`, wasInput: `"storageClassName":"slow"`,
			nowSpec: `{"storage":{"metadataSize":"10Gi"}}`, nowInput: `"storageClassName":"fast"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			running, was := liveServer(t, tc.wasSpec, tc.wasInput)
			now := compose(t, later(running, tc.nowSpec, tc.nowInput))
			if diff := cmp.Diff(resultStrings(was), resultStrings(now)); diff != "" {
				t.Errorf("%s\nresults: -was, +now:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(composedObjects(was), composedObjects(now), protocmp.Transform()); diff != "" {
				t.Errorf("%s\ncomposed objects: -was, +now:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestBindingKeepsInstanceSet: a cluster made with another instance set name
// (an older function, or one adopted) keeps it; a new name would be a new
// set of PostgreSQL instances with empty volumes.
func TestBindingKeepsInstanceSet(t *testing.T) {
	running, was := liveServer(t, perconaNoBackup, "")
	o := running.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource()
	set := o.GetFields()["spec"].GetStructValue().GetFields()["instances"].GetListValue().GetValues()[0].GetStructValue()
	set.Fields["name"] = structpb.NewStringValue("set-a")
	now := compose(t, later(running, perconaNoBackup, ""))

	want := proto.Clone(was.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource()).(*structpb.Struct)
	want.Fields["spec"].GetStructValue().Fields["instances"].GetListValue().GetValues()[0].GetStructValue().Fields["name"] = structpb.NewStringValue("set-a")
	got := now.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("PerconaPGCluster: -want (observed instance set kept), +got:\n%s", diff)
	}
}

// TestBoundMajorNeedsAnImage: a cluster kept on its major needs the Input
// to still pin an image for it; without one, a Fatal names the Input field
// instead of composing the cluster without an image.
func TestBoundMajorNeedsAnImage(t *testing.T) {
	running, _ := liveServer(t, perconaNoBackup, `"postgresVersion":16`)
	rsp := compose(t, later(running, perconaNoBackup, `"images":{"postgres":{"16":""}}`))
	want := []string{`SEVERITY_FATAL: invalid function Input: images.postgres has no image for PostgreSQL 16, which PerconaPGCluster files-postgres runs ` +
		`(spec.percona.postgresVersion is not set, so the cluster keeps the major it was created with): pin images.postgres."16" in the Composition's Input`}
	if diff := cmp.Diff(want, resultStrings(rsp)); diff != "" {
		t.Errorf("results: -want, +got:\n%s", diff)
	}
	if n := len(rsp.GetDesired().GetResources()); n != 0 {
		t.Errorf("a Fatal desires %d composed resources, want none", n)
	}
}

// TestWrittenValuesStillGuard: binding never hides a change the user wrote.
func TestWrittenValuesStillGuard(t *testing.T) {
	cases := map[string]struct {
		reason  string
		wasSpec string
		nowSpec string
		fields  []string
	}{
		"MajorWritten": {
			reason:  "a major written in the spec that differs from the cluster's is a major upgrade",
			wasSpec: perconaPG16,
			nowSpec: `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"postgresVersion":17}}`,
			fields:  []string{"spec.percona.postgresVersion"},
		},
		"DatabaseNameWritten": {
			reason:  "another database name starts DittoFS on an empty database",
			wasSpec: perconaNoBackup,
			nowSpec: `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"databaseName":"other"}}`,
			fields:  []string{"spec.percona.databaseName"},
		},
		"PerconaStorageClassWritten": {
			reason:  "the database PVCs' class cannot change (item 7)",
			wasSpec: perconaNoBackup,
			nowSpec: `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"storageClassName":"fast"}}`,
			fields:  []string{"spec.percona.storageClassName"},
		},
		"PerconaStorageClassChanged": {
			reason:  "fast to slow is refused like default to fast",
			wasSpec: explicitClasses,
			nowSpec: `{"storage":{"metadataSize":"10Gi","storageClassName":"fast"},"percona":{"enabled":true,"storageClassName":"slow","databaseName":"files"}}`,
			fields:  []string{"spec.percona.storageClassName"},
		},
		"StorageClassWritten": {
			reason:  "DittoFS's claim templates are immutable: each volume is named",
			wasSpec: perconaNoBackup,
			nowSpec: `{"storage":{"metadataSize":"10Gi","storageClassName":"fast"},"percona":{"enabled":true}}`,
			fields:  []string{"spec.storage.storageClassName", "spec.storage.storageClassName"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			running, _ := liveServer(t, tc.wasSpec, "")
			rsp := compose(t, later(running, tc.nowSpec, ""))
			got := outcomeOf(rsp)
			want := guardOutcome{
				Results: []string{"SEVERITY_FATAL"}, Fields: tc.fields, Desired: []string{},
				Condition: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/UnsafeChange"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s\nresults: %v", tc.reason, diff, resultStrings(rsp))
			}
		})
	}
}

// TestPerconaStorageClassMessage says what the volumes are and what to do.
func TestPerconaStorageClassMessage(t *testing.T) {
	running, _ := liveServer(t, explicitClasses, "")
	rsp := compose(t, later(running,
		`{"storage":{"metadataSize":"10Gi","storageClassName":"fast"},"percona":{"enabled":true,"storageClassName":"slow","databaseName":"files"}}`, ""))
	want := []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
		`spec.percona.storageClassName: Forbidden: the volumes of PerconaPGCluster files-postgres are of class "fast", not "slow": a PVC's class cannot change. ` +
		`Keep "fast" here (or remove the field), or create a new DittoServer and move the data`}
	if diff := cmp.Diff(want, resultStrings(rsp)); diff != "" {
		t.Errorf("results: -want, +got:\n%s", diff)
	}
}

// images and crVersion of the Input before and after an upgrade within the
// same PostgreSQL major.
const (
	oldImages = `"crVersion":"2.9.0","images":{"dittofs":"docker.io/marmos91c/dittofs:v0.28.0",` +
		`"postgres":{"17":"docker.io/percona/percona-distribution-postgresql:17.7-1"},` +
		`"pgBackRest":"docker.io/percona/percona-pgbackrest:2.57.0-1","pgBouncer":"docker.io/percona/percona-pgbouncer:1.24.1-1"}`
	newImages = `"crVersion":"2.9.1","images":{"dittofs":"docker.io/marmos91c/dittofs:v0.29.0",` +
		`"postgres":{"17":"docker.io/percona/percona-distribution-postgresql:17.9-1"},` +
		`"pgBackRest":"docker.io/percona/percona-pgbackrest:2.58.0-1","pgBouncer":"docker.io/percona/percona-pgbouncer:1.25.1-1"}`
)

// TestUpgradesRoll (item 2's other half): new images within the same major
// and a new crVersion in the Input are what applies to a live cluster. The
// PerconaPGCluster and the StatefulSet change in exactly those fields, the
// rest of what is composed not at all. (No PgBouncer is composed, so its
// image changes nothing.)
func TestUpgradesRoll(t *testing.T) {
	running, was := liveServer(t, backupSpec, oldImages, awsKeys)
	now := compose(t, later(running, backupSpec, newImages))
	if msg, fatal := fatalResult(now); fatal {
		t.Fatalf("the upgrade was refused: %s", msg)
	}

	want := composedObjects(was)
	cluster := proto.Clone(want[string(keyPerconaCluster)]).(*structpb.Struct)
	spec := cluster.GetFields()["spec"].GetStructValue()
	spec.Fields["crVersion"] = structpb.NewStringValue("2.9.1")
	spec.Fields["image"] = structpb.NewStringValue("docker.io/percona/percona-distribution-postgresql:17.9-1")
	spec.Fields["backups"].GetStructValue().Fields["pgbackrest"].GetStructValue().Fields["image"] = structpb.NewStringValue("docker.io/percona/percona-pgbackrest:2.58.0-1")
	want[string(keyPerconaCluster)] = cluster

	sts := proto.Clone(want[string(keyStatefulSet)]).(*structpb.Struct)
	pod := sts.GetFields()["spec"].GetStructValue().GetFields()["template"].GetStructValue().GetFields()["spec"].GetStructValue()
	pod.Fields["containers"].GetListValue().GetValues()[0].GetStructValue().Fields["image"] = structpb.NewStringValue("docker.io/marmos91c/dittofs:v0.29.0")
	// The wait-for-database init container runs psql of the cluster's major.
	pod.Fields["initContainers"].GetListValue().GetValues()[0].GetStructValue().Fields["image"] = structpb.NewStringValue("docker.io/percona/percona-distribution-postgresql:17.9-1")
	want[string(keyStatefulSet)] = sts

	if diff := cmp.Diff(want, composedObjects(now), protocmp.Transform()); diff != "" {
		t.Errorf("composed objects: -want (only images and crVersion changed), +got:\n%s", diff)
	}
}

// TestBackupsOffNeedsAuthorization (item 1): turning backups off on a
// cluster with a repository is refused unless authorizeRemoval is set; with
// it, backups are off and Percona's annotation authorises the removal.
func TestBackupsOffNeedsAuthorization(t *testing.T) {
	const (
		off        = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":false,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`
		offAllowed = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":false,"authorizeRemoval":true}}}`
	)
	withBackups, _ := liveServer(t, backupSpec, "", awsKeys)
	withoutBackups, wasOff := liveServer(t, perconaNoBackup, "")

	t.Run("RefusedWithoutOptIn", func(t *testing.T) {
		rsp := compose(t, later(withBackups, off, ""))
		want := []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
			"spec.percona.backup.enabled: Forbidden: PerconaPGCluster files-postgres backs up to a pgBackRest repository; turning backups off stops WAL archiving and point-in-time recovery, " +
			"and removes the repository host (the backups already in the bucket stay there). To turn them off, also set spec.percona.backup.authorizeRemoval: true; to keep them, set enabled back to true"}
		if diff := cmp.Diff(want, resultStrings(rsp)); diff != "" {
			t.Errorf("results: -want, +got:\n%s", diff)
		}
		if n := len(rsp.GetDesired().GetResources()); n != 0 {
			t.Errorf("a refused change desires %d composed resources, want none", n)
		}
	})

	t.Run("AuthorizedRemovesTheRepository", func(t *testing.T) {
		rsp := compose(t, later(withBackups, offAllowed, ""))
		if msg, fatal := fatalResult(rsp); fatal {
			t.Fatalf("refused with authorizeRemoval: %s", msg)
		}
		// What a cluster made without backups gets, plus the annotations:
		// Percona's, and the record of the plain repository the bucket keeps.
		want := proto.Clone(wasOff.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource()).(*structpb.Struct)
		meta := want.GetFields()["metadata"].GetStructValue()
		meta.Fields["annotations"] = structpb.NewStructValue(resource.MustStructJSON(`{"pgv2.percona.com/authorizeBackupRemoval":"true","dittofs.io/plain-pgbackrest-repository":"/pgbackrest/storage/files-4a49acf8/repo1"}`))
		got := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource()
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("PerconaPGCluster: -want, +got:\n%s", diff)
		}
		for _, k := range []resource.Name{keyPGBackRestS3, keyUsageBackup} {
			if _, ok := rsp.GetDesired().GetResources()[string(k)]; ok {
				t.Errorf("%s is still desired with backups off", k)
			}
		}
	})

	// Backups off with the opt-in, and the opt-in removed from the spec
	// before the operator got to the repository host.
	authorized, _ := liveServer(t, backupSpec, "", awsKeys)
	authorized = observeDesired(authorized, compose(t, later(authorized, offAllowed, "")), keyPerconaCluster)

	cases := map[string]struct {
		reason     string
		running    *fnv1.RunFunctionRequest
		spec       string
		refused    bool
		annotation bool
	}{
		"AuthorizationStaysWhileOff": {
			reason:  "an authorisation given stays while backups are off: dropping it before the repository host is gone would pause the cluster",
			running: authorized, spec: off, annotation: true,
		},
		"AuthorizationGoesWithBackupsOn": {
			reason:  "backups on again: the annotation goes",
			running: authorized, spec: backupSpec,
		},
		"AlreadyOffStaysOff": {
			reason: "a cluster made without backups has no repository to lose", running: withoutBackups, spec: off,
		},
		"OptInWithBackupsOnIsIgnored": {
			reason:  "authorizeRemoval alone changes nothing while backups are on",
			running: withBackups,
			spec:    `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":true,"authorizeRemoval":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`,
		},
		"UnsetEnabledIsOff": {
			reason:  "removing the backup section is turning backups off",
			running: withBackups, spec: perconaNoBackup, refused: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, later(tc.running, tc.spec, ""))
			msg, fatal := fatalResult(rsp)
			if fatal != tc.refused {
				t.Errorf("%s\nrefused = %v, want %v (%s)", tc.reason, fatal, tc.refused, msg)
			}
			if tc.refused && !strings.Contains(msg, "spec.percona.backup.enabled") {
				t.Errorf("%s\nthe Fatal does not name spec.percona.backup.enabled: %s", tc.reason, msg)
			}
			if tc.refused {
				return
			}
			annotations := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["metadata"].GetStructValue().GetFields()["annotations"]
			authorizes := annotations.GetStructValue().GetFields()[build.AnnotationAuthorizeBackupRemoval].GetStringValue() == "true"
			if authorizes != tc.annotation {
				t.Errorf("%s\nthe cluster authorises backup removal: %v, want %v (annotations %v)", tc.reason, authorizes, tc.annotation, annotations)
			}
		})
	}
}

// TestBackupsOnBeforeCredentials (item 2): an existing cluster whose backups
// are turned on (or stay on) while the credentials Secret cannot be read
// keeps its backups block exactly as it is, and BackupReady says what is
// awaited. Never a projection of an unknown Secret.
func TestBackupsOnBeforeCredentials(t *testing.T) {
	withBackups, _ := liveServer(t, backupSpec, "", awsKeys)
	withoutBackups, _ := liveServer(t, perconaNoBackup, "")
	// The operator wrote manual (for a backup it ran): not ours to keep.
	operatorWrote := proto.Clone(withBackups).(*fnv1.RunFunctionRequest)
	pgbr := operatorWrote.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["spec"].GetStructValue().GetFields()["backups"].GetStructValue().GetFields()["pgbackrest"].GetStructValue()
	pgbr.Fields["manual"] = structpb.NewStructValue(resource.MustStructJSON(`{"repoName":"repo1","options":["--type=full"]}`))

	cases := map[string]struct {
		reason  string
		running *fnv1.RunFunctionRequest
		// required is the credentials Secret as the cluster holds it; nil
		// is not fetched yet.
		required []string
		want     string // the BackupReady condition
	}{
		"TurnedOnSecretMissing": {
			reason:  "backups turned on for a cluster without them, before the Secret exists: the cluster stays without backups",
			running: withoutBackups, required: []string{}, want: "STATUS_CONDITION_FALSE/InvalidCredentials",
		},
		"TurnedOnNotFetchedYet": {
			reason:  "Crossplane has not fetched the Secret yet",
			running: withoutBackups, required: nil, want: "STATUS_CONDITION_FALSE/WaitingForCredentials",
		},
		"OnSecretGone": {
			reason:  "the credentials Secret of a cluster with backups disappears: its projection stays",
			running: withBackups, required: []string{}, want: "STATUS_CONDITION_FALSE/InvalidCredentials",
		},
		"OnNotFetchedYet": {
			reason:  "a reconcile before Crossplane fetched the Secret changes nothing",
			running: withBackups, required: nil, want: "STATUS_CONDITION_FALSE/WaitingForCredentials",
		},
		"OperatorFieldsNotTakenOver": {
			reason:  "manual, which the operator writes, is left out of the kept block",
			running: operatorWrote, required: nil, want: "STATUS_CONDITION_FALSE/WaitingForCredentials",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := later(tc.running, backupSpec, "")
			delete(req.GetRequiredResources(), requiredS3Credentials)
			if tc.required != nil {
				req = withRequired(req, requiredS3Credentials, tc.required...)
			}
			rsp := compose(t, req)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nFatal: %s", tc.reason, msg)
			}
			observed := tc.running.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource()
			wantBackups := proto.Clone(observed.GetFields()["spec"].GetStructValue().GetFields()["backups"]).(*structpb.Value)
			delete(wantBackups.GetStructValue().GetFields()["pgbackrest"].GetStructValue().GetFields(), "manual")
			got := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["spec"].GetStructValue().GetFields()["backups"]
			if diff := cmp.Diff(wantBackups, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nspec.backups: -want (observed, kept), +got:\n%s", tc.reason, diff)
			}
			var backupReady string
			for _, c := range rsp.GetConditions() {
				if c.GetType() == conditionBackupReady {
					backupReady = c.GetStatus().String() + "/" + c.GetReason()
				}
			}
			if backupReady != tc.want {
				t.Errorf("%s\nBackupReady = %s, want %s", tc.reason, backupReady, tc.want)
			}
		})
	}
}

// TestUnreadableObservedIsFatal (item 7): an observed cluster or StatefulSet
// that does not decode stops the call with a Fatal naming the object and
// the field, instead of passing every guard.
func TestUnreadableObservedIsFatal(t *testing.T) {
	cases := map[string]struct {
		reason string
		key    resource.Name
		path   []string
		value  *structpb.Value
		want   string
	}{
		"ClusterMajorNotANumber": {
			reason: "a cluster whose postgresVersion is a string cannot be compared with the spec",
			key:    keyPerconaCluster, path: []string{"spec", "postgresVersion"}, value: structpb.NewStringValue("sixteen"),
			want: "cannot read the observed PerconaPGCluster storage/files-postgres (composed resource percona-cluster): spec.postgresVersion does not decode",
		},
		"ClusterInstancesNotAList": {
			reason: "instances of the wrong shape hide the storage size and class",
			key:    keyPerconaCluster, path: []string{"spec", "instances"}, value: structpb.NewStringValue("x"),
			want: "cannot read the observed PerconaPGCluster storage/files-postgres (composed resource percona-cluster): spec.instances does not decode",
		},
		"StatefulSetTemplatesNotAList": {
			reason: "claim templates of the wrong shape hide the volumes the storage guards protect",
			key:    keyStatefulSet, path: []string{"spec", "volumeClaimTemplates"}, value: structpb.NewNumberValue(3),
			want: "cannot read the observed StatefulSet storage/files (composed resource statefulset): spec.volumeClaimTemplates does not decode",
		},
		"StatefulSetReplicasNotANumber": {
			reason: "a broken field the function reads for readiness is as fatal",
			key:    keyStatefulSet, path: []string{"spec", "replicas"}, value: structpb.NewStringValue("one"),
			want: "cannot read the observed StatefulSet storage/files (composed resource statefulset): spec.replicas does not decode",
		},
	}
	running, _ := liveServer(t, perconaNoBackup, "")
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := later(running, perconaNoBackup, "")
			o := req.GetObserved().GetResources()[string(tc.key)].GetResource()
			for _, p := range tc.path[:len(tc.path)-1] {
				o = o.GetFields()[p].GetStructValue()
			}
			o.Fields[tc.path[len(tc.path)-1]] = tc.value
			rsp := compose(t, req)
			msg, fatal := fatalResult(rsp)
			if !fatal || !strings.HasPrefix(msg, tc.want) {
				t.Errorf("%s\nFatal = %v %q, want one starting %q", tc.reason, fatal, msg, tc.want)
			}
			if !strings.Contains(msg, "nothing was applied") {
				t.Errorf("%s\nthe Fatal does not say nothing was applied: %s", tc.reason, msg)
			}
			if n := len(rsp.GetDesired().GetResources()); n != 0 {
				t.Errorf("%s\na Fatal desires %d composed resources, want none", tc.reason, n)
			}
			var reason string
			for _, c := range rsp.GetConditions() {
				if c.GetType() == "FunctionSuccess" {
					reason = c.GetReason()
				}
			}
			if reason != "UnreadableObserved" {
				t.Errorf("%s\nFunctionSuccess reason = %q, want UnreadableObserved", tc.reason, reason)
			}
		})
	}
}

// TestLegacyNamespaceGuard (item 7): a claimless legacy XR's spec.namespace
// names where its objects live; changing it would re-create them empty
// elsewhere.
func TestLegacyNamespaceGuard(t *testing.T) {
	const xr = `{"apiVersion":"dittofs.dittofs.com/v1alpha1","kind":"XDittoServer","metadata":{"name":"files","uid":"uid-1"%s},"spec":{"namespace":%q,"storage":{"metadataSize":"10Gi"}}}`
	request := func(labels, namespace string) *fnv1.RunFunctionRequest {
		req := xrRequest("{}")
		req.Observed.Composite.Resource = resource.MustStructJSON(strings.Replace(strings.Replace(xr, "%s", labels, 1), "%q", `"`+namespace+`"`, 1))
		return req
	}
	first := compose(t, request("", "team-a"))
	if msg, fatal := fatalResult(first); fatal {
		t.Fatal(msg)
	}
	cases := map[string]struct {
		reason    string
		labels    string
		namespace string
		want      []string
	}{
		"Unchanged": {reason: "the same namespace is no change", namespace: "team-a", want: []string{}},
		"ClaimDecides": {
			reason:    "with a claim, its namespace decides and spec.namespace is not read",
			labels:    `,"labels":{"crossplane.io/claim-name":"files","crossplane.io/claim-namespace":"team-a"}`,
			namespace: "team-b", want: []string{},
		},
		"Moved": {
			reason: "another namespace is refused, naming spec.namespace and where the objects are", namespace: "team-b",
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: spec.namespace: Forbidden: " +
				`the composed objects live in namespace "team-a" (Secret files-admin among them); a new namespace would create them empty in "team-b" and delete these, with their data. Keep "team-a"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := observeDesired(request(tc.labels, tc.namespace), first)
			rsp := compose(t, req)
			if diff := cmp.Diff(tc.want, resultStrings(rsp)); diff != "" {
				t.Errorf("%s\nresults: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// fatalResult is the message of the first Fatal result, if any.
func fatalResult(rsp *fnv1.RunFunctionResponse) (string, bool) {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage(), true
		}
	}
	return "", false
}

// TestFunctionSuccess: every call that composes says FunctionSuccess=True,
// so once a refused change is undone the condition says so. Crossplane
// keeps a condition a function stops returning, so the False of the
// refusal would otherwise stay on the XR and its claim.
func TestFunctionSuccess(t *testing.T) {
	withCondition := func(status string) *fnv1.RunFunctionRequest {
		req := xrRequest(`{"storage":{"metadataSize":"10Gi"}}`)
		if status != "" {
			req.Observed.Composite.Resource.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(
				`{"conditions":[{"type":"FunctionSuccess","status":"` + status + `","reason":"UnsafeChange","lastTransitionTime":"2026-01-01T00:00:00Z"}]}`))
		}
		return req
	}
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   []string
	}{
		"NeverRefused": {
			reason: "an XR that never failed is told it composed, as function-template-go does",
			req:    withCondition(""), want: []string{"FunctionSuccess=STATUS_CONDITION_TRUE/Composed"},
		},
		"RefusedBefore": {
			reason: "the False of an earlier refusal is replaced",
			req:    withCondition("False"), want: []string{"FunctionSuccess=STATUS_CONDITION_TRUE/Composed"},
		},
		"TrueStaysTrue": {
			reason: "once True, it is returned on every call, so it never goes stale",
			req:    withCondition("True"), want: []string{"FunctionSuccess=STATUS_CONDITION_TRUE/Composed"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, tc.req)
			got := []string{}
			for _, c := range rsp.GetConditions() {
				if c.GetType() == "FunctionSuccess" {
					got = append(got, c.GetType()+"="+c.GetStatus().String()+"/"+c.GetReason())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nFunctionSuccess: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
