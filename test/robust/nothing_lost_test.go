package robust

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
)

// features is what one generated spec turns on. The rest of the spec is the
// steady-state example's (example/percona-running).
type features struct {
	Percona, Backup, Metrics, ServiceMonitor, NFS, SMB bool
}

// removable says whether the spec removed the feature of an observed
// composed object, so that dropping the object is safe: Services, monitors
// and Usages hold no data, and <xr>-pgbackrest-s3 is derived from the
// user's credentials Secret, which stays. The generated Secrets, the config,
// the StatefulSet and the PerconaPGCluster are never removable: losing them
// loses data (or the live server), so a spec that would drop them must get
// a Fatal result.
func (f features) removable(key string) bool {
	switch key {
	case "service-metrics":
		return !f.Metrics
	case "servicemonitor":
		return !f.Metrics || !f.ServiceMonitor
	case "service-nfs":
		return !f.NFS
	case "service-smb":
		return !f.SMB
	case "usage-statefulset-database":
		return !f.Percona
	case "usage-database-s3-credentials", "pgbackrest-s3-secret":
		return !f.Percona || !f.Backup
	}
	return false
}

// TestNothingLost generates observed states (random subsets of the steady
// state's composed objects, random Percona and StatefulSet states, the
// credentials Secret present, missing, invalid or not fetched yet, schemas
// answered or not) and specs that turn features off, and checks that no
// observed object goes missing from the desired state unless its feature
// was removed and removing it is safe, and that the generated Secrets keep
// their values.
func TestNothingLost(t *testing.T) {
	runs := 2000
	if testing.Short() {
		runs = 200
	}
	base := steadyRequest(t, "percona-running")
	universe := observedUniverse(t, base)
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("nothing-lost"))
	rng := rand.New(rand.NewPCG(7, 11))
	violations := map[string]string{} // one example per kind of violation
	for range runs {
		feat := randomFeatures(rng)
		req, state := randomRequest(t, base, universe, feat, rng)
		rsp := run(t, f, req)
		for _, v := range checkNothingLost(req, rsp, feat) {
			if _, seen := violations[v]; !seen {
				violations[v] = fmt.Sprintf("%+v; %s", feat, state)
			}
		}
	}
	for v, example := range violations {
		t.Errorf("%s\n\tfirst seen with %s", v, example)
	}
}

// checkNothingLost returns what rsp lost or refused wrongly.
func checkNothingLost(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, feat features) []string {
	observed := req.GetObserved().GetResources()
	// The steady state's cluster backs up to a repository: turning backups
	// off under it without authorizeRemoval must be refused.
	backupsOff := feat.Percona && !feat.Backup && observed["percona-cluster"] != nil
	if msg := fatalMessage(rsp); msg != "" {
		// Only turning Percona or backups off under a live server may be
		// refused; a transient condition never is.
		if backupsOff {
			if !strings.Contains(msg, "spec.percona.backup.enabled") {
				return []string{"Fatal result for turning backups off does not name spec.percona.backup.enabled: " + firstLine(msg)}
			}
			return nil
		}
		if feat.Percona {
			return []string{"Fatal result without an unsafe spec change: " + firstLine(msg)}
		}
		if !strings.Contains(msg, "spec.percona.enabled") && !strings.Contains(msg, "spec.database") {
			return []string{"Fatal result for turning Percona off names neither spec.percona.enabled nor spec.database: " + firstLine(msg)}
		}
		return nil
	}
	var out []string
	if !feat.Percona && observed["percona-cluster"] != nil {
		out = append(out, "turning Percona off under an observed PerconaPGCluster got no Fatal result")
	}
	if backupsOff {
		out = append(out, "turning backups off under a PerconaPGCluster with a repository got no Fatal result")
	}
	desired := rsp.GetDesired().GetResources()
	for key := range observed {
		if desired[key] == nil && !feat.removable(key) {
			out = append(out, fmt.Sprintf("observed %s is missing from the desired state", key))
		}
	}
	for _, key := range []string{"jwt-secret", "admin-secret"} {
		was := observed[key].GetResource().GetFields()["data"]
		now := desired[key].GetResource().GetFields()["data"]
		if was != nil && now != nil && !proto.Equal(was, now) {
			out = append(out, fmt.Sprintf("the value of the observed %s changed", key))
		}
	}
	slices.Sort(out)
	return out
}

// observedUniverse is every composed object the steady state can have: the
// example's observed objects, plus the metrics Service and ServiceMonitor as
// the function composes them with metrics on.
func observedUniverse(t *testing.T, base *fnv1.RunFunctionRequest) map[string]*fnv1.Resource {
	t.Helper()
	all := features{Percona: true, Backup: true, Metrics: true, ServiceMonitor: true, NFS: true, SMB: true}
	req := proto.Clone(base).(*fnv1.RunFunctionRequest)
	setSpec(t, req, all)
	rsp := run(t, fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("universe")), req)
	if msg := fatalMessage(rsp); msg != "" {
		t.Fatalf("everything on: %s", msg)
	}
	universe := map[string]*fnv1.Resource{}
	for k, r := range base.GetObserved().GetResources() {
		universe[k] = r
	}
	for k, r := range rsp.GetDesired().GetResources() {
		if universe[k] == nil {
			universe[k] = &fnv1.Resource{Resource: r.GetResource()}
		}
	}
	for _, want := range []string{"service-metrics", "servicemonitor", "percona-cluster", "statefulset", "jwt-secret", "pgbackrest-s3-secret"} {
		if universe[want] == nil {
			t.Fatalf("the steady state has no %s; the generator needs it", want)
		}
	}
	return universe
}

func randomFeatures(rng *rand.Rand) features {
	return features{
		Percona:        rng.IntN(10) > 0,
		Backup:         rng.IntN(4) > 0,
		Metrics:        rng.IntN(2) > 0,
		ServiceMonitor: rng.IntN(2) > 0,
		NFS:            rng.IntN(3) > 0,
		SMB:            rng.IntN(3) > 0,
	}
}

// randomRequest builds one generated request and describes what it chose.
func randomRequest(t *testing.T, base *fnv1.RunFunctionRequest, universe map[string]*fnv1.Resource, feat features, rng *rand.Rand) (*fnv1.RunFunctionRequest, string) {
	t.Helper()
	req := proto.Clone(base).(*fnv1.RunFunctionRequest)
	setSpec(t, req, feat)
	req.Observed.Resources = map[string]*fnv1.Resource{}
	var kept []string
	all := rng.IntN(4) == 0
	for _, k := range sortedKeys(universe) {
		if all || rng.IntN(5) < 3 {
			req.Observed.Resources[k] = proto.Clone(universe[k]).(*fnv1.Resource)
			kept = append(kept, k)
		}
	}
	var state []string
	if c := req.GetObserved().GetResources()["percona-cluster"]; c != nil {
		state = append(state, "percona "+randomPerconaStatus(c.GetResource(), rng))
	}
	if s := req.GetObserved().GetResources()["statefulset"]; s != nil {
		state = append(state, "statefulset "+randomStatefulSetStatus(s.GetResource(), rng))
	}
	state = append(state, "credentials "+randomCredentials(req, rng))
	if rng.IntN(5) == 0 {
		req.RequiredSchemas = nil
		state = append(state, "schemas unresolved")
	}
	return req, fmt.Sprintf("observed %v; %s", kept, strings.Join(state, "; "))
}

func randomPerconaStatus(o *structpb.Struct, rng *rand.Rand) string {
	states := []string{"", "initializing", "ready", "paused", "stopping", "error"}
	st := states[rng.IntN(len(states))]
	gen := o.GetFields()["metadata"].GetStructValue().GetFields()["generation"].GetNumberValue()
	observedGen := []float64{gen, gen - 1, 0, gen + 1}[rng.IntN(4)]
	backup := []string{"True", "False", ""}[rng.IntN(3)]
	if rng.IntN(6) == 0 {
		delete(o.GetFields(), "status")
		return "without status"
	}
	status := map[string]any{"state": st, "observedGeneration": observedGen}
	if backup != "" {
		status["conditions"] = []any{map[string]any{"type": "ReadyForBackup", "status": backup, "reason": "Test"}}
	}
	o.Fields["status"] = mustValue(status)
	return fmt.Sprintf("state %q observedGeneration %v ReadyForBackup %q", st, observedGen, backup)
}

func randomStatefulSetStatus(o *structpb.Struct, rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		delete(o.GetFields(), "status")
		return "without status"
	}
	ready := float64(rng.IntN(2))
	o.Fields["status"] = mustValue(map[string]any{"replicas": 1, "readyReplicas": ready, "updatedReplicas": ready, "observedGeneration": 1})
	return fmt.Sprintf("readyReplicas %v", ready)
}

// randomCredentials makes the S3 credentials Secret present, missing,
// invalid (no keys) or not fetched yet.
func randomCredentials(req *fnv1.RunFunctionRequest, rng *rand.Rand) string {
	switch rng.IntN(4) {
	case 0:
		return "present"
	case 1:
		req.RequiredResources["s3-credentials"] = &fnv1.Resources{}
		return "missing"
	case 2:
		item := proto.Clone(req.GetRequiredResources()["s3-credentials"].GetItems()[0]).(*fnv1.Resource)
		delete(item.GetResource().GetFields(), "data")
		delete(item.GetResource().GetFields(), "stringData")
		req.RequiredResources["s3-credentials"] = &fnv1.Resources{Items: []*fnv1.Resource{item}}
		return "without keys"
	default:
		delete(req.GetRequiredResources(), "s3-credentials")
		return "not fetched yet"
	}
}

// setSpec turns the XR's features on and off.
func setSpec(t *testing.T, req *fnv1.RunFunctionRequest, f features) {
	t.Helper()
	xr := req.GetObserved().GetComposite().GetResource().AsMap()
	spec := xr["spec"].(map[string]any)
	percona := spec["percona"].(map[string]any)
	percona["enabled"] = f.Percona
	percona["backup"].(map[string]any)["enabled"] = f.Backup
	spec["metrics"] = map[string]any{"enabled": f.Metrics, "serviceMonitor": map[string]any{"enabled": f.ServiceMonitor}}
	spec["adapters"] = map[string]any{"nfs": map[string]any{"enabled": f.NFS}, "smb": map[string]any{"enabled": f.SMB}}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		t.Fatal(err)
	}
	req.Observed.Composite.Resource = s
}

func mustValue(v any) *structpb.Value {
	out, err := structpb.NewValue(v)
	if err != nil {
		panic(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstLine(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
