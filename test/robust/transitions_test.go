package robust

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"

	"github.com/dittofs/function-dittofs/fn"
)

// The transition property test: random sequences of steps (spec
// edits, Input edits, changes of the observed world) over the steady-state
// example, each ended by a reconcile whose desired state becomes the next
// observed state, checked against the day-2 rules after every step
// (transitions_rules_test.go). A failure prints the seed and a shrunk,
// minimal sequence that reproduces it.
//
//	go test ./test/robust -run 'TestTransitions$'                          # 2,000 steps
//	go test -timeout 30m ./test/robust -run 'TestTransitions$' -transition.steps=20000
//	go test ./test/robust -run 'TestTransitions$' -transition.seed=7 -transition.sequence=12 -v
//
// (The package comes before the -transition flags: go test hands what
// follows the first flag it does not know to the test binary.)
var (
	transitionSteps    = flag.Int("transition.steps", 0, "steps the transition test runs (default 2000, 300 with -short)")
	transitionSeed     = flag.Uint64("transition.seed", 1, "seed of the transition test's sequences")
	transitionLength   = flag.Int("transition.length", defaultLength, "steps per sequence of the transition test")
	transitionSequence = flag.Int("transition.sequence", -1, "run only this sequence of the transition test, logging every step")
)

// knownHoles are the violations the current code has, each with the change
// that fixes it. The test logs them instead of failing, and fails
// when one is no longer found: remove its entry when the fix merges. Never
// add an entry to make the test pass: an entry is a known bug.
//
// A key is a rule (violation.rule): what broke, and for a change that must
// apply, which class of step it was.
var knownHoles = map[string]knownHole{}

// A knownHole is the fix that closes it, and how many steps of seed 1 find
// it (some only a longer run does).
type knownHole struct {
	fix   string
	steps int
}

// defaultSteps is what make test runs (fewer with -short), in sequences of
// defaultLength steps.
const defaultSteps, shortSteps, defaultLength = 2000, 300, 20

// A finding is the shortest way a run found to break one rule.
type finding struct {
	kind     string
	detail   string
	index    int    // the sequence's index
	start    *world // where it started
	sequence []step
}

// TestTransitions runs the sequences, reports every rule broken (with a
// minimal sequence), and fails on any not in knownHoles.
func TestTransitions(t *testing.T) {
	steps := *transitionSteps
	if steps <= 0 {
		steps = defaultSteps
		if testing.Short() {
			steps = shortSteps
		}
	}
	length, seed := max(*transitionLength, 1), *transitionSeed
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("transitions"))
	starts := startWorlds(t)

	began := time.Now()
	found := map[string]*finding{}
	ran, reconciles := 0, 0
	for i := 0; ran < steps; i++ {
		if *transitionSequence >= 0 && i != *transitionSequence {
			if i > *transitionSequence {
				break
			}
			continue
		}
		seq, start := randomSequence(seed, uint64(i), length), starts[i%len(starts)]
		for _, v := range replay(t, f, start, seq, &reconciles, *transitionSequence >= 0) {
			// The shortest way there is the one to shrink.
			if fd := found[v.kind]; fd == nil || v.at+1 < len(fd.sequence) {
				found[v.kind] = &finding{kind: v.kind, detail: v.detail, index: i, start: start, sequence: seq[:v.at+1]}
			}
		}
		ran += len(seq)
	}
	searched := time.Since(began)

	began = time.Now()
	for _, kind := range sortedMapKeys(found) {
		fd := found[kind]
		_, known := knownHoles[kind]
		minimal, detail := fd.sequence, fd.detail
		// -short stays fast: it shrinks only what fails.
		if !known || !testing.Short() {
			minimal, detail = shrink(t, f, fd.start, fd.sequence, kind)
		}
		report := fmt.Sprintf("%s\n\t%s\n\tin sequence %d of seed %d (go test ./test/robust -run 'TestTransitions$' -transition.seed=%d -transition.length=%d -transition.sequence=%d -v);\n\ta minimal sequence from %s:\n%s",
			kind, detail, fd.index, seed, seed, length, fd.index, fd.start.name, formatSequence(minimal))
		if hole, known := knownHoles[kind]; known {
			t.Logf("known hole (%s): %s", hole.fix, report)
		} else {
			t.Errorf("%s", report)
		}
	}
	// Only a run as long as the one that found a hole can say it is gone:
	// a shorter one may just not reach it.
	if length == defaultLength && seed == 1 && *transitionSequence < 0 {
		for _, kind := range sortedMapKeys(knownHoles) {
			if hole := knownHoles[kind]; found[kind] == nil && steps >= hole.steps {
				t.Errorf("known hole no longer found in %d steps, remove it from knownHoles: %s (%s)", steps, kind, hole.fix)
			}
		}
	}
	t.Logf("%d steps (%d sequences of %d, seed %d), %d reconciles in %v; shrinking %d findings took %v",
		ran, (ran+length-1)/length, length, seed, reconciles, searched.Round(time.Millisecond), len(found), time.Since(began).Round(time.Millisecond))
}

// A seen violation: its kind (the rule), and at which step.
type seen struct {
	kind, detail string
	at           int
}

// replay runs seq from a copy of start and returns every violation, in
// order, each kind once.
func replay(t testing.TB, f *fn.Function, start *world, seq []step, reconciles *int, verbose bool) []seen {
	t.Helper()
	w := start.clone()
	var out []seen
	kinds := map[string]bool{}
	for i, s := range seq {
		vs, outcome := w.step(t, f, s)
		*reconciles++
		if verbose {
			t.Logf("%2d. %s -> %s", i+1, s, outcome)
			for _, v := range vs {
				t.Logf("      %s: %s", v.rule, v.detail)
			}
		}
		for _, v := range vs {
			if !kinds[v.rule] {
				kinds[v.rule] = true
				out = append(out, seen{kind: v.rule, detail: v.detail, at: i})
			}
		}
	}
	return out
}

// step makes one change and reconciles. It returns the rules broken and
// what happened.
func (w *world) step(t testing.TB, f *fn.Function, s step) ([]violation, string) {
	t.Helper()
	before := w.clone()
	w.change(s)
	e := expect(before, w, s)
	its, stable := w.reconcile(t, f)
	last := its[len(its)-1]
	vs := checkOutcome(w, s, e, last)
	if !stable {
		vs = append(vs, violation{"requirements do not stabilize", fmt.Sprintf("after %d calls", len(its))})
	}
	// The calls before the last are not applied, but a function must be
	// safe before its requirements are met too (crossplane render without
	// required resources applies them). They come after the last call's,
	// so that a report shows the last call where both break a rule.
	for i, it := range its[:len(its)-1] {
		for _, v := range checkDesired(w, s, it) {
			v.detail = fmt.Sprintf("call %d of %d, before Crossplane met the requirements: %s", i+1, len(its), v.detail)
			vs = append(vs, v)
		}
	}
	msg := fatalMessage(last.rsp)
	outcome := "applied"
	if msg != "" {
		outcome = "Fatal: " + firstLine(msg)
	}
	if msg != "" {
		// Crossplane applies nothing after a Fatal. The user undoes a
		// refused edit; a change of the observed world stays.
		if s.On != "observed" {
			*w = *before
		}
		return vs, outcome
	}
	// Anything else Crossplane applies, whether it breaks a rule or not:
	// the next steps go on from what the function really did.
	w.apply(last)
	if len(vs) > 0 {
		outcome = "applied, breaking a rule"
	}
	return vs, outcome
}

// shrink makes seq as short as it can while it still breaks kind: it tries
// the shortest tail that does, then drops one step at a time while the rest
// still does, and cuts what follows the first step that breaks it. It returns the sequence and
// the violation's detail there.
func shrink(t testing.TB, f *fn.Function, start *world, seq []step, kind string) ([]step, string) {
	t.Helper()
	const budget = 400 // replays: enough for a sequence of 20 twice over
	detail := ""
	breaks := func(cand []step) (int, bool) {
		var n int
		for _, v := range replay(t, f, start, cand, &n, false) {
			if v.kind == kind {
				detail = v.detail
				return v.at, true
			}
		}
		return 0, false
	}
	at, ok := breaks(seq)
	if !ok {
		return seq, "(does not reproduce: the model is not deterministic)"
	}
	cur, replays := seq[:at+1], 1
	// Most holes need only the last few steps: try the shortest tails first.
	for n := 1; n < len(cur) && replays < budget; n++ {
		replays++
		if at, ok := breaks(cur[len(cur)-n:]); ok {
			cur = cur[len(cur)-n:][:at+1]
			break
		}
	}
	for changed := true; changed && replays < budget; {
		changed = false
		for i := len(cur) - 1; i >= 0 && replays < budget; i-- {
			cand := slices.Concat(cur[:i], cur[i+1:])
			replays++
			if len(cand) == 0 {
				continue
			}
			if at, ok := breaks(cand); ok {
				cur, changed = cand[:at+1], true
				i = min(i, len(cur))
			}
		}
	}
	breaks(cur) // the detail of the minimal sequence
	return cur, detail
}

func formatSequence(seq []step) string {
	var b strings.Builder
	for i, s := range seq {
		fmt.Fprintf(&b, "\t  %d. %s\n", i+1, s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func nopLogger() logging.Logger { return logging.NewNopLogger() }
