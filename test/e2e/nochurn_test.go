package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// noChurn: once everything is ready, further reconciles change nothing.
// Crossplane applies the whole desired state on every reconcile, and the
// Percona operator and the API server default fields of their own; a field
// that two managers fight over shows as a new metadata.generation (of the
// PerconaPGCluster, the StatefulSet, a Service, the NetworkPolicy, a Usage)
// or new data in a Secret or ConfigMap. Each reconcile is started by a
// change of an annotation on the XR (a watch event, as a poll would be, but
// without waiting a poll interval) and confirmed by a new call of the
// function in its log; then the objects are compared with what they were.
func (e *env) noChurn(t *testing.T) {
	defer e.sub(t)()
	const reconciles = 3
	before := e.churnState("files")
	calls := e.functionCalls()
	for i := range reconciles {
		if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, "files",
			fmt.Sprintf(`{"metadata":{"annotations":{"e2e.dittofs.io/nudge":"%d"}}}`, i)); err != nil {
			t.Fatal(err)
		}
		// Up to three minutes: after the rotation step's burst of events,
		// Crossplane's per-XR watch circuit breaker may hold watch-started
		// reconciles back until its poll comes round.
		e.eventually(fmt.Sprintf("reconcile %d calls the function", i+1), 3*time.Minute, func() error {
			if n := e.functionCalls(); n <= calls {
				return fmt.Errorf("%d calls, want more than %d", n, calls)
			}
			return nil
		})
		calls = e.functionCalls()
		e.synced(xrAPI, "DittoServer", ns, "files")
	}
	// Crossplane applies the desired objects one by one after the call.
	time.Sleep(3 * time.Second)
	e.unchangedSince(t, before, fmt.Sprintf("%d reconciles of a ready XR", reconciles))

	// Reconciles of the XR with nothing changed (Crossplane requeues it
	// after the response's TTL, a minute) send the function the request it
	// answered last time, and the server answers from its response cache,
	// as it does by default: the composed objects stay as they are.
	hits := e.functionCacheHits()
	e.eventually("a reconcile answered from the response cache", 3*time.Minute, func() error {
		if n := e.functionCacheHits(); n <= hits {
			return fmt.Errorf("%d answers from the cache, want more than %d", n, hits)
		}
		return nil
	})
	time.Sleep(3 * time.Second)
	e.unchangedSince(t, before, "reconciles answered from the response cache")
	t.Logf("%d calls for the XR composed, %d answered from the response cache", e.functionCalls(), e.functionCacheHits())
}

// unchangedSince fails t if a composed object of XR files is new, gone, or
// has a new generation or data since before.
func (e *env) unchangedSince(t *testing.T, before map[string]churnState, what string) {
	t.Helper()
	after := e.churnState("files")
	var changed []string
	for k, b := range before {
		a, ok := after[k]
		switch {
		case !ok:
			changed = append(changed, k+": gone")
		case a.generation != b.generation:
			changed = append(changed, fmt.Sprintf("%s: generation %d -> %d; spec now %s", k, b.generation, a.generation, a.spec))
		case a.data != b.data:
			changed = append(changed, k+": data changed")
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			changed = append(changed, k+": new")
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("%s changed composed objects:\n%s", what, strings.Join(changed, "\n"))
	}
	t.Logf("%s: %d composed objects, none changed", what, len(after))
}

type churnState struct {
	generation int64
	data       string // a digest of a Secret's or ConfigMap's data
	spec       string // the spec, to say what changed
}

func (e *env) churnState(name string) map[string]churnState {
	out := map[string]churnState{}
	for _, o := range e.composed(name) {
		s := churnState{generation: o.GetGeneration()}
		for _, f := range []string{"data", "binaryData", "stringData"} {
			if v, ok := o.Object[f]; ok {
				b, err := json.Marshal(v)
				if err != nil {
					e.t.Fatal(err)
				}
				s.data += fmt.Sprintf("%s=%x;", f, sha256.Sum256(b))
			}
		}
		if spec, ok := o.Object["spec"]; ok {
			b, err := json.Marshal(spec)
			if err != nil {
				e.t.Fatal(err)
			}
			s.spec = string(b)
		}
		out[o.GetKind()+"/"+o.GetName()] = s
	}
	return out
}

// functionCalls counts the function's "composed" debug lines for the XR
// files in its log: one per RunFunction call that composed.
func (e *env) functionCalls() int { return e.functionLogLines("composed") }

// functionCacheHits counts the calls for XR files the function answered
// from its response cache.
func (e *env) functionCacheHits() int { return e.functionLogLines("answered from the response cache") }

// functionLogLines counts the function's debug log lines for XR files that
// hold what.
func (e *env) functionLogLines(what string) int {
	b, err := os.ReadFile(filepath.Join(e.dir, "logs", "function-dittofs.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(line, []byte(what)) && bytes.Contains(line, []byte(`"xr": "files"`)) {
			n++
		}
	}
	return n
}
