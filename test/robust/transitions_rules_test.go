package robust

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
)

// The day-2 rules (README "Day 2: changing a live DittoServer"), checked after every step of the
// transition test. Two kinds:
//
//   - what the step must come to (expect): a change the day-2 rules refuse
//     must be a Fatal result naming the field; any other step must apply,
//     and an Input-only edit or a change of the observed world never gets a
//     Fatal (defaults bind at creation: only a value the user wrote can trip
//     a guard), except an invalid Input, which is a Fatal naming the Input
//     field;
//   - what a desired state may be next to the observed one (checkDesired):
//     nothing that holds data dropped, no immutable field changed, a
//     data-bearing field changed only the allowed ways (a volume grows, an
//     image moves within its major, crVersion), backups neither left without
//     credentials nor removed unauthorised, a rotated Secret rolls the pod.

// Composition resource names of the objects the rules look at.
const (
	clusterKey     = "percona-cluster"
	statefulSetKey = "statefulset"
	jwtKey         = "jwt-secret"
	adminKey       = "admin-secret"
	s3SecretKey    = "pgbackrest-s3-secret"
)

// dataBearing are the composed objects whose loss loses data or the live
// server (the derived S3 Secret is checked by what the cluster projects).
var dataBearing = []string{clusterKey, statefulSetKey, jwtKey, adminKey}

var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// defaultPerconaStorage is the XRD's default of spec.percona.storageSize,
// what an unset field means for a new cluster.
const defaultPerconaStorage = "10Gi"

// defaultControlPlaneSize is the XRD's default of spec.storage.controlPlaneSize.
const defaultControlPlaneSize = "1Gi"

// A violation is one broken rule: rule names it without values (it is the
// key of knownHoles; for a step that must apply, it names the step's
// class), detail says what happened.
type violation struct{ rule, detail string }

// expectation is what a step must come to. refuse are the fields the step
// made refusable: it must be a Fatal naming one of them. mayRefuse are
// those it may be refused for, or applied. standing are fields refusable
// before the step already (a hole of an earlier step, applied): a Fatal
// naming one of them is right, but not the step's to answer for.
type expectation struct{ refuse, mayRefuse, standing []string }

func (e expectation) mustApply() bool { return len(e.refuse) == 0 && len(e.mayRefuse) == 0 }

// expect applies the rules to the world before and after the
// step's change. What may be refused either way only may be by the step
// that writes it: a value the function once accepted it accepts again.
func expect(before, after *world, s step) expectation {
	was := refusals(before)
	var e expectation
	for _, f := range refusals(after) {
		if slices.Contains(was, f) {
			e.standing = append(e.standing, f)
		} else {
			e.refuse = append(e.refuse, f)
		}
	}
	_, may := specRefusals(after.spec, after.observed)
	_, unsure := inputProblems(after.input)
	for _, f := range append(may, unsure...) {
		if f == "spec."+s.Path && s.On == "spec" || f == s.Path && s.On == "input" {
			e.mayRefuse = append(e.mayRefuse, f)
		}
	}
	return e
}

// refusals are the fields the rules refuse in a world.
func refusals(w *world) []string {
	refuse, _ := specRefusals(w.spec, w.observed)
	invalid, _ := inputProblems(w.input)
	return append(append(refuse, invalid...), newerRefusals(w)...)
}

// specRefusals are the fields of the spec (as written) whose value must be
// refused next to the observed objects, and those that may be.
func specRefusals(spec map[string]any, observed map[string]map[string]any) (refuse, may []string) {
	percona := isTrue(spec, "percona.enabled")
	backup := isTrue(spec, "percona.backup.enabled")
	if backup && !percona {
		refuse = append(refuse, "spec.percona.backup.enabled", "spec.percona.enabled")
	}
	if v, ok := lookup(spec, "percona.backup.endpoint"); ok && backup && strings.HasPrefix(fmt.Sprint(v), "http://") {
		// pgBackRest's S3 driver speaks TLS only.
		refuse = append(refuse, "spec.percona.backup.endpoint")
	}
	if _, ok := lookup(spec, "percona.backup.onDemand"); ok && !backup {
		// An on-demand backup needs backups on.
		refuse = append(refuse, "spec.percona.backup.onDemand")
	}
	if v, ok := lookup(spec, "replicas"); ok && invalidReplicas("replicas", v) {
		refuse = append(refuse, "spec.replicas")
	}
	if v, ok := lookup(spec, "percona.replicas"); ok && invalidReplicas("percona.replicas", v) {
		if percona {
			refuse = append(refuse, "spec.percona.replicas")
		} else {
			may = append(may, "spec.percona.replicas")
		}
	}
	if percona {
		refuse = append(refuse, parameterRefusals(spec)...)
	}
	if c := observed[clusterKey]; c != nil {
		r, m := clusterRefusals(spec, c, percona, backup)
		refuse, may = append(refuse, r...), append(may, m...)
	}
	if s := observed[statefulSetKey]; s != nil {
		r, m := serverRefusals(spec, s, percona)
		refuse, may = append(refuse, r...), append(may, m...)
	}
	return refuse, may
}

// parameterRefusals: the PostgreSQL parameters of the edits that break
// archiving (refused by name), and max_wal_senders below one per streaming
// replica plus two for a rebuild, never below Patroni's 3.
func parameterRefusals(spec map[string]any) []string {
	var refuse []string
	if _, ok := lookup(spec, "percona.postgresql.parameters.archive_mode"); ok {
		refuse = append(refuse, "spec.percona.postgresql.parameters.archive_mode")
	}
	if v, ok := lookup(spec, "percona.postgresql.parameters.max_wal_senders"); ok {
		replicas := 1.0
		if r, ok := lookup(spec, "percona.replicas"); ok {
			replicas, _ = r.(float64)
		}
		if n, _ := v.(float64); n < max(3, replicas+1) {
			refuse = append(refuse, "spec.percona.postgresql.parameters.max_wal_senders")
		}
	}
	return refuse
}

// clusterRefusals: what a live PerconaPGCluster cannot take.
func clusterRefusals(spec, c map[string]any, percona, backup bool) (refuse, may []string) {
	if !percona {
		return []string{"spec.percona.enabled", "spec.database"}, nil
	}
	if !backup && clusterBackups(c) && !isTrue(spec, "percona.backup.authorizeRemoval") {
		refuse = append(refuse, "spec.percona.backup.enabled")
	}
	if v, ok := lookup(spec, "percona.postgresVersion"); ok && v != get(c, "spec", "postgresVersion") {
		refuse = append(refuse, "spec.percona.postgresVersion")
	}
	if v, ok := lookup(spec, "percona.databaseName"); ok && v != clusterDatabase(c) {
		refuse = append(refuse, "spec.percona.databaseName")
	}
	size := clusterSize(c)
	if v, ok := lookup(spec, "percona.storageSize"); ok {
		if less(v.(string), size) {
			refuse = append(refuse, "spec.percona.storageSize")
		}
	} else if less(defaultPerconaStorage, size) {
		// Unset: the default is smaller than the volume. Binding keeps the
		// volume; refusing is as safe.
		may = append(may, "spec.percona.storageSize")
	}
	if v, ok := lookup(spec, "percona.storageClassName"); ok && v != clusterClass(c) {
		refuse = append(refuse, "spec.percona.storageClassName")
	}
	return refuse, may
}

// serverRefusals: what a live DittoFS StatefulSet cannot take.
func serverRefusals(spec, s map[string]any, percona bool) (refuse, may []string) {
	database := "sqlite"
	if percona {
		database = "percona"
	}
	if was := getString(s, "metadata", "annotations", annotationDatabase); was != "" && was != database {
		refuse = append(refuse, "spec.percona.enabled", "spec.database")
	}
	claims := claimTemplates(s)
	for _, f := range []struct{ field, volume, unsetMeans string }{
		{"metadataSize", "metadata", ""},
		{"contentSize", "content", ""},
		{"controlPlaneSize", "controlplane", defaultControlPlaneSize},
	} {
		was, exists := claims[f.volume]
		v, written := lookup(spec, "storage."+f.field)
		switch {
		case written && !exists:
			refuse = append(refuse, "spec.storage."+f.field)
		case written && less(v.(string), was.size):
			refuse = append(refuse, "spec.storage."+f.field)
		case !written && exists && (f.unsetMeans == "" || less(f.unsetMeans, was.size)):
			// Unset: binding keeps the volume, refusing is as safe.
			may = append(may, "spec.storage."+f.field)
		}
	}
	if v, ok := lookup(spec, "storage.storageClassName"); ok {
		for _, claim := range claims {
			if v != claim.class {
				refuse = append(refuse, "spec.storage.storageClassName")
				break
			}
		}
	}
	return refuse, may
}

// inputProblems are the Input fields that are invalid (a crVersion that is
// not X.Y.Z, a PostgreSQL image whose tag is not its key's major), and
// those that may be (a crVersion other than the certified one: within what
// the function supports or not is the function's call).
func inputProblems(input map[string]any) (invalid, unsure []string) {
	if v, ok := lookup(input, "crVersion"); ok {
		switch {
		case !semver.MatchString(fmt.Sprint(v)):
			invalid = append(invalid, "crVersion")
		case v != "2.9.0":
			unsure = append(unsure, "crVersion")
		}
	}
	for major, image := range getMap(input, "images", "postgres") {
		if imageMajor(fmt.Sprint(image)) != major {
			invalid = append(invalid, "images.postgres")
			break
		}
	}
	return invalid, unsure
}

// checkOutcome checks the reconcile's last response, the one Crossplane acts
// on, against what the step must come to, and (unless it is a Fatal) the
// desired state it asks for.
func checkOutcome(w *world, s step, e expectation, it iteration) []violation {
	msg := fatalMessage(it.rsp)
	if msg == "" {
		var out []violation
		for _, f := range e.refuse {
			out = append(out, violation{"no Fatal refusing " + f, fmt.Sprintf("%s: want a Fatal naming %s", s, f)})
		}
		out = append(out, checkDesired(w, s, it)...)
		out = append(out, checkApplied(w, s, it)...)
		out = append(out, checkUpgradeOnly(w, s, it)...)
		out = append(out, checkNewer(w, s, it)...)
		return append(out, checkRotation(w, s, it)...)
	}
	var out []violation
	named := append(slices.Clone(e.refuse), e.mayRefuse...)
	names := func(fields []string) bool {
		return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(msg, f) })
	}
	switch {
	case names(named), names(e.standing):
	case e.mustApply():
		out = append(out, violation{"Fatal on a change the rules apply: " + s.class(), firstLine(msg)})
	default:
		out = append(out, violation{"Fatal names none of " + strings.Join(named, ", "), fmt.Sprintf("%s: %s", s, firstLine(msg))})
	}
	// Crossplane stops at a Fatal result and applies nothing, neither this
	// response's desired state nor any garbage collection; still, a Fatal
	// response that desires more than it was given says the function went
	// on composing after it decided to refuse.
	for k, r := range it.rsp.GetDesired().GetResources() {
		if given := it.req.GetDesired().GetResources()[k]; given == nil || !proto.Equal(given, r) {
			out = append(out, violation{"a Fatal desires objects", fmt.Sprintf("%s desired with a Fatal result", k)})
			break
		}
	}
	return out
}

// checkDesired checks one response's desired state next to the observed
// state it was computed from. It holds for every call of a reconcile, not
// only the last: a function must be safe before its requirements are met.
func checkDesired(w *world, s step, it iteration) []violation {
	observed, desired := w.observed, it.desired
	resolved := len(it.req.GetRequiredResources())+len(it.req.GetExtraResources()) > 0
	var out []violation
	for _, k := range dataBearing {
		if observed[k] != nil && desired[k] == nil {
			out = append(out, violation{"dropped " + k, fmt.Sprintf("the observed %s is not desired: Crossplane would delete it", k)})
		}
	}
	for k, field := range map[string]string{jwtKey: "jwt-secret", adminKey: "password"} {
		if observed[k] != nil && desired[k] != nil && getString(observed[k], "data", field) != getString(desired[k], "data", field) {
			out = append(out, violation{"value changed " + k, fmt.Sprintf("the value of the observed %s changed", k)})
		}
	}
	_, imageWritten := lookup(w.spec, "image")
	out = append(out, statefulSetRules(observed[statefulSetKey], desired[statefulSetKey], imageWritten)...)
	out = append(out, clusterRules(observed[clusterKey], desired[clusterKey])...)
	out = append(out, projectionRules(observed, desired)...)
	out = append(out, credentialRules(w, observed[clusterKey], desired[clusterKey], it.fetched(credentialsName))...)
	out = append(out, repoPathRules(w, observed[clusterKey], desired[clusterKey])...)
	out = append(out, s3ConfRules(desired[s3SecretKey])...)
	if s.On == "observed" && !resolved {
		out = append(out, unreadKeepsHash(observed[statefulSetKey], desired[statefulSetKey])...)
	}
	return out
}

// statefulSetRules: a StatefulSet's selector, serviceName and claim
// templates are immutable; its DittoFS image moves within its major, unless
// the user wrote spec.image (the explicit upgrade across a major).
func statefulSetRules(was, now map[string]any, imageWritten bool) []violation {
	if was == nil || now == nil {
		return nil
	}
	out := statefulSetImmutables(was, now)
	if a, b := serverImage(was), serverImage(now); !imageWritten && imageMajor(a) != imageMajor(b) {
		out = append(out, violation{"statefulset image changed major", fmt.Sprintf("%s -> %s", a, b)})
	}
	return out
}

// statefulSetImmutables: the fields of a StatefulSet the API server refuses
// to change.
func statefulSetImmutables(was, now map[string]any) []violation {
	var out []violation
	for _, f := range []string{"selector", "serviceName"} {
		if !reflect.DeepEqual(get(was, "spec", f), get(now, "spec", f)) {
			out = append(out, violation{"immutable statefulset spec." + f, fmt.Sprintf("%v -> %v", get(was, "spec", f), get(now, "spec", f))})
		}
	}
	if a, b := claimTemplates(was), claimTemplates(now); !reflect.DeepEqual(a, b) {
		out = append(out, violation{"immutable statefulset spec.volumeClaimTemplates", fmt.Sprintf("%v -> %v", a, b)})
	}
	return out
}

// clusterRules: what a PerconaPGCluster can and cannot take.
func clusterRules(was, now map[string]any) []violation {
	if now == nil {
		return nil
	}
	var out []violation
	add := func(rule, format string, args ...any) {
		out = append(out, violation{rule, fmt.Sprintf(format, args...)})
	}
	if v := getString(now, "spec", "crVersion"); !semver.MatchString(v) {
		add("percona-cluster crVersion not X.Y.Z", "crVersion %q", v)
	}
	if image, major := getString(now, "spec", "image"), fmt.Sprint(get(now, "spec", "postgresVersion")); imageMajor(image) != major {
		add("percona-cluster image of another major than postgresVersion", "image %s for PostgreSQL %s", image, major)
	}
	if was == nil {
		return out
	}
	for _, f := range []struct {
		rule     string
		was, now any
	}{
		{"immutable percona-cluster spec.postgresVersion", get(was, "spec", "postgresVersion"), get(now, "spec", "postgresVersion")},
		{"immutable percona-cluster instance set name", getString(first(was, "spec", "instances"), "name"), getString(first(now, "spec", "instances"), "name")},
		{"immutable percona-cluster instance storageClassName", clusterClass(was), clusterClass(now)},
		{"immutable percona-cluster databaseName", clusterDatabase(was), clusterDatabase(now)},
	} {
		if !reflect.DeepEqual(f.was, f.now) {
			add(f.rule, "%v -> %v", f.was, f.now)
		}
	}
	if a, b := repoPath(was), repoPath(now); a != "" && b != "" && a != b {
		add("immutable percona-cluster repo1-path", "%s -> %s", a, b)
	}
	if a, b := clusterSize(was), clusterSize(now); less(b, a) {
		add("percona-cluster volume shrunk", "%s -> %s", a, b)
	}
	if a, b := pgBackRestImageOf(was), pgBackRestImageOf(now); a != "" && b != "" && imageMajor(a) != imageMajor(b) {
		add("percona-cluster pgBackRest image changed major", "%s -> %s", a, b)
	}
	if clusterBackups(was) && !clusterBackups(now) && getString(now, "metadata", "annotations", annotationAuthorizeRemove) != "true" {
		add("backups removed without authorizeBackupRemoval", "backups.enabled true -> false without the %s annotation: the Percona operator pauses the cluster", annotationAuthorizeRemove)
	}
	return out
}

// projectionRules: backups on means pgBackRest reads a Secret that exists.
func projectionRules(observed, desired map[string]map[string]any) []violation {
	c := desired[clusterKey]
	if c == nil || !clusterBackups(c) {
		return nil
	}
	name := projectedSecret(c)
	switch {
	case name == "":
		return []violation{{"backups on with an empty credentials projection", "spec.backups.pgbackrest.configuration names no Secret: WAL archiving fails and pg_wal grows"}}
	case name == derivedS3Secret && desired[s3SecretKey] == nil && observed[s3SecretKey] != nil:
		return []violation{{"dropped " + s3SecretKey, "the cluster projects " + derivedS3Secret + ", which is no longer desired"}}
	case name == derivedS3Secret && desired[s3SecretKey] == nil:
		return []violation{{"backups project a Secret nobody composes", "the cluster projects " + derivedS3Secret + ", which is not composed"}}
	}
	return nil
}

// credentialRules: while the S3 credentials are not known (the Secret
// missing or unusable, or not fetched in this call), a live cluster's
// backups block is kept exactly as it is.
func credentialRules(w *world, was, now map[string]any, fetched bool) []violation {
	if was == nil || now == nil || !isTrue(w.spec, "percona.backup.enabled") {
		return nil
	}
	if credentialsKnown(w.knobs.Credentials) && fetched {
		return nil
	}
	if a, b := get(was, "spec", "backups"), get(now, "spec", "backups"); !reflect.DeepEqual(a, b) {
		return []violation{{"backups block not kept while the credentials are unknown", fmt.Sprintf("credentials %s (fetched: %v); spec.backups (-observed +desired):\n%s", w.knobs.Credentials, fetched, cmp.Diff(a, b))}}
	}
	return nil
}

// repoPathRules: a new cluster never writes into a repository another
// (deleted) XR of the same name left in the bucket.
func repoPathRules(w *world, was, now map[string]any) []violation {
	if was != nil || now == nil || !clusterBackups(now) {
		return nil
	}
	p := repoPath(now)
	if owner, used := w.repoPaths[p]; used && owner != w.uid {
		return []violation{{"new cluster reuses a deleted XR's repo path", fmt.Sprintf("repo1-path %s was XR %s's; pgBackRest refuses a stanza of another database", p, owner)}}
	}
	return nil
}

// s3ConfRules: the derived s3.conf holds the two keys and nothing else.
func s3ConfRules(s map[string]any) []violation {
	if s == nil {
		return nil
	}
	conf, err := base64.StdEncoding.DecodeString(getString(s, "data", "s3.conf"))
	if err != nil {
		return []violation{{"s3.conf not base64", err.Error()}}
	}
	lines := strings.Split(strings.TrimSuffix(string(conf), "\n"), "\n")
	ok := len(lines) == 3 && lines[0] == "[global]" &&
		strings.HasPrefix(lines[1], "repo1-s3-key=") && strings.HasPrefix(lines[2], "repo1-s3-key-secret=") &&
		!strings.ContainsFunc(string(conf), func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f })
	if !ok {
		return []violation{{"s3.conf carries more than the two keys", fmt.Sprintf("%d lines, or a control character in a value", len(lines))}}
	}
	return nil
}

// unreadKeepsHash: a call without the required Secrets keeps the pod
// template's hash (never a roll on what could not be read).
func unreadKeepsHash(was, now map[string]any) []violation {
	if was == nil || now == nil {
		return nil
	}
	if a, b := configHash(was), configHash(now); a != b {
		return []violation{{"pod rolled while the Secrets it reads were not fetched", fmt.Sprintf("config hash %s -> %s", a, b)}}
	}
	return nil
}

// checkRotation: a rotated Secret the pod reads rolls the pod.
func checkRotation(w *world, s step, it iteration) []violation {
	if s.On != "observed" || s.Path != "rotate" {
		return nil
	}
	was, now := w.observed[statefulSetKey], it.desired[statefulSetKey]
	if was == nil || now == nil {
		return nil
	}
	if configHash(was) == configHash(now) {
		return []violation{{"rotation does not roll the pod", fmt.Sprintf("%v rotated; the pod template's %s stays %s", s.Value, annotationConfigHash, configHash(now))}}
	}
	return nil
}

// checkApplied: a change the rules apply is applied, not dropped silently:
// a grown database volume, a new image within a major, a crVersion,
// replicas. (A backups removal carries the Percona annotation: clusterRules.)
func checkApplied(w *world, s step, it iteration) []violation {
	desired := it.desired
	c, sts := desired[clusterKey], desired[statefulSetKey]
	var out []violation
	want := func(rule string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			out = append(out, violation{rule, fmt.Sprintf("%s: want %v, desired %v", s, want, got)})
		}
	}
	switch {
	case c != nil && s.On == "spec" && s.Path == "percona.storageSize" && s.Value != nil:
		if was := w.observed[clusterKey]; was == nil || !less(s.Value.(string), clusterSize(was)) {
			want("not applied: percona storageSize", clusterSize(c), s.Value)
		}
	case c != nil && s.On == "spec" && s.Path == "percona.replicas" && !invalidReplicas(s.Path, s.Value):
		want("not applied: percona replicas", get(first(c, "spec", "instances"), "replicas"), s.Value)
	case c != nil && s.On == "spec" && s.Path == "percona.backup.endpoint" && clusterBackups(c) && strings.HasPrefix(fmt.Sprint(s.Value), "https://"):
		// The scheme goes; the host stays the S3 endpoint.
		want("not applied: S3 endpoint without its https:// scheme", getString(first(c, "spec", "backups", "pgbackrest", "repos"), "s3", "endpoint"), strings.TrimPrefix(fmt.Sprint(s.Value), "https://"))
	case c != nil && s.On == "input" && s.Path == "crVersion" && s.Value != nil:
		want("not applied: crVersion", getString(c, "spec", "crVersion"), s.Value)
	case c != nil && s.On == "input" && strings.HasPrefix(s.Path, "images.postgres.") && s.Value != nil &&
		fmt.Sprint(get(c, "spec", "postgresVersion")) == strings.TrimPrefix(s.Path, "images.postgres."):
		want("not applied: postgres image within the major", getString(c, "spec", "image"), s.Value)
	case sts != nil && s.On == "spec" && s.Path == "image" && s.Value != nil:
		want("not applied: DittoFS image", serverImage(sts), s.Value)
	case sts != nil && s.On == "input" && s.Path == "images.dittofs" && s.Value != nil && get(w.spec, "image") == nil:
		// Another major from the Input binds: the live server keeps its own.
		if was := serverImage(w.observed[statefulSetKey]); was != "" && imageMajor(was) != imageMajor(fmt.Sprint(s.Value)) {
			want("Input DittoFS image of another major rolled a live server", serverImage(sts), was)
		} else {
			want("not applied: DittoFS image from the Input", serverImage(sts), s.Value)
		}
	case sts != nil && s.On == "spec" && s.Path == "replicas" && !invalidReplicas(s.Path, s.Value) && !recoveryStopsDittoFS(it):
		want("not applied: replicas", get(sts, "spec", "replicas"), s.Value)
	}
	return append(out, onDemandRules(w, it)...)
}

// onDemandRules: the one PerconaPGBackup desired is the spec's token's,
// once the cluster is ready for backups or the backup exists; an old
// token's is not desired (Crossplane deletes it; its backup stays in the
// repository); none without a token.
func onDemandRules(w *world, it iteration) []violation {
	var got []string
	for k := range it.desired {
		if strings.HasPrefix(k, onDemandKeyPrefix) {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	var want []string
	if token, ok := lookup(w.spec, "percona.backup.onDemand"); ok && isTrue(w.spec, "percona.enabled") && isTrue(w.spec, "percona.backup.enabled") {
		key := onDemandKeyPrefix + fmt.Sprint(token)
		if w.observed[key] != nil || readyForBackup(w.observed[clusterKey]) {
			want = []string{key}
		}
	}
	if !slices.Equal(got, want) {
		return []violation{{"on-demand backups", fmt.Sprintf("desired %v, want %v", got, want)}}
	}
	return nil
}

// onDemandKeyPrefix starts the composed resource key of an on-demand
// PerconaPGBackup; the token ends it.
const onDemandKeyPrefix = "percona-backup-"

// readyForBackup: the observed cluster's ReadyForBackup is True.
func readyForBackup(c map[string]any) bool {
	for _, cond := range asSlice(get(c, "status", "conditions")) {
		if m, ok := cond.(map[string]any); ok && m["type"] == "ReadyForBackup" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// checkUpgradeOnly: what applies to live clusters from the Input is the
// upgrade path, images and crVersion; an Input edit of those changes the
// PerconaPGCluster and the StatefulSet in nothing else.
func checkUpgradeOnly(w *world, s step, it iteration) []violation {
	if s.On != "input" || !strings.HasPrefix(s.Path, "images.") && s.Path != "crVersion" {
		return nil
	}
	var out []violation
	for _, k := range []string{clusterKey, statefulSetKey} {
		was, now := w.observed[k], it.desired[k]
		if was == nil || now == nil {
			continue
		}
		if s.Path == "images.reconciler" && k == statefulSetKey {
			// A first pin (or none) adds (or removes) the container.
			was, now = withoutReconcilerSidecar(was), withoutReconcilerSidecar(now)
		}
		if a, b := withoutUpgradeFields(was), withoutUpgradeFields(now); !reflect.DeepEqual(a, b) {
			out = append(out, violation{"Input upgrade changed more than images and crVersion: " + k, fmt.Sprintf("%s; (-observed +desired, images and crVersion left out):\n%s", s, cmp.Diff(a, b))})
		}
	}
	return out
}

// withoutUpgradeFields is an object's spec without what an upgrade may
// change: every image, the crVersion, the pod template's config hash.
func withoutUpgradeFields(o map[string]any) map[string]any {
	spec := deepCopy(getMap(o, "spec"))
	delete(spec, "image")
	delete(spec, "crVersion")
	if b := getMap(spec, "backups", "pgbackrest"); b != nil {
		delete(b, "image")
	}
	podSpec := getMap(spec, "template", "spec")
	for _, list := range []string{"containers", "initContainers"} {
		containers, _ := podSpec[list].([]any)
		for _, c := range containers {
			if c, ok := c.(map[string]any); ok {
				delete(c, "image")
			}
		}
	}
	return spec
}
