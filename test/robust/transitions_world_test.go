package robust

import (
	"encoding/base64"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

// The world of the transition test: one DittoServer over its life, as
// Crossplane, the API server and the operators below see it between two
// reconciles. It starts from the steady-state example (example/percona-running)
// and changes by steps: the user edits the XR's spec, the platform team edits
// the Composition's Input, or the cluster changes under it (a Secret, the
// Percona cluster's state, a rollout, what Crossplane remembers). Each step
// ends with a reconcile: the function runs the way Crossplane runs it, and
// what it desires becomes the next observed state, as the API server would
// hold it after the apply.

// steadyCase is the example the test starts from.
const steadyCase = "percona-running"

// Names the world uses; they are the example's.
const (
	xrName          = "files"
	xrNamespace     = "storage"
	credentialsName = "backup-s3"
	derivedS3Secret = xrName + "-pgbackrest-s3"
	perconaUserName = xrName + "-postgres-pguser-dittofs"
	perconaCAName   = xrName + "-postgres-cluster-cert"

	annotationConfigHash      = "dittofs.io/config-hash"
	annotationDatabase        = "dittofs.io/database"
	annotationResourceName    = "crossplane.io/composition-resource-name"
	annotationAuthorizeRemove = "pgv2.percona.com/authorizeBackupRemoval"
)

// maxRequirementsIterations is Crossplane's cap on calls of one function in
// one reconcile (MaxRequirementsIterations in its function runner).
const maxRequirementsIterations = 5

// knobs are the parts of the observed world no reconcile decides.
type knobs struct {
	// Credentials is the S3 credentials Secret the XR names: present (plain
	// keys), conf (a pgBackRest *.conf key), missing, no-keys, newline or
	// carriage-return (a key value with a control character in it).
	Credentials string
	// CredentialsRev counts rotations of the credentials' values.
	CredentialsRev int
	// Percona is the state the operator reports: ready, initializing, or
	// behind (ready, but for an older generation than the current spec).
	Percona string
	// StatefulSet is rolled-out or rolling.
	StatefulSet string
	// Requirements says whether Crossplane remembers what the function
	// required last time (it seeds the first call with it), or has
	// forgotten (a restarted Crossplane, a new XR): the first call then has
	// no required resources or schemas.
	Requirements string
	// PGUserRev and CARev count rotations of the Percona user's password and
	// of the cluster CA, Secrets the Percona operator writes.
	PGUserRev, CARev int
	// PGBouncerStarting: the cluster's proxy appeared in the last apply, and
	// its PgBouncer is not ready until the operator next reports the
	// cluster ready (an observed step), as a Deployment takes its time.
	PGBouncerStarting bool
}

// world is the state between two reconciles.
type world struct {
	name string // where it started
	c    *corpus.Case
	base *fnv1.RunFunctionRequest // the example's request: XR identity, Input, context

	spec     map[string]any // the XR's spec, as the user wrote it
	input    map[string]any // the Composition step's Input
	uid      string         // the XR's UID: a new one on re-creation
	xrStatus map[string]any // what the last reconcile wrote
	observed map[string]map[string]any
	knobs    knobs

	// lastRequirements is what the last reconcile's function required,
	// which Crossplane remembers per XR UID.
	lastRequirements *fnv1.Requirements
	// repoPaths is every pgBackRest repo1-path a cluster was created or
	// applied with, and the UID of the XR it belonged to: the bucket keeps
	// them after the XR is gone.
	repoPaths map[string]string
	// incarnation counts re-creations of the XR.
	incarnation int

	// labels are the XR's metadata.labels.
	labels map[string]any
	// newer is the state of the fields added since (transitions_fields_test.go).
	newer newerState
}

// newWorld is the steady state of example/percona-running.
func newWorld(t testing.TB) *world {
	t.Helper()
	c, err := corpus.LoadExample(root, steadyCase)
	if err != nil {
		t.Fatal(err)
	}
	base := c.Request()
	w := &world{
		name:      steadyCase,
		c:         c,
		base:      base,
		input:     base.GetInput().AsMap(),
		observed:  map[string]map[string]any{},
		knobs:     knobs{Credentials: "present", Percona: "ready", StatefulSet: "rolled-out", Requirements: "remembered"},
		repoPaths: map[string]string{},
		labels:    startLabels(),
		newer:     newerState{restores: map[string]int{}, ended: map[string]bool{}, repoCipher: map[string]string{}},
	}
	xr := base.GetObserved().GetComposite().GetResource().AsMap()
	w.spec = xr["spec"].(map[string]any)
	w.uid = getString(xr, "metadata", "uid")
	for k, r := range base.GetObserved().GetResources() {
		w.observed[k] = r.GetResource().AsMap()
	}
	for _, o := range w.observed {
		w.recordRepoPath(o)
	}
	// Crossplane has reconciled this XR before: it remembers what the
	// function requires. One reconcile more makes the example a fixed point
	// (its observed StatefulSet may carry an older pod template hash).
	f := fn.NewFunction(nopLogger(), fn.WithSeededSecrets("transitions"))
	w.lastRequirements = run(t, f, w.request()).GetRequirements()
	w.refreshStatus()
	w.settle(t, f)
	return w
}

// startWorlds are where sequences start: the steady state as the example
// writes it (every storage class in the spec); the same cluster made by an
// XR that relies on the Input's default storage class, which a platform
// team may then move; and the moment before the steady state, the cluster
// ready and DittoFS not started yet.
func startWorlds(t testing.TB) []*world {
	t.Helper()
	written := newWorld(t)
	defaults := written.clone()
	defaults.name = steadyCase + ", storage classes from the Input's default"
	setPath(defaults.spec, "storage.storageClassName", nil)
	setPath(defaults.spec, "percona.storageClassName", nil)
	setPath(defaults.input, "storageClassName", "fast-ssd")
	defaults.settle(t, fn.NewFunction(nopLogger(), fn.WithSeededSecrets("transitions")))
	// What the reconciles before DittoFS started composed (the database
	// and its credentials), as they applied it: example/percona-ready
	// abbreviates the cluster, so it is derived from the steady state.
	starting := written.clone()
	starting.name = steadyCase + " before DittoFS started (the database ready, nothing else composed)"
	for k := range starting.observed {
		if k != clusterKey && k != s3SecretKey && k != "usage-database-s3-credentials" {
			delete(starting.observed, k)
		}
	}
	starting.xrStatus = nil
	encrypted := encryptedStart(t, written)
	return []*world{written, defaults, starting, encrypted, backupsOffStart(t, encrypted)}
}

// settle reconciles and applies; a start state must reconcile cleanly.
func (w *world) settle(t testing.TB, f *fn.Function) {
	t.Helper()
	its, stable := w.reconcile(t, f)
	last := its[len(its)-1]
	if msg := fatalMessage(last.rsp); msg != "" || !stable {
		t.Fatalf("the start state %s does not reconcile: %s", w.name, msg)
	}
	w.apply(last)
}

// clone is a deep copy, so that a refused step can be undone.
func (w *world) clone() *world {
	out := *w
	out.spec = deepCopy(w.spec)
	out.input = deepCopy(w.input)
	out.xrStatus = deepCopy(w.xrStatus)
	out.observed = make(map[string]map[string]any, len(w.observed))
	for k, o := range w.observed {
		out.observed[k] = deepCopy(o)
	}
	if w.lastRequirements != nil {
		out.lastRequirements = proto.Clone(w.lastRequirements).(*fnv1.Requirements)
	}
	out.repoPaths = maps.Clone(w.repoPaths)
	out.labels = deepCopy(w.labels)
	out.newer = w.newer.clone()
	return &out
}

// request is the first request of a reconcile: the XR as the user wrote it,
// the observed composed resources, the Input; with the remembered required
// resources and schemas when Crossplane remembers them.
func (w *world) request() *fnv1.RunFunctionRequest {
	xr := w.base.GetObserved().GetComposite().GetResource().AsMap()
	xr["metadata"].(map[string]any)["uid"] = w.uid
	xr["metadata"].(map[string]any)["labels"] = deepCopy(w.labels)
	xr["spec"] = deepCopy(w.spec)
	if w.xrStatus != nil {
		xr["status"] = deepCopy(w.xrStatus)
	}
	req := &fnv1.RunFunctionRequest{
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(xr)}, Resources: make(map[string]*fnv1.Resource, len(w.observed))},
		Desired:  &fnv1.State{},
		Input:    mustStruct(w.input),
		Context:  proto.Clone(w.base.GetContext()).(*structpb.Struct),
	}
	for k, o := range w.observed {
		req.Observed.Resources[k] = &fnv1.Resource{Resource: mustStruct(o)}
	}
	if w.knobs.Requirements == "remembered" && w.lastRequirements != nil {
		return w.c.ResolveIn(req, w.lastRequirements, w.clusterObjects())
	}
	return req
}

// iteration is one call of the function in a reconcile.
type iteration struct {
	req      *fnv1.RunFunctionRequest
	answered *fnv1.Requirements // what req's required resources answer
	rsp      *fnv1.RunFunctionResponse
	desired  map[string]map[string]any // rsp's desired composed resources, decoded
}

// fetched says whether the call was given the Secret named name (present or
// found missing), whatever the function calls the requirement.
func (it iteration) fetched(name string) bool {
	for _, sel := range it.answered.GetResources() {
		if sel.GetMatchName() == name {
			return true
		}
	}
	for _, sel := range it.answered.GetExtraResources() {
		if sel.GetMatchName() == name {
			return true
		}
	}
	return false
}

// reconcile runs the function the way Crossplane's function runner does:
// again with what it requires until its requirements stop changing, at most
// maxRequirementsIterations times, and not again after a Fatal result. The
// last iteration's response is what Crossplane acts on.
func (w *world) reconcile(t testing.TB, f *fn.Function) (its []iteration, stable bool) {
	t.Helper()
	req := w.request()
	var reqs *fnv1.Requirements
	if w.knobs.Requirements == "remembered" {
		reqs = w.lastRequirements
	}
	for range maxRequirementsIterations {
		rsp := run(t, f, req)
		its = append(its, iteration{req: req, answered: reqs, rsp: rsp, desired: desiredObjects(rsp)})
		if fatalMessage(rsp) != "" || proto.Equal(rsp.GetRequirements(), reqs) {
			return its, true
		}
		reqs = rsp.GetRequirements()
		req = w.c.ResolveIn(req, reqs, w.clusterObjects())
	}
	return its, false
}

// clusterObjects are what required-resource selectors can find: the S3
// credentials Secret (as the credentials knob has it) and, once the cluster
// exists, the Secrets the Percona operator writes for it.
func (w *world) clusterObjects() []*structpb.Struct {
	var out []*structpb.Struct
	if creds := credentialsData(w.knobs.Credentials, w.knobs.CredentialsRev); creds != nil {
		out = append(out, secret(credentialsName, nil, creds))
	}
	if w.observed[clusterKey] != nil {
		rev := fmt.Sprint(w.knobs.PGUserRev)
		user := map[string]string{
			"dbname":   "dittofs",
			"host":     xrName + "-postgres-primary." + xrNamespace + ".svc",
			"port":     "5432",
			"user":     "dittofs",
			"password": "password-" + rev,
			"verifier": "SCRAM-SHA-256$4096:verifier-" + rev,
		}
		// The operator adds PgBouncer's address while the cluster has a proxy.
		if get(w.observed[clusterKey], "spec", "proxy", "pgBouncer") != nil {
			user["pgbouncer-host"] = xrName + "-postgres-pgbouncer." + xrNamespace + ".svc"
			user["pgbouncer-port"] = "5432"
		}
		out = append(out, secret(perconaUserName, map[string]any{
			"postgres-operator.crunchydata.com/cluster": xrName + "-postgres",
			"postgres-operator.crunchydata.com/pguser":  "dittofs",
			"postgres-operator.crunchydata.com/role":    "pguser",
		}, user))
		ca := fmt.Sprint(w.knobs.CARev)
		out = append(out, secret(perconaCAName, map[string]any{
			"postgres-operator.crunchydata.com/cluster": xrName + "-postgres",
		}, map[string]string{"ca.crt": "ca-" + ca, "tls.crt": "cert-" + ca, "tls.key": "key-" + ca}))
	}
	return append(out, w.newerClusterObjects()...)
}

// credentialsData is the credentials Secret's data for a credentials knob,
// or nil when the Secret does not exist.
func credentialsData(state string, rev int) map[string]string {
	// Revision 0 is the example's required.yaml.
	id, key := "AKIAEXAMPLEKEY", "example-secret-access-key"
	if rev > 0 {
		id, key = fmt.Sprintf("%s%d", id, rev), fmt.Sprintf("%s-%d", key, rev)
	}
	switch state {
	case "present", "rotated":
		return map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": key}
	case "conf":
		return map[string]string{"s3.conf": "[global]\nrepo1-s3-key=" + id + "\nrepo1-s3-key-secret=" + key + "\n"}
	case "no-keys":
		return map[string]string{"region": "eu-west-1"}
	case "newline":
		// pgBackRest reads s3.conf line by line: this would move the
		// repository somewhere else.
		return map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": key + "\nrepo1-path=/elsewhere"}
	case "carriage-return":
		// Inside the value: surrounding white space (a trailing newline
		// from kubectl --from-file) is trimmed and harmless.
		return map[string]string{"AWS_ACCESS_KEY_ID": id + "\rx", "AWS_SECRET_ACCESS_KEY": key}
	}
	return nil // missing
}

// credentialsKnown says whether the function can know the S3 credentials:
// the Secret exists and holds usable values.
func credentialsKnown(state string) bool {
	return state == "present" || state == "rotated" || state == "conf"
}

func secret(name string, labels map[string]any, data map[string]string) *structpb.Struct {
	enc := map[string]any{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	meta := map[string]any{"name": name, "namespace": xrNamespace}
	if labels != nil {
		meta["labels"] = labels
	}
	return mustStruct(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": enc})
}

// apply makes rsp's desired state the observed state, as Crossplane and the
// API server would: every desired object applied (what the server and the
// operators own kept: UID, generation, assigned cluster IPs, status), every
// composed object not desired deleted, the XR's status written.
func (w *world) apply(it iteration) {
	rsp := it.rsp
	next := make(map[string]map[string]any, len(it.desired))
	for k, d := range it.desired {
		if was := w.observed[k]; k == statefulSetKey && was != nil && len(statefulSetImmutables(was, d)) > 0 {
			// The API server refuses to change a StatefulSet's selector,
			// serviceName or claim templates: the old one stays.
			next[k] = was
			continue
		}
		next[k] = applied(w.observed[k], d, k)
	}
	if get(w.observed[clusterKey], "spec", "proxy", "pgBouncer") == nil && get(next[clusterKey], "spec", "proxy", "pgBouncer") != nil {
		w.knobs.PGBouncerStarting = true
	}
	w.noteApplied(next)
	w.observed = next
	if st, ok := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any); ok {
		w.xrStatus = st
	}
	w.lastRequirements = rsp.GetRequirements()
	for _, o := range w.observed {
		w.recordRepoPath(o)
	}
	w.refreshStatus()
}

// applied is desired as the API server holds it after the apply over was
// (nil for a new object).
func applied(was, desired map[string]any, key string) map[string]any {
	o := deepCopy(desired)
	meta, _ := o["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		o["metadata"] = meta
	}
	annotations, _ := meta["annotations"].(map[string]any)
	if annotations == nil {
		annotations = map[string]any{}
	}
	annotations[annotationResourceName] = key
	meta["annotations"] = annotations
	generation := 1.0
	if was != nil {
		generation, _ = get(was, "metadata", "generation").(float64)
		if !reflect.DeepEqual(withoutMetaAndStatus(was), withoutMetaAndStatus(o)) {
			generation++
		}
		if uid, ok := get(was, "metadata", "uid").(string); ok {
			meta["uid"] = uid
		}
		if st, ok := was["status"].(map[string]any); ok {
			o["status"] = deepCopy(st)
		}
		// The API server assigns a Service its cluster IP; an apply that
		// does not name one keeps it.
		if ip, ok := get(was, "spec", "clusterIP").(string); ok && get(o, "spec", "clusterIP") == nil {
			if spec, ok := o["spec"].(map[string]any); ok {
				spec["clusterIP"] = ip
			}
		}
	}
	meta["generation"] = generation
	return o
}

func withoutMetaAndStatus(o map[string]any) map[string]any {
	out := maps.Clone(o)
	delete(out, "metadata")
	delete(out, "status")
	return out
}

// refreshStatus writes what the Percona operator and the StatefulSet
// controller report, as the knobs say.
func (w *world) refreshStatus() {
	if c := w.observed[clusterKey]; c != nil {
		gen, _ := get(c, "metadata", "generation").(float64)
		state, observedGen := "ready", gen
		switch w.knobs.Percona {
		case "initializing":
			state = "initializing"
		case "behind":
			observedGen = gen - 1
		}
		backupReady := "False"
		if enabled, _ := get(c, "spec", "backups", "enabled").(bool); enabled && state == "ready" {
			backupReady = "True"
		}
		c["status"] = map[string]any{
			"state":              state,
			"observedGeneration": observedGen,
			"host":               xrName + "-postgres-primary." + xrNamespace + ".svc",
			"conditions": []any{map[string]any{
				"type": "ReadyForBackup", "status": backupReady, "reason": "Transition",
				"lastTransitionTime": "2026-11-26T09:00:00Z", "message": "",
			}},
		}
		// With a proxy, the operator runs PgBouncer, ready with the rest
		// once it has started.
		if replicas, ok := get(c, "spec", "proxy", "pgBouncer", "replicas").(float64); ok {
			ready := replicas
			if state != "ready" || w.knobs.PGBouncerStarting {
				ready = 0
			}
			c["status"].(map[string]any)["pgbouncer"] = map[string]any{"size": replicas, "ready": ready}
			c["status"].(map[string]any)["host"] = xrName + "-postgres-pgbouncer." + xrNamespace + ".svc"
		}
	}
	if s := w.observed[statefulSetKey]; s != nil {
		gen, _ := get(s, "metadata", "generation").(float64)
		want, ok := get(s, "spec", "replicas").(float64)
		if !ok {
			want = 1
		}
		ready, revision := want, "files-current"
		if w.knobs.StatefulSet == "rolling" {
			ready, revision = 0, "files-previous"
		}
		s["status"] = map[string]any{
			"observedGeneration": gen, "replicas": want, "readyReplicas": ready, "updatedReplicas": ready,
			"availableReplicas": ready, "currentRevision": revision, "updateRevision": "files-current",
		}
	}
}

// recordRepoPath remembers the repo path a cluster uses.
func (w *world) recordRepoPath(o map[string]any) {
	if p := repoPath(o); p != "" && o["kind"] == "PerconaPGCluster" {
		if _, seen := w.repoPaths[p]; !seen {
			w.repoPaths[p] = w.uid
		}
	}
}

// recreate is the XR deleted (and everything composed with it) and created
// again with the same name and spec: a new UID, nothing observed, nothing
// remembered. The S3 bucket keeps what the old cluster wrote.
func (w *world) recreate() {
	w.incarnation++
	w.uid = fmt.Sprintf("6f2c1d0e-5a4b-4c3d-8e9f-%012d", w.incarnation)
	w.observed = map[string]map[string]any{}
	w.xrStatus = nil
	w.lastRequirements = nil
}
