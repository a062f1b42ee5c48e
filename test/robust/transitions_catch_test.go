package robust

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn"
)

// TestTransitionRulesCatch shows that every rule of the transition test can
// fail: each case breaks one rule in the steady state's desired state (or in
// the world around it) and checks that the rule reports it, and the
// unbroken steady state reports nothing.
func TestTransitionRulesCatch(t *testing.T) {
	cases := []catchCase{
		{name: "steady state", step: step{On: "observed", Path: "xr", Value: "resynced"}},
		{name: "cluster dropped", breakIt: func(d map[string]map[string]any) { delete(d, clusterKey) }, want: "dropped percona-cluster"},
		{name: "StatefulSet dropped", breakIt: func(d map[string]map[string]any) { delete(d, statefulSetKey) }, want: "dropped statefulset"},
		{name: "JWT Secret dropped", breakIt: func(d map[string]map[string]any) { delete(d, jwtKey) }, want: "dropped jwt-secret"},
		{name: "admin Secret dropped", breakIt: func(d map[string]map[string]any) { delete(d, adminKey) }, want: "dropped admin-secret"},
		{name: "derived S3 Secret dropped", breakIt: func(d map[string]map[string]any) { delete(d, s3SecretKey) }, want: "dropped pgbackrest-s3-secret"},
		{name: "JWT regenerated", breakIt: func(d map[string]map[string]any) { setPath(d[jwtKey], "data.jwt-secret", "bmV3") }, want: "value changed jwt-secret"},
		{name: "admin password regenerated", breakIt: func(d map[string]map[string]any) { setPath(d[adminKey], "data.password", "bmV3") }, want: "value changed admin-secret"},
		{name: "selector", breakIt: func(d map[string]map[string]any) {
			setPath(d[statefulSetKey], "spec.selector.matchLabels.extra", "x")
		}, want: "immutable statefulset spec.selector"},
		{name: "serviceName", breakIt: func(d map[string]map[string]any) { setPath(d[statefulSetKey], "spec.serviceName", "other") }, want: "immutable statefulset spec.serviceName"},
		{name: "claim template grown", breakIt: func(d map[string]map[string]any) {
			first(d[statefulSetKey], "spec", "volumeClaimTemplates")["spec"].(map[string]any)["resources"] = map[string]any{"requests": map[string]any{"storage": "20Gi"}}
		}, want: "immutable statefulset spec.volumeClaimTemplates"},
		{name: "DittoFS major", breakIt: func(d map[string]map[string]any) {
			first(d[statefulSetKey], "spec", "template", "spec", "containers")["image"] = dittofsImage + "v1.0.0"
		}, want: "statefulset image changed major"},
		{name: "crVersion", breakIt: func(d map[string]map[string]any) { setPath(d[clusterKey], "spec.crVersion", "latest") }, want: "percona-cluster crVersion not X.Y.Z"},
		{name: "image of another major", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.image", postgresImageAt+"16.13-1")
		}, want: "percona-cluster image of another major than postgresVersion"},
		{name: "postgresVersion", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.postgresVersion", 18.0)
			setPath(d[clusterKey], "spec.image", postgresImageAt+"18.3-1")
		}, want: "immutable percona-cluster spec.postgresVersion"},
		{name: "instance set name", breakIt: func(d map[string]map[string]any) {
			first(d[clusterKey], "spec", "instances")["name"] = "instance2"
		}, want: "immutable percona-cluster instance set name"},
		{name: "instance storage class", breakIt: func(d map[string]map[string]any) {
			setPath(first(d[clusterKey], "spec", "instances"), "dataVolumeClaimSpec.storageClassName", "standard")
		}, want: "immutable percona-cluster instance storageClassName"},
		{name: "database name", breakIt: func(d map[string]map[string]any) {
			first(d[clusterKey], "spec", "users")["databases"] = []any{"other"}
		}, want: "immutable percona-cluster databaseName"},
		{name: "repo path", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.global.repo1-path", "/pgbackrest/elsewhere")
		}, want: "immutable percona-cluster repo1-path"},
		{name: "volume shrunk", breakIt: func(d map[string]map[string]any) {
			setPath(first(d[clusterKey], "spec", "instances"), "dataVolumeClaimSpec.resources.requests.storage", "10Gi")
		}, want: "percona-cluster volume shrunk"},
		{name: "pgBackRest major", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.image", pgBackRestImage+"3.0.0-1")
		}, want: "percona-cluster pgBackRest image changed major"},
		{name: "backups removed", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups", map[string]any{"enabled": false})
		}, want: "backups removed without authorizeBackupRemoval"},
		{name: "empty projection", breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.configuration", []any{map[string]any{}})
		}, want: "backups on with an empty credentials projection"},
		{
			name: "projects a Secret nobody composes", world: func(w *world) { delete(w.observed, s3SecretKey) },
			breakIt: func(d map[string]map[string]any) { delete(d, s3SecretKey) }, want: "backups project a Secret nobody composes",
		},
		{
			name: "backups block rebuilt without credentials", world: func(w *world) { w.knobs.Credentials = "missing" },
			breakIt: func(d map[string]map[string]any) {
				setPath(d[clusterKey], "spec.backups.pgbackrest.image", pgBackRestImage+"2.59.0-1")
			}, want: "backups block not kept while the credentials are unknown",
		},
		{name: "repo path of a deleted XR", world: func(w *world) {
			w.recreate()
		}, want: "new cluster reuses a deleted XR's repo path"},
		{name: "s3.conf injected", breakIt: func(d map[string]map[string]any) {
			getMap(d[s3SecretKey], "data")["s3.conf"] = base64.StdEncoding.EncodeToString([]byte("[global]\nrepo1-s3-key=a\nrepo1-s3-key-secret=b\nrepo1-path=/x\n"))
		}, want: "s3.conf carries more than the two keys"},
		{
			name: "pod rolled on what was not read", step: step{On: "observed", Path: "requirements", Value: "forgotten"}, unresolved: true,
			breakIt: func(d map[string]map[string]any) {
				setPath(d[statefulSetKey], "spec.template.metadata.annotations", map[string]any{annotationConfigHash: "0000"})
			}, want: "pod rolled while the Secrets it reads were not fetched",
		},
		{
			name: "Input upgrade changes more", step: step{On: "input", Path: "images.dittofs", Value: dittofsImage + "v0.29.0"},
			breakIt: func(d map[string]map[string]any) { setPath(d[statefulSetKey], "spec.replicas", 0.0) },
			want:    "Input upgrade changed more than images and crVersion: statefulset",
		},
		{name: "replicas not applied", step: step{On: "spec", Path: "replicas", Value: 0.0}, want: "not applied: replicas"},
		{name: "rotation", step: step{On: "observed", Path: "rotate", Value: "pguser"}, want: "rotation does not roll the pod"},
	}
	cases = append(cases, newerCatchCases...)
	steady := newWorld(t)
	encrypted := encryptedStart(t, steady)
	f := fn.NewFunction(nopLogger(), fn.WithSeededSecrets("transitions"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := steady.clone()
			if strings.HasPrefix(tc.name, "encrypted:") {
				w = encrypted.clone()
			}
			if tc.applied != nil {
				tc.applied(w)
				w.settle(t, f)
			}
			if tc.world != nil {
				tc.world(w)
			}
			desired := map[string]map[string]any{}
			for k, o := range steady.observed {
				desired[k] = withoutMetaAndStatus(deepCopy(o))
				desired[k]["metadata"] = deepCopy(getMap(o, "metadata"))
			}
			s := tc.step
			if s.On == "" {
				s = step{On: "spec", Path: "replicas", Value: 1.0}
			}
			it := iteration{req: w.request(), rsp: &fnv1.RunFunctionResponse{}, desired: desired}
			if tc.fromFunction {
				its, _ := w.reconcile(t, f)
				it = its[len(its)-1]
				if msg := fatalMessage(it.rsp); msg != "" {
					t.Fatalf("the function refuses the world: %s", msg)
				}
				if got := checkOutcome(w, s, expectation{}, it); len(got) > 0 {
					t.Fatalf("the function's own desired state breaks rules: %v", got)
				}
			}
			if tc.breakIt != nil {
				tc.breakIt(it.desired)
			}
			if tc.breakResponse != nil {
				tc.breakResponse(it.rsp)
			}
			if tc.unresolved {
				it.req.RequiredResources = nil
			}
			got := rules(checkOutcome(w, s, expectation{}, it))
			if tc.want == "" && len(got) > 0 || tc.want != "" && !slices.Contains(got, tc.want) {
				t.Errorf("rules reported %q, want %q", got, tc.want)
			}
		})
	}
}

// A catchCase breaks one rule (TestTransitionRulesCatch).
type catchCase struct {
	name       string
	step       step
	applied    func(w *world)                    // changes reconciled and applied before world's
	world      func(w *world)                    // changes the world before the check
	breakIt    func(d map[string]map[string]any) // changes the desired state
	unresolved bool                              // the call had no required resources
	// fromFunction: the desired state is the function's own for the
	// changed world (which must break no rule), then broken; else it
	// is the steady state's observed one.
	fromFunction  bool
	breakResponse func(rsp *fnv1.RunFunctionResponse) // changes the results
	want          string
}

// TestTransitionExpectationsCatch: a Fatal where the rules apply, no Fatal
// where they refuse, a Fatal naming another field, a Fatal that desires
// objects: each is reported.
func TestTransitionExpectationsCatch(t *testing.T) {
	w := newWorld(t)
	fatal := func(msg string, desired int) iteration {
		rsp := &fnv1.RunFunctionResponse{Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
		response.Fatal(rsp, stringError(msg))
		for i := range desired {
			rsp.Desired.Resources[string(rune('a'+i))] = &fnv1.Resource{}
		}
		return iteration{req: w.request(), rsp: rsp, desired: map[string]map[string]any{}}
	}
	applied := iteration{req: w.request(), rsp: &fnv1.RunFunctionResponse{}, desired: map[string]map[string]any{}}
	for k, o := range w.observed {
		applied.desired[k] = o
	}
	edit := step{On: "spec", Path: "percona.backup.enabled", Value: false}
	refuse := expectation{refuse: []string{"spec.percona.backup.enabled"}}
	for _, tc := range []struct {
		name string
		e    expectation
		it   iteration
		want string
	}{
		{"Fatal on a safe change", expectation{}, fatal("spec.replicas: no", 0), "Fatal on a change the rules apply: spec percona.backup.enabled=false"},
		{"no Fatal", refuse, applied, "no Fatal refusing spec.percona.backup.enabled"},
		{"Fatal naming another field", refuse, fatal("spec.replicas: no", 0), "Fatal names none of spec.percona.backup.enabled"},
		{"Fatal desiring objects", refuse, fatal("spec.percona.backup.enabled: no", 2), "a Fatal desires objects"},
		{"the right Fatal", refuse, fatal("spec.percona.backup.enabled: no", 0), ""},
		{"a standing refusal", expectation{standing: []string{"crVersion"}}, fatal("crVersion: no", 0), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(checkOutcome(w, edit, tc.e, tc.it))
			if tc.want == "" && len(got) > 0 || tc.want != "" && !slices.Contains(got, tc.want) {
				t.Errorf("rules reported %q, want %q", got, tc.want)
			}
		})
	}
}

func rules(vs []violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.rule)
	}
	return out
}

type stringError string

func (e stringError) Error() string { return string(e) }
