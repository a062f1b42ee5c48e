package robust

import (
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn"
)

// newerCatchCases show that each rule of the newer fields
// (transitions_fields_test.go) can fail: the function's own desired state
// for a world that exercises the rule passes it, and broken as a bug would
// break it, it fails. TestTransitionRulesCatch runs them. A name starting
// "encrypted:" starts from encryptedStart.
var newerCatchCases = []catchCase{
	// The Services and the NetworkPolicy.
	{
		name: "source ranges not applied", step: step{On: "spec", Path: "adapterServices.loadBalancerSourceRanges", Value: []any{"203.0.113.0/24"}},
		world:        func(w *world) { setPath(w.spec, "adapterServices.loadBalancerSourceRanges", []any{"203.0.113.0/24"}) },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { setPath(d["service-nfs"], "spec.loadBalancerSourceRanges", nil) },
		want:         "Service loadBalancerSourceRanges not the spec's",
	},
	{
		name: "traffic policy not applied", step: step{On: "spec", Path: "adapterServices.externalTrafficPolicy", Value: "Local"},
		world:        func(w *world) { setPath(w.spec, "adapterServices.externalTrafficPolicy", "Local") },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { setPath(d["service-smb"], "spec.externalTrafficPolicy", "Cluster") },
		want:         "Service externalTrafficPolicy not the spec's",
	},
	{
		name: "Service type not the default", fromFunction: true,
		breakIt: func(d map[string]map[string]any) { setPath(d["service-api"], "spec.type", "LoadBalancer") },
		want:    "Service type not the defaulted spec's",
	},
	{
		name: "peers not applied", step: step{On: "spec", Path: "networkPolicy.from", Value: newerSpecEditValue("networkPolicy.from", 0)},
		world:        func(w *world) { setPath(w.spec, "networkPolicy.from", newerSpecEditValue("networkPolicy.from", 0)) },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { delete(first(d["networkpolicy"], "spec", "ingress"), "from") },
		want:         "NetworkPolicy peers not the spec's networkPolicy.from",
	},
	{
		name: "peers change the ports", step: step{On: "spec", Path: "networkPolicy.from", Value: newerSpecEditValue("networkPolicy.from", 0)},
		world:        func(w *world) { setPath(w.spec, "networkPolicy.from", newerSpecEditValue("networkPolicy.from", 0)) },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { first(d["networkpolicy"], "spec", "ingress")["ports"] = []any{} },
		want:         "networkPolicy.from changed the admitted ports",
	},
	{
		name: "a Service edit rolls DittoFS", step: step{On: "spec", Path: "adapterServices.externalTrafficPolicy", Value: "Local"},
		world:        func(w *world) { setPath(w.spec, "adapterServices.externalTrafficPolicy", "Local") },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			getMap(d[statefulSetKey], "spec", "template", "metadata", "annotations")["example.com/restarted"] = "now"
		},
		want: "DittoFS rolled: adapterServices.externalTrafficPolicy",
	},
	// The DittoFS pod's fields.
	{
		name: "tolerations not applied", step: step{On: "spec", Path: "tolerations", Value: newerSpecEditValue("tolerations", 0)},
		world:        func(w *world) { setPath(w.spec, "tolerations", newerSpecEditValue("tolerations", 0)) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			delete(getMap(d[statefulSetKey], "spec", "template", "spec"), "tolerations")
		},
		want: "pod tolerations not the spec's",
	},
	{
		name: "pull policy not on the init container", step: step{On: "spec", Path: "imagePullPolicy", Value: "Always"},
		world:        func(w *world) { setPath(w.spec, "imagePullPolicy", "Always") },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			delete(first(d[statefulSetKey], "spec", "template", "spec", "initContainers"), "imagePullPolicy")
		},
		want: "container imagePullPolicy not the spec's",
	},
	{
		name: "podLabels not applied", step: step{On: "spec", Path: "podLabels", Value: map[string]any{"tier": "files"}},
		world:        func(w *world) { setPath(w.spec, "podLabels", map[string]any{"tier": "files"}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			delete(getMap(d[statefulSetKey], "spec", "template", "metadata", "labels"), "tier")
		},
		want: "podLabels not on the pod",
	},
	{
		name: "podAnnotations not applied", step: step{On: "spec", Path: "podAnnotations", Value: map[string]any{"example.com/owner": "storage"}},
		world:        func(w *world) { setPath(w.spec, "podAnnotations", map[string]any{"example.com/owner": "storage"}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			delete(getMap(d[statefulSetKey], "spec", "template", "metadata", "annotations"), "example.com/owner")
		},
		want: "podAnnotations not on the pod",
	},
	{
		name: "a pod field moves the config hash", step: step{On: "spec", Path: "podAnnotations", Value: map[string]any{"example.com/owner": "storage"}},
		world:        func(w *world) { setPath(w.spec, "podAnnotations", map[string]any{"example.com/owner": "storage"}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			getMap(d[statefulSetKey], "spec", "template", "metadata", "annotations")[annotationConfigHash] = "0000"
		},
		want: "pod field moved the config hash: podAnnotations",
	},
	// Propagated labels.
	{
		name: "propagated label missing on a Service", step: step{On: "spec", Path: "propagateLabels", Value: []any{"team"}},
		world:        func(w *world) { setPath(w.spec, "propagateLabels", []any{"team"}) },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { delete(getMap(d["service-api"], "metadata", "labels"), "team") },
		want:         "propagated label missing",
	},
	{
		name: "propagated label missing on the database pods", step: step{On: "spec", Path: "propagateLabels", Value: []any{"team"}},
		world:        func(w *world) { setPath(w.spec, "propagateLabels", []any{"team"}) },
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { delete(getMap(d[clusterKey], "spec", "metadata", "labels"), "team") },
		want:         "propagated label missing",
	},
	{
		name: "an XR label not listed propagates", fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			getMap(d["config"], "metadata", "labels")["argocd.argoproj.io/instance"] = "files"
		},
		want: "XR label not listed in propagateLabels propagated",
	},
	// Restore into a new cluster.
	{
		name: "a live cluster's dataSource changed", step: step{On: "spec", Path: "percona.restore", Value: newerSpecEditValue("percona.restore", 1)},
		world:        func(w *world) { setPath(w.spec, "percona.restore", newerSpecEditValue("percona.restore", 1)) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.dataSource", map[string]any{"pgbackrest": map[string]any{"stanza": "db"}})
		},
		want: "live cluster's dataSource changed",
	},
	{
		name: "a restore on a live cluster not warned about", step: step{On: "spec", Path: "percona.restore", Value: newerSpecEditValue("percona.restore", 1)},
		world:        func(w *world) { setPath(w.spec, "percona.restore", newerSpecEditValue("percona.restore", 1)) },
		fromFunction: true,
		breakResponse: func(rsp *fnv1.RunFunctionResponse) {
			rsp.Results = slices.DeleteFunc(rsp.GetResults(), func(r *fnv1.Result) bool { return r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING })
		},
		want: "restore changed on a live cluster without a warning",
	},
	{
		name: "a new cluster without the restore's dataSource", step: step{On: "observed", Path: "xr", Value: "recreated"},
		world: func(w *world) {
			setPath(w.spec, "percona.restore", newerSpecEditValue("percona.restore", 1))
			w.recreate()
		},
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { setPath(d[clusterKey], "spec.dataSource", nil) },
		want:         "new cluster under a restore without its dataSource",
	},
	// In-place recovery.
	{
		name: "DittoFS started while a restore is in flight", step: recoveryStep, world: restoreInFlight, fromFunction: true,
		breakIt: func(d map[string]map[string]any) { setPath(d[statefulSetKey], "spec.replicas", 1.0) },
		want:    "DittoFS not stopped while a restore is in flight",
	},
	{
		name: "a PerconaPGRestore dropped", step: recoveryStep, world: restoreInFlight, fromFunction: true,
		breakIt: func(d map[string]map[string]any) { delete(d, recoveryKeyPrefix+"before-import") },
		want:    "dropped a PerconaPGRestore",
	},
	{
		name: "a second restore beside one in flight", step: step{On: "spec", Path: "percona.recovery", Value: map[string]any{"id": "second", "pointInTime": "2026-12-01T09:30:00Z"}},
		world: func(w *world) {
			restoreInFlight(w)
			setPath(w.spec, "percona.recovery", map[string]any{"id": "second", "pointInTime": "2026-12-01T09:30:00Z"})
		},
		fromFunction: true,
		breakIt:      func(d map[string]map[string]any) { d[recoveryKeyPrefix+"second"] = recoveryRestore("") },
		want:         "a second PerconaPGRestore while one is in flight",
	},
	{
		name: "a restore composed while DittoFS runs", step: recoveryStep, fromFunction: true,
		world: func(w *world) {
			setPath(w.spec, "percona.recovery", map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z"})
		},
		breakIt: func(d map[string]map[string]any) { d[recoveryKeyPrefix+"before-import"] = recoveryRestore("") },
		want:    "PerconaPGRestore composed before DittoFS was observed stopped",
	},
	{
		name: "an id restores twice", step: recoveryStep, fromFunction: true,
		world: func(w *world) {
			setPath(w.spec, "percona.recovery", map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z"})
			setPath(w.observed[statefulSetKey], "spec.replicas", 0.0)
			w.refreshStatus()
			// It ran and succeeded; then someone deleted it.
			w.newer.ended[w.uid+"/before-import"] = true
			setPath(w.xrStatus, "database.restore.recovery", map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z", "state": "Succeeded"})
		},
		breakIt: func(d map[string]map[string]any) { d[recoveryKeyPrefix+"before-import"] = recoveryRestore("") },
		want:    "a recovery id composed a second PerconaPGRestore",
	},
	// The S3 CA and the repository's encryption.
	{
		name: "CA not projected", step: step{On: "spec", Path: "percona.backup.caSecretRef", Value: map[string]any{"name": caSecretName}},
		world:        func(w *world) { setPath(w.spec, "percona.backup.caSecretRef", map[string]any{"name": caSecretName}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			c := getMap(d[clusterKey], "spec", "backups", "pgbackrest")
			c["configuration"] = asSlice(c["configuration"])[:1]
		},
		want: "CA projection not the spec's caSecretRef",
	},
	{
		name: "CA file not set", step: step{On: "spec", Path: "percona.backup.caSecretRef", Value: map[string]any{"name": caSecretName}},
		world:        func(w *world) { setPath(w.spec, "percona.backup.caSecretRef", map[string]any{"name": caSecretName}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			delete(getMap(d[clusterKey], "spec", "backups", "pgbackrest", "global"), caFileOption)
		},
		want: "repo1-storage-ca-file not the spec's caSecretRef",
	},
	{
		name: "backups rebuilt without the CA", step: step{On: "spec", Path: "percona.backup.caSecretRef", Value: map[string]any{"name": "absent-ca"}},
		world:        func(w *world) { setPath(w.spec, "percona.backup.caSecretRef", map[string]any{"name": "absent-ca"}) },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.global."+caFileOption, caFilePath)
		},
		want: "backups block not kept while the CA cannot be read",
	},
	{
		name: "encrypted: passphrase in the cluster's spec", fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.global.repo1-cipher-pass", "the-passphrase")
		},
		want: "passphrase in the cluster's spec",
	},
	{
		name: "encrypted: cipher Secret dropped", fromFunction: true,
		breakIt: func(d map[string]map[string]any) { delete(d, cipherKey) },
		want:    "dropped " + cipherKey,
	},
	{
		name: "encrypted: cipher Secret rewritten", fromFunction: true,
		breakIt: func(d map[string]map[string]any) { getMap(d[cipherKey], "data")["cipher.conf"] = "W2dsb2JhbF0K" },
		want:    "value changed " + cipherKey,
	},
	{
		name: "a repository's encryption changed",
		breakIt: func(d map[string]map[string]any) {
			setPath(d[clusterKey], "spec.backups.pgbackrest.global."+cipherTypeOption, "aes-256-cbc")
		},
		want: "repository's encryption changed",
	},
	// The declared file service.
	{
		name: "file service not rendered", step: step{On: "spec", Path: "fileService", Value: "declare"},
		world: func(w *world) { w.fileServiceOp("declare") }, fromFunction: true,
		breakIt: func(d map[string]map[string]any) { delete(d, fileServiceKey) },
		want:    "declared file service not rendered",
	},
	{
		name: "a share not rendered", step: step{On: "spec", Path: "fileService", Value: "add-share"},
		world: func(w *world) { w.fileServiceOp("add-share") }, fromFunction: true,
		breakIt: func(d map[string]map[string]any) { getMap(d[fileServiceKey], "data")["config.yaml"] = "{}\n" },
		want:    "declared shares not in the fileservice ConfigMap",
	},
	{
		name: "a file service ConfigMap without a declaration", fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			d[fileServiceKey] = map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": xrName + "-fileservice"}}
		},
		want: "fileservice ConfigMap without a declaration",
	},
	{
		name: "a file service edit moves the config hash", step: step{On: "spec", Path: "fileService", Value: "add-share"},
		world: func(w *world) { w.fileServiceOp("add-share") }, fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			getMap(d[statefulSetKey], "spec", "template", "metadata", "annotations")[annotationConfigHash] = "0000"
		},
		want: "config hash moved: fileService",
	},
	{
		name: "a file service edit rolls the reconciler", step: step{On: "spec", Path: "fileService", Value: "add-share"},
		applied: func(w *world) {
			setPath(w.input, "images.reconciler", reconcilerImage)
			w.fileServiceOp("declare")
		},
		world:        func(w *world) { w.fileServiceOp("add-share") },
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			for _, c := range asSlice(get(d[statefulSetKey], "spec", "template", "spec", "containers")) {
				if c := c.(map[string]any); c["name"] == reconcilerName {
					c["args"] = append(asSlice(c["args"]), "--verbose")
				}
			}
		},
		want: "DittoFS rolled: fileService",
	},
	{
		name: "a file service edit rolls DittoFS", step: step{On: "spec", Path: "fileService", Value: "add-user"},
		world: func(w *world) {
			setPath(w.input, "images.reconciler", reconcilerImage)
			w.fileServiceOp("add-user")
		},
		fromFunction: true,
		breakIt: func(d map[string]map[string]any) {
			c := first(d[statefulSetKey], "spec", "template", "spec", "containers")
			c["env"] = append(asSlice(c["env"]), map[string]any{"name": "DECLARED", "value": "1"})
		},
		want: "DittoFS rolled: fileService",
	},
}

// recoveryStep asks for the recovery the recovery cases run.
var recoveryStep = step{On: "spec", Path: "percona.recovery", Value: map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z"}}

// newerSpecEditValue is the i-th value the generator tries for path, a copy.
func newerSpecEditValue(path string, i int) any {
	for _, e := range newerSpecEdits {
		if e.path == path {
			return deepCopyValue(e.values[i])
		}
	}
	panic("no edit of " + path)
}

// restoreInFlight: a recovery whose PerconaPGRestore runs, DittoFS stopped
// for it.
func restoreInFlight(w *world) {
	setPath(w.spec, "percona.recovery", map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z"})
	setPath(w.observed[statefulSetKey], "spec.replicas", 0.0)
	w.observed[recoveryKeyPrefix+"before-import"] = recoveryRestore("Running")
	w.refreshStatus()
}

func recoveryRestore(state string) map[string]any {
	r := map[string]any{
		"apiVersion": "pgv2.percona.com/v2", "kind": "PerconaPGRestore",
		"metadata": map[string]any{"name": xrName + "-recovery-before-import", "namespace": xrNamespace},
		"spec":     map[string]any{"pgCluster": xrName + "-postgres", "repoName": "repo1", "options": []any{"--type=time", `--target="2026-12-01 09:00:00+00"`}},
	}
	if state != "" {
		r["status"] = map[string]any{"state": state}
	}
	return r
}

// TestNewerRefusalsCatch: each refusal of the newer fields is asked of the
// step that makes it (an applied response is then reported), and a
// share the server declares, removed, is refused (the file service removed
// whole, or the share with its removal authorized, is applied).
func TestNewerRefusalsCatch(t *testing.T) {
	steady := newWorld(t)
	encrypted := encryptedStart(t, steady)
	spec := func(path string, v any) step { return step{On: "spec", Path: path, Value: v} }
	for _, tc := range []struct {
		name  string
		start *world
		steps []step // the last is the one checked
		want  string
	}{
		{"source ranges on a ClusterIP Service", steady, []step{spec("service.loadBalancerSourceRanges", []any{"203.0.113.0/24"})}, "spec.service.loadBalancerSourceRanges"},
		{"source ranges that are no CIDR", steady, []step{spec("adapterServices.loadBalancerSourceRanges", []any{"203.0.113.0/33"})}, "spec.adapterServices.loadBalancerSourceRanges"},
		{"type moved under source ranges", steady, []step{spec("adapterServices.loadBalancerSourceRanges", []any{"203.0.113.0/24"}), spec("adapterServices.type", "NodePort")}, "spec.adapterServices.loadBalancerSourceRanges"},
		{"traffic policy on a ClusterIP Service", steady, []step{spec("service.externalTrafficPolicy", "Local")}, "spec.service.externalTrafficPolicy"},
		{"traffic policy not in the enum", steady, []step{spec("adapterServices.externalTrafficPolicy", "Sideways")}, "spec.adapterServices.externalTrafficPolicy"},
		{"the function's pod label", steady, []step{spec("podLabels", map[string]any{"app.kubernetes.io/name": "other"})}, "spec.podLabels"},
		{"a dittofs.io annotation", steady, []step{spec("podAnnotations", map[string]any{"dittofs.io/config-hash": "0"})}, "spec.podAnnotations"},
		{"a pull policy not in the enum", steady, []step{spec("imagePullPolicy", "Sometimes")}, "spec.imagePullPolicy"},
		{"a node selector value", steady, []step{spec("nodeSelector", map[string]any{"disktype": "not a value!"})}, "spec.nodeSelector"},
		{"a priority class name", steady, []step{spec("priorityClassName", "Not_A_Name")}, "spec.priorityClassName"},
		{"a pull Secret name", steady, []step{spec("imagePullSecrets", []any{map[string]any{"name": "Bad_Name"}})}, "spec.imagePullSecrets"},
		{"Crossplane's label propagated", steady, []step{spec("propagateLabels", []any{"crossplane.io/composite"})}, "spec.propagateLabels"},
		{"restore from itself", steady, []step{spec("percona.restore", map[string]any{"from": map[string]any{"dittoServer": xrName}})}, "spec.percona.restore"},
		{"recovery without backups", steady, []step{spec("percona.backup.authorizeRemoval", true), spec("percona.backup.enabled", false), spec("percona.recovery", map[string]any{"id": "a", "pointInTime": "2026-12-01T09:00:00Z"})}, "spec.percona.recovery"},
		{"recovery id", steady, []step{spec("percona.recovery", map[string]any{"id": "Bad_ID", "pointInTime": "2026-12-01T09:00:00Z"})}, "spec.percona.recovery.id"},
		{"recovery time", steady, []step{spec("percona.recovery", map[string]any{"id": "a", "pointInTime": "yesterday"})}, "spec.percona.recovery.pointInTime"},
		{"encryption added to a live repository", steady, []step{spec("percona.backup.encryption", map[string]any{"passphraseSecretRef": map[string]any{"name": passphraseSecretName}})}, "spec.percona.backup.encryption"},
		{"encryption removed from a live repository", encrypted, []step{spec("percona.backup.encryption", nil)}, "spec.percona.backup.encryption"},
		{"another passphrase", encrypted, []step{{On: "observed", Path: "passphrase", Value: "changed"}}, "spec.percona.backup.encryption.passphraseSecretRef"},
		{"a share on an unknown store", steady, []step{spec("fileService", "add-share-unknown-store")}, "spec.fileService"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.start.clone()
			last := tc.steps[len(tc.steps)-1]
			for _, s := range tc.steps[:len(tc.steps)-1] {
				w.change(s)
			}
			before := w.clone()
			w.change(last)
			e := expect(before, w, last)
			if !slices.Contains(e.refuse, tc.want) {
				t.Fatalf("%s must be refused; expect says %+v", tc.want, e)
			}
			applied := iteration{req: w.request(), rsp: &fnv1.RunFunctionResponse{}, desired: map[string]map[string]any{}}
			for k, o := range w.observed {
				applied.desired[k] = o
			}
			if got := rules(checkOutcome(w, last, e, applied)); !slices.Contains(got, "no Fatal refusing "+tc.want) {
				t.Errorf("applied: rules reported %q, want %q", got, "no Fatal refusing "+tc.want)
			}
			fatal := &fnv1.RunFunctionResponse{}
			response.Fatal(fatal, stringError(tc.want+": Forbidden: no"))
			if got := rules(checkOutcome(w, last, e, iteration{req: w.request(), rsp: fatal})); len(got) > 0 {
				t.Errorf("the right Fatal: rules reported %q", got)
			}
		})
	}
	t.Run("encryption added to a plain repository after backups off and on is refused", func(t *testing.T) {
		f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("plain"))
		w := steady.clone()
		for _, s := range []step{
			// Re-created, the XR's cluster keeps its repository at the
			// path backups go on at again (the steady world's predates
			// its UID).
			{On: "observed", Path: "xr", Value: "recreated"},
			spec("percona.backup.authorizeRemoval", true), spec("percona.backup.enabled", false),
			spec("percona.backup.encryption", map[string]any{"passphraseSecretRef": map[string]any{"name": passphraseSecretName}}),
		} {
			if vs, outcome := w.step(t, f, s); len(vs) > 0 || outcome != "applied" {
				t.Fatalf("%s: %s, %v", s.Path, outcome, vs)
			}
		}
		on := spec("percona.backup.enabled", true)
		before, after := w.clone(), w.clone()
		after.change(on)
		if e := expect(before, after, on); !slices.Contains(e.refuse, "spec.percona.backup.encryption") {
			t.Errorf("backups on again with encryption: expect says %+v, want spec.percona.backup.encryption refused", e)
		}
		if vs, outcome := w.step(t, f, on); len(vs) > 0 || !strings.Contains(outcome, "spec.percona.backup.encryption") {
			t.Errorf("backups on again with encryption through the function: %s, %v", outcome, vs)
		}
	})
	t.Run("a declared share removed is refused; authorized, or the file service undeclared, it is applied", func(t *testing.T) {
		f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("removal"))
		w := steady.clone()
		if vs, outcome := w.step(t, f, spec("fileService", "add-share")); len(vs) > 0 || outcome != "applied" {
			t.Fatalf("declaring a share: %s, %v", outcome, vs)
		}
		for _, tc := range []struct {
			op      string
			refused bool
		}{{"remove-share", true}, {"remove-share-authorized", false}, {"undeclare", false}} {
			before := w.clone()
			after := w.clone()
			s := spec("fileService", tc.op)
			after.change(s)
			e := expect(before, after, s)
			if got := slices.Contains(e.refuse, "spec.fileService"); got != tc.refused {
				t.Errorf("%s: spec.fileService refused = %v, want %v (expect says %+v)", tc.op, got, tc.refused, e)
			}
			if vs, _ := w.clone().step(t, f, s); len(vs) > 0 {
				t.Errorf("%s through the function: %v", tc.op, vs)
			}
		}
		// An authorized removal applied, the name still listed is refused
		// when it is declared again.
		if vs, outcome := w.step(t, f, spec("fileService", "remove-share-authorized")); len(vs) > 0 || outcome != "applied" {
			t.Fatalf("remove-share-authorized: %s, %v", outcome, vs)
		}
		if vs, outcome := w.step(t, f, spec("fileService", "redeclare-authorized")); len(vs) > 0 || !strings.Contains(outcome, "spec.fileService.authorizeRemoval") {
			t.Errorf("redeclare-authorized: %s, %v; want a Fatal naming spec.fileService.authorizeRemoval", outcome, vs)
		}
	})
}
