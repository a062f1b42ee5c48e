package robust

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A step is one change between two reconciles.
type step struct {
	// On is what changes: "spec" (the user edits the XR), "input" (the
	// platform team edits the Composition's Input) or "observed" (the
	// cluster changes under the XR).
	On string
	// Path is the field edited (dotted, under spec or the Input), or the
	// observed knob.
	Path string
	// Value is the new value; nil unsets the field.
	Value any
}

func (s step) String() string {
	v := "(unset)"
	if s.Value != nil {
		v = fmt.Sprintf("%v", s.Value)
	}
	switch s.On {
	case "spec":
		return fmt.Sprintf("spec.%s: %s", s.Path, v)
	case "input":
		return fmt.Sprintf("Input %s: %s", s.Path, v)
	}
	return fmt.Sprintf("observed %s: %s", s.Path, v)
}

// class is the step without the value where the value only says how much:
// violations are told apart by rule and class, so one hole is one entry in
// knownHoles however many values reach it.
func (s step) class() string {
	switch {
	case s.Value == nil:
		return s.On + " " + s.Path + " (unset)"
	case s.On == "observed":
		return fmt.Sprintf("observed %s=%v", s.Path, s.Value)
	}
	if b, ok := s.Value.(bool); ok {
		return fmt.Sprintf("%s %s=%v", s.On, s.Path, b)
	}
	if c := valueClass(s); c != "" {
		return fmt.Sprintf("%s %s (%s)", s.On, s.Path, c)
	}
	return s.On + " " + s.Path + " (set)"
}

// valueClass tells apart the values of one field that are different cases
// (an image of the key's major or of another one, a valid or invalid version).
func valueClass(s step) string {
	v := fmt.Sprint(s.Value)
	switch {
	case s.Path == "fileService":
		return v // the operation
	case s.On == "input" && strings.HasPrefix(s.Path, "images.postgres."):
		if imageMajor(v) != strings.TrimPrefix(s.Path, "images.postgres.") {
			return "another major"
		}
		return "same major"
	case s.On == "input" && s.Path == "crVersion":
		if !semver.MatchString(v) {
			return "not semver"
		}
		return "semver"
	case s.Path == "image" || s.Path == "images.dittofs":
		if imageMajor(v) != "0" {
			return "another major"
		}
		return "same major"
	case s.Path == "percona.backup.endpoint":
		if scheme, _, found := strings.Cut(v, "://"); found {
			return scheme
		}
		return "host"
	case s.Path == "replicas" || s.Path == "percona.replicas":
		if invalidReplicas(s.Path, s.Value) {
			return "out of range"
		}
		return "in range"
	}
	return ""
}

const (
	dittofsImage    = "docker.io/marmos91c/dittofs:"
	postgresImageAt = "docker.io/percona/percona-distribution-postgresql:"
	pgBackRestImage = "docker.io/percona/percona-pgbackrest:"
	s3Endpoint      = "s3.eu-west-1.amazonaws.com" // the example's
)

// specEdits are the fields a user edits on a live DittoServer, and the
// values tried; nil unsets the field (the function's default applies, or,
// for an object that exists, what it was created with).
var specEdits = []struct {
	path   string
	values []any
}{
	{"percona.enabled", []any{true, false}},
	{"percona.backup.enabled", []any{true, false}},
	{"percona.backup.authorizeRemoval", []any{true, nil}},
	{"percona.backup.onDemand", []any{"first", "second", nil}},
	{"storage.metadataSize", []any{"5Gi", "10Gi", "20Gi"}},
	{"storage.contentSize", []any{"50Gi", "100Gi", "200Gi", nil}},
	{"storage.controlPlaneSize", []any{"512Mi", "1Gi", "2Gi", nil}},
	{"storage.storageClassName", []any{"fast-ssd", "standard", nil}},
	{"percona.storageSize", []any{"10Gi", "20Gi", "40Gi", nil}},
	{"percona.storageClassName", []any{"fast-ssd", "standard", nil}},
	{"percona.postgresVersion", []any{16.0, 17.0, 18.0, nil}},
	{"percona.databaseName", []any{"dittofs", "files", nil}},
	{"replicas", []any{0.0, 1.0, 2.0}},
	{"percona.replicas", []any{1.0, 3.0, 5.0, 6.0}},
	{"percona.backup.endpoint", []any{s3Endpoint, "https://" + s3Endpoint, "http://" + s3Endpoint}},
	{"image", []any{dittofsImage + "v0.29.0", dittofsImage + "v0.29.1", dittofsImage + "v0.30.0", dittofsImage + "v1.0.0", nil}},
	// The production shape: rolling changes the operator applies, and
	// parameters refused by name or below what the replicas need.
	{"percona.proxy.pgBouncer.enabled", []any{true, false, nil}},
	{"percona.priorityClassName", []any{"database", nil}},
	{"percona.postgresql.parameters.work_mem", []any{"16MB", 4096.0, nil}},
	{"percona.postgresql.parameters.archive_mode", []any{"off", nil}},
	{"percona.postgresql.parameters.max_wal_senders", []any{10.0, 3.0, nil}},
}

// inputEdits are what a platform team changes in the Composition's Input:
// the defaults (a new PostgreSQL major, a new storage class), images within
// a major and of another major, the Percona crVersion after an operator
// upgrade, and values that are not valid.
var inputEdits = []struct {
	path   string
	values []any
}{
	{"postgresVersion", []any{16.0, 17.0, 18.0}},
	{"storageClassName", []any{"", "standard", "fast-ssd"}},
	{"images.postgres.17", []any{postgresImageAt + "17.9-1", postgresImageAt + "17.10-1", postgresImageAt + "16.13-1", nil}},
	{"images.postgres.16", []any{postgresImageAt + "16.13-1", postgresImageAt + "16.14-1", postgresImageAt + "17.9-1", nil}},
	{"images.postgres.18", []any{postgresImageAt + "18.3-1", postgresImageAt + "18.4-1", nil}},
	{"images.pgBackRest", []any{pgBackRestImage + "2.58.0-1", pgBackRestImage + "2.59.0-1", nil}},
	{"images.dittofs", []any{dittofsImage + "v0.29.0", dittofsImage + "v0.29.1", dittofsImage + "v0.30.0", dittofsImage + "v1.0.0", nil}},
	{"crVersion", []any{"2.9.0", "2.9.1", "2.10.0", "2.8.0", "latest", "2.9", nil}},
}

// observedChanges are the changes of the cluster under the XR.
var observedChanges = []struct {
	knob   string
	values []any
}{
	{"credentials", []any{"present", "rotated", "conf", "missing", "no-keys", "newline", "carriage-return"}},
	{"percona", []any{"ready", "initializing", "behind"}},
	{"statefulset", []any{"rolled-out", "rolling"}},
	{"requirements", []any{"remembered", "forgotten"}},
	{"rotate", []any{"pguser", "ca"}},
	{"xr", []any{"recreated", "resynced"}},
}

// randomStep draws one step: 45% spec edits, 20% Input edits, 35% changes
// of the observed world.
func randomStep(rng *rand.Rand) step {
	switch n := rng.IntN(20); {
	case n < 9:
		e := specEdits[rng.IntN(len(specEdits))]
		return step{On: "spec", Path: e.path, Value: e.values[rng.IntN(len(e.values))]}
	case n < 13:
		e := inputEdits[rng.IntN(len(inputEdits))]
		return step{On: "input", Path: e.path, Value: e.values[rng.IntN(len(e.values))]}
	default:
		o := observedChanges[rng.IntN(len(observedChanges))]
		return step{On: "observed", Path: o.knob, Value: o.values[rng.IntN(len(o.values))]}
	}
}

// randomSequence is n steps drawn from seed and index alone, so that a
// printed seed and index give the same sequence again.
func randomSequence(seed, index uint64, n int) []step {
	rng := rand.New(rand.NewPCG(seed, index))
	out := make([]step, n)
	for i := range out {
		out[i] = randomStep(rng)
	}
	return out
}

// change makes the step's change to the world, before the reconcile.
func (w *world) change(s step) {
	switch s.On {
	case "spec":
		if s.Path == "fileService" {
			w.fileServiceOp(fmt.Sprint(s.Value))
			return
		}
		// A copy: a later edit of a field inside must not change the table.
		setPath(w.spec, s.Path, deepCopyValue(s.Value))
	case "input":
		setPath(w.input, s.Path, deepCopyValue(s.Value))
	default:
		w.changeObserved(s.Path, fmt.Sprint(s.Value))
	}
}

func (w *world) changeObserved(knob, value string) {
	switch knob {
	case "credentials":
		w.knobs.Credentials = value
		if value == "rotated" {
			w.knobs.CredentialsRev++
		}
	case "percona":
		w.knobs.Percona = value
		if value == "ready" {
			w.knobs.PGBouncerStarting = false
		}
	case "statefulset":
		w.knobs.StatefulSet = value
	case "requirements":
		w.knobs.Requirements = value
	case "rotate":
		if value == "pguser" {
			w.knobs.PGUserRev++
		} else {
			w.knobs.CARev++
		}
	case "xr":
		if value == "recreated" {
			w.recreate()
		}
	default:
		w.changeNewer(knob, value)
	}
	w.refreshStatus()
}
