package robust

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// The rules of the fields added since the transition test was first
// written (their generators and refusals: transitions_fields_test.go),
// checked on the last response of every reconcile that is not a Fatal.

// checkNewer checks the reconcile's last response (not a Fatal) for the
// newer fields' rules.
func checkNewer(w *world, s step, it iteration) []violation {
	var out []violation
	out = append(out, exposureRules(w, s, it)...)
	out = append(out, podFieldRules(w, s, it)...)
	out = append(out, propagationRules(w, it)...)
	out = append(out, restoreRules(w, it)...)
	out = append(out, recoveryRules(w, it)...)
	out = append(out, backupExtrasRules(w, it)...)
	out = append(out, fileServiceRules(w, s, it)...)
	out = append(out, noRollRules(w, s, it)...)
	return out
}

// exposureRules: each Service has the defaulted type and the spec's source
// ranges and traffic policy (none when unset); the NetworkPolicy admits
// the spec's peers on the ports it admitted.
func exposureRules(w *world, s step, it iteration) []violation {
	var out []violation
	for _, svc := range serviceFields {
		typ := serviceDefault[svc]
		if v, ok := lookup(w.spec, svc+".type"); ok {
			typ = fmt.Sprint(v)
		}
		ranges := get(w.spec, svc, "loadBalancerSourceRanges")
		if r, _ := ranges.([]any); len(r) == 0 {
			ranges = nil
		}
		policy := get(w.spec, svc, "externalTrafficPolicy")
		for _, k := range serviceKeys[svc] {
			d := it.desired[k]
			if d == nil {
				continue
			}
			if got := get(d, "spec", "type"); got != typ {
				out = append(out, violation{"Service type not the defaulted spec's", fmt.Sprintf("%s: %s type %v, want %s", s, k, got, typ)})
			}
			if got := get(d, "spec", "loadBalancerSourceRanges"); !reflect.DeepEqual(got, ranges) {
				out = append(out, violation{"Service loadBalancerSourceRanges not the spec's", fmt.Sprintf("%s: %s has %v, want %v", s, k, got, ranges)})
			}
			if got := get(d, "spec", "externalTrafficPolicy"); !reflect.DeepEqual(got, policy) {
				out = append(out, violation{"Service externalTrafficPolicy not the spec's", fmt.Sprintf("%s: %s has %v, want %v", s, k, got, policy)})
			}
		}
	}
	if np := it.desired["networkpolicy"]; np != nil {
		from := get(w.spec, "networkPolicy", "from")
		if f, _ := from.([]any); len(f) == 0 {
			from = nil
		}
		rule := first(np, "spec", "ingress")
		if got := get(rule, "from"); !reflect.DeepEqual(got, from) {
			out = append(out, violation{"NetworkPolicy peers not the spec's networkPolicy.from", fmt.Sprintf("%s: ingress from %v, want %v", s, got, from)})
		}
		if was := w.observed["networkpolicy"]; was != nil && strings.HasPrefix(s.Path, "networkPolicy.") {
			if a, b := get(first(was, "spec", "ingress"), "ports"), get(rule, "ports"); !reflect.DeepEqual(a, b) {
				out = append(out, violation{"networkPolicy.from changed the admitted ports", cmp.Diff(a, b)})
			}
		}
	}
	return out
}

// podFieldRules: the DittoFS pod has the spec's scheduling, pulling and
// metadata fields, and an edit of one never moves the config hash.
func podFieldRules(w *world, s step, it iteration) []violation {
	sts := it.desired[statefulSetKey]
	if sts == nil {
		return nil
	}
	tmpl := getMap(sts, "spec", "template")
	pod := getMap(tmpl, "spec")
	var out []violation
	for _, f := range []string{"affinity", "tolerations", "nodeSelector", "priorityClassName", "imagePullSecrets"} {
		if want, got := w.spec[f], pod[f]; !reflect.DeepEqual(got, want) {
			out = append(out, violation{"pod " + f + " not the spec's", fmt.Sprintf("%s: the pod template has %v, want %v", s, got, want)})
		}
	}
	policy := w.spec["imagePullPolicy"]
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range asSlice(pod[list]) {
			c := c.(map[string]any)
			if got := c["imagePullPolicy"]; !reflect.DeepEqual(got, policy) {
				out = append(out, violation{"container imagePullPolicy not the spec's", fmt.Sprintf("%s: %s %s has %v, want %v", s, list, c["name"], got, policy)})
			}
		}
	}
	labels, annotations := getMap(tmpl, "metadata", "labels"), getMap(tmpl, "metadata", "annotations")
	for k, v := range getMap(w.spec, "podLabels") {
		if labels[k] != v {
			out = append(out, violation{"podLabels not on the pod", fmt.Sprintf("%s: label %s is %v, want %v", s, k, labels[k], v)})
		}
	}
	for k, v := range getMap(w.spec, "podAnnotations") {
		if annotations[k] != v {
			out = append(out, violation{"podAnnotations not on the pod", fmt.Sprintf("%s: annotation %s is %v, want %v", s, k, annotations[k], v)})
		}
	}
	if podFieldStep(s) {
		if was := w.observed[statefulSetKey]; was != nil && configHash(was) != configHash(sts) {
			out = append(out, violation{"pod field moved the config hash: " + s.Path, fmt.Sprintf("%s: %s %s -> %s", s, annotationConfigHash, configHash(was), configHash(sts))})
		}
	}
	return out
}

var podFields = []string{"affinity", "tolerations", "nodeSelector", "priorityClassName", "imagePullSecrets", "imagePullPolicy", "podLabels", "podAnnotations", "propagateLabels"}

// podFieldStep: an edit the pod takes through its template alone (a
// propagated label's value too).
func podFieldStep(s step) bool {
	return s.On == "spec" && slices.Contains(podFields, s.Path) || s.On == "observed" && s.Path == "xr-labels"
}

// propagated are the XR's labels spec.propagateLabels names that may
// propagate.
func propagated(w *world) map[string]any {
	out := map[string]any{}
	for _, k := range asSlice(get(w.spec, "propagateLabels")) {
		ks := fmt.Sprint(k)
		if v, ok := w.labels[ks]; ok && !reservedLabel(ks) && !strings.HasPrefix(ks, "crossplane.io/") {
			out[ks] = v
		}
	}
	return out
}

// propagationRules: the propagated labels are on every composed object
// (the pod's podLabels win), Percona's spec.metadata.labels carries them,
// and an XR label not listed is on none.
func propagationRules(w *world, it iteration) []violation {
	want := propagated(w)
	var out []violation
	check := func(where string, labels map[string]any, explicit map[string]any) {
		for k, v := range w.labels {
			got, has := labels[k]
			switch {
			case explicit[k] != nil:
			case want[k] != nil && got != want[k]:
				out = append(out, violation{"propagated label missing", fmt.Sprintf("%s: label %s is %v, want %v", where, k, got, v)})
			case want[k] == nil && has:
				out = append(out, violation{"XR label not listed in propagateLabels propagated", fmt.Sprintf("%s: label %s=%v", where, k, got)})
			}
		}
	}
	for _, k := range sortedMapKeys(it.desired) {
		d := it.desired[k]
		if keptAsObserved(w, it, k) {
			continue
		}
		check(k, getMap(d, "metadata", "labels"), nil)
		switch k {
		case statefulSetKey:
			check(k+" pod template", getMap(d, "spec", "template", "metadata", "labels"), getMap(w.spec, "podLabels"))
		case clusterKey:
			check(k+" spec.metadata", getMap(d, "spec", "metadata", "labels"), nil)
		}
	}
	return out
}

// keptAsObserved: the objects the function keeps exactly as observed, by
// design, metadata included: every PerconaPGRestore (its state is the
// memory of its id), the derived S3 Secret while the credentials are not
// known or the kept backups block projects it, the cipher Secret and its
// Usage while the passphrase is not read or backups are off. (The README
// says propagated labels reach every composed object: these do not get a
// label added while they are kept.)
func keptAsObserved(w *world, it iteration, k string) bool {
	switch {
	case w.observed[k] == nil:
		return false
	case strings.HasPrefix(k, recoveryKeyPrefix):
		return true
	case k == s3SecretKey:
		// Also kept while the cluster's kept backups block projects it.
		d, o := it.desired[k], w.observed[k]
		return !credentialsKnown(w.knobs.Credentials) || !it.fetched(credentialsName) ||
			reflect.DeepEqual(d["data"], o["data"]) && reflect.DeepEqual(getMap(d, "metadata", "labels"), getMap(o, "metadata", "labels"))
	case k == cipherKey || k == cipherUsageKey:
		// Kept while the passphrase is not read, and while backups are off
		// (the bucket keeps the encrypted repository).
		return !it.fetched(passphraseSecretName) || !isTrue(w.spec, "percona.backup.enabled")
	}
	return false
}

// restoreRules: a live cluster keeps its dataSource as observed, and a
// restore the spec now says otherwise than at creation gets a warning; a
// new cluster under a restore is created only with its dataSource.
func restoreRules(w *world, it iteration) []violation {
	was, now := w.observed[clusterKey], it.desired[clusterKey]
	spec, _ := lookup(w.spec, "percona.restore")
	var out []violation
	switch {
	case was != nil && now != nil:
		if a, b := get(was, "spec", "dataSource"), get(now, "spec", "dataSource"); !reflect.DeepEqual(a, b) {
			out = append(out, violation{"live cluster's dataSource changed", cmp.Diff(a, b)})
		}
		if !reflect.DeepEqual(spec, w.newer.createdRestore) && !warns(it, "spec.percona.restore") {
			out = append(out, violation{"restore changed on a live cluster without a warning", fmt.Sprintf("spec.percona.restore %v; the cluster was created with %v", spec, w.newer.createdRestore)})
		}
	case was == nil && now != nil && spec != nil:
		if get(now, "spec", "dataSource", "pgbackrest") == nil {
			out = append(out, violation{"new cluster under a restore without its dataSource", fmt.Sprintf("spec.percona.restore %v", spec)})
		}
	}
	return out
}

func warns(it iteration, field string) bool {
	for _, r := range it.rsp.GetResults() {
		if r.GetSeverity().String() == "SEVERITY_WARNING" && strings.Contains(r.GetMessage(), field) {
			return true
		}
	}
	return false
}

// recoveryRules: one PerconaPGRestore per XR and id, ever; every one
// composed stays composed; one is composed only once DittoFS is observed
// stopped, and DittoFS stays at 0 while one is in flight.
func recoveryRules(w *world, it iteration) []violation {
	var out []violation
	inFlight := ""
	for _, k := range sortedMapKeys(it.desired) {
		id, ok := strings.CutPrefix(k, recoveryKeyPrefix)
		if !ok {
			continue
		}
		was := w.observed[k]
		if was == nil {
			if w.newer.ended[w.uid+"/"+id] {
				out = append(out, violation{"a recovery id composed a second PerconaPGRestore", fmt.Sprintf("id %s of XR %s: its first restore ended (%d composed before)", id, w.uid, w.newer.restores[w.uid+"/"+id])})
			}
			for _, o := range sortedMapKeys(w.observed) {
				if strings.HasPrefix(o, recoveryKeyPrefix) && !restoreEnded(w.observed[o]) {
					out = append(out, violation{"a second PerconaPGRestore while one is in flight", fmt.Sprintf("%s composed while %s is %q", k, o, getString(w.observed[o], "status", "state"))})
				}
			}
			if !observedStopped(w.observed[statefulSetKey]) {
				out = append(out, violation{"PerconaPGRestore composed before DittoFS was observed stopped", k})
			}
		}
		if was == nil || !restoreEnded(was) {
			inFlight = k
		}
	}
	for k := range w.observed {
		if strings.HasPrefix(k, recoveryKeyPrefix) && it.desired[k] == nil {
			out = append(out, violation{"dropped a PerconaPGRestore", k + ": its state is the memory that the id ran"})
		}
	}
	if sts := it.desired[statefulSetKey]; inFlight != "" && sts != nil {
		if r, _ := get(sts, "spec", "replicas").(float64); r != 0 {
			out = append(out, violation{"DittoFS not stopped while a restore is in flight", fmt.Sprintf("%s is %q; the StatefulSet asks for %v replicas", inFlight, getString(w.observed[inFlight], "status", "state"), r)})
		}
	}
	return out
}

func observedStopped(sts map[string]any) bool {
	if sts == nil {
		return true
	}
	r, _ := get(sts, "spec", "replicas").(float64)
	n, _ := get(sts, "status", "replicas").(float64)
	return r == 0 && n == 0
}

// backupExtrasRules: with the credentials and the CA readable, the
// projection and [global] follow caSecretRef; while the CA cannot be read
// the live backups block is kept; an encrypted repository keeps its cipher
// Secret and value, and no passphrase is in the cluster's spec.
func backupExtrasRules(w *world, it iteration) []violation {
	was, now := w.observed[clusterKey], it.desired[clusterKey]
	if now == nil || !clusterBackups(now) {
		return nil
	}
	var out []violation
	if containsString(get(now, "spec"), w.passphrase()) {
		out = append(out, violation{"passphrase in the cluster's spec", "the PerconaPGCluster's spec holds the encryption passphrase"})
	}
	caRef := getMap(w.spec, "percona", "backup", "caSecretRef")
	known := credentialsKnown(w.knobs.Credentials) && it.fetched(credentialsName) &&
		(caRef == nil || getString(caRef, "name") == caSecretName && it.fetched(caSecretName)) &&
		(get(w.spec, "percona", "backup", "encryption") == nil || it.fetched(passphraseSecretName))
	switch {
	case known:
		key := "ca.crt"
		if k := getString(caRef, "key"); k != "" {
			key = k
		}
		var want any
		if caRef != nil {
			want = []any{map[string]any{"key": key, "path": "repo1-storage-ca.crt"}}
		}
		if got := projectionItems(now, caSecretName); !reflect.DeepEqual(got, want) {
			out = append(out, violation{"CA projection not the spec's caSecretRef", fmt.Sprintf("projects %v, want %v", got, want)})
		}
		gotFile := get(now, "spec", "backups", "pgbackrest", "global", caFileOption)
		if (caRef != nil) != (gotFile == caFilePath) {
			out = append(out, violation{"repo1-storage-ca-file not the spec's caSecretRef", fmt.Sprintf("%s is %v with caSecretRef %v", caFileOption, gotFile, caRef)})
		}
	case was != nil && caRef != nil && getString(caRef, "name") != caSecretName:
		if a, b := get(was, "spec", "backups"), get(now, "spec", "backups"); !reflect.DeepEqual(a, b) {
			out = append(out, violation{"backups block not kept while the CA cannot be read", cmp.Diff(a, b)})
		}
	}
	if created, seen := w.newer.repoCipher[repoPath(now)]; seen && created != repoCipherOf(now, it.desired[cipherKey]) {
		out = append(out, violation{"repository's encryption changed", fmt.Sprintf(
			"the repository at %s was created %s and is composed %s: pgBackRest can no longer read it or archive into it",
			repoPath(now), cipherWords(created), cipherWords(repoCipherOf(now, it.desired[cipherKey])))})
	}
	if was != nil && encryptedCluster(was) {
		if o, d := w.observed[cipherKey], it.desired[cipherKey]; o != nil && d == nil {
			out = append(out, violation{"dropped " + cipherKey, "the repository is encrypted with it"})
		} else if o != nil && getString(o, "data", "cipher.conf") != getString(d, "data", "cipher.conf") {
			out = append(out, violation{"value changed " + cipherKey, "the passphrase of an encrypted repository changed"})
		}
	}
	return out
}

// containsString: some string in v (keys included) contains s.
func containsString(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { return containsString(e, s) })
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, s) || containsString(e, s) {
				return true
			}
		}
	}
	return false
}

// projectionItems are the items of the projection of Secret name in the
// cluster's pgBackRest configuration, nil when none projects it.
func projectionItems(c map[string]any, name string) any {
	for _, p := range asSlice(get(c, "spec", "backups", "pgbackrest", "configuration")) {
		if p, ok := p.(map[string]any); ok && getString(p, "secret", "name") == name {
			return get(p, "secret", "items")
		}
	}
	return nil
}

// fileServiceRules: the declaration's ConfigMap exists exactly when one is
// declared, and names every declared share and store.
func fileServiceRules(w *world, s step, it iteration) []violation {
	fs := getMap(w.spec, "fileService")
	cm := it.desired[fileServiceKey]
	if it.desired[statefulSetKey] == nil {
		return nil // composed with the workloads
	}
	if len(fs) == 0 {
		if cm != nil {
			return []violation{{"fileservice ConfigMap without a declaration", s.String()}}
		}
		return nil
	}
	if cm == nil {
		return []violation{{"declared file service not rendered", s.String()}}
	}
	conf := getString(cm, "data", "config.yaml")
	var out []violation
	// A postgres store on the cluster is the one a restore brings back
	// with the control plane, and its record names the old cluster then:
	// the pod must point it at this one before DittoFS starts.
	onCluster := false
	if c, err := declared.Parse([]byte(conf)); err == nil {
		for _, m := range c.MetadataStores {
			onCluster = onCluster || m.Postgres != nil && m.Postgres.OnCluster
		}
	}
	hasPrestart := slices.ContainsFunc(asSlice(get(it.desired[statefulSetKey], "spec", "template", "spec", "initContainers")), func(c any) bool {
		return c.(map[string]any)["name"] == prestartName
	})
	if onCluster != hasPrestart {
		out = append(out, violation{"pre-start step not with a postgres store on the cluster", fmt.Sprintf("%s: store on the cluster %v, %s %v", s, onCluster, prestartName, hasPrestart)})
	}
	for _, list := range []string{"shares", "metadataStores", "blockStores", "users"} {
		for _, e := range asSlice(fs[list]) {
			e := e.(map[string]any)
			name := getString(e, "name") + getString(e, "username")
			if !strings.Contains(conf, name) {
				out = append(out, violation{"declared " + list + " not in the fileservice ConfigMap", fmt.Sprintf("%s: %s", s, name)})
			}
		}
	}
	return out
}

// noRollRules: a change of what the Services, the NetworkPolicy or the file
// service's ConfigMap carry never rolls DittoFS: the pod template is
// unchanged but for the reconciler container and its volumes (a file
// service declared or a new Secret referenced), and the config hash stays.
func noRollRules(w *world, s step, it iteration) []violation {
	if !noRollStep(s) {
		return nil
	}
	was, now := w.observed[statefulSetKey], it.desired[statefulSetKey]
	if was == nil || now == nil {
		return nil
	}
	var out []violation
	if configHash(was) != configHash(now) {
		out = append(out, violation{"config hash moved: " + s.Path, fmt.Sprintf("%s: %s -> %s", s, configHash(was), configHash(now))})
	}
	a, b := get(was, "spec", "template"), get(now, "spec", "template")
	if s.Path == "fileService" && !reflect.DeepEqual(reconcilerMounts(a), reconcilerMounts(b)) {
		// The reconciler came or went, or mounts a newly referenced Secret:
		// that part of the template may change (see the report on
		// fileService: it restarts the pod), nothing else.
		a, b = withoutReconciler(a), withoutReconciler(b)
	}
	if !reflect.DeepEqual(a, b) {
		out = append(out, violation{"DittoFS rolled: " + s.Path, fmt.Sprintf("%s; pod template (-observed +desired):\n%s", s, cmp.Diff(a, b))})
	}
	return out
}

func noRollStep(s step) bool {
	if s.On != "spec" {
		return false
	}
	return s.Path == "fileService" || s.Path == "networkPolicy.from" ||
		strings.HasSuffix(s.Path, ".loadBalancerSourceRanges") || strings.HasSuffix(s.Path, ".externalTrafficPolicy")
}

// withoutReconciler is a pod template without the reconciler container,
// the volumes only it mounts, and the pod's ServiceAccount (the status
// channel's, which comes and goes with the reconciler: DittoFS mounts no
// token of it).
// prestartName is the reconciler's pre-start init container.
const prestartName = "fileservice-prestart"

func withoutReconciler(t any) any {
	m, ok := t.(map[string]any)
	if !ok {
		return t
	}
	m = deepCopy(m)
	pod := getMap(m, "spec")
	var mounted []string
	var containers []any
	for _, c := range asSlice(pod["containers"]) {
		c := c.(map[string]any)
		if c["name"] == reconcilerName {
			for _, v := range asSlice(c["volumeMounts"]) {
				mounted = append(mounted, getString(v.(map[string]any), "name"))
			}
			delete(pod, "serviceAccountName")
			continue
		}
		containers = append(containers, c)
	}
	pod["containers"] = containers
	// The reconciler's pre-start step comes and goes with a postgres
	// store on the cluster, whose Secret it mounts.
	var inits []any
	for _, c := range asSlice(pod["initContainers"]) {
		if c.(map[string]any)["name"] != prestartName {
			inits = append(inits, c)
		}
	}
	pod["initContainers"] = inits
	var volumes []any
	for _, v := range asSlice(pod["volumes"]) {
		if !slices.Contains(mounted, getString(v.(map[string]any), "name")) {
			volumes = append(volumes, v)
		}
	}
	pod["volumes"] = volumes
	return m
}

// withoutReconcilerSidecar is a StatefulSet whose pod template has no
// reconciler.
func withoutReconcilerSidecar(sts map[string]any) map[string]any {
	out := deepCopy(sts)
	setPath(out, "spec.template", withoutReconciler(get(sts, "spec", "template")))
	return out
}

// recoveryStopsDittoFS: the response's XR status says an in-place recovery
// holds DittoFS at 0 (stopping it, restoring, or failed), whatever
// spec.replicas says.
func recoveryStopsDittoFS(it iteration) bool {
	st := it.rsp.GetDesired().GetComposite().GetResource().AsMap()
	switch getString(st, "status", "database", "restore", "recovery", "state") {
	case "StoppingDittoFS", "Restoring", "Failed":
		return true
	}
	return false
}

// reconcilerMounts are the volumes the reconciler container of a pod
// template mounts; nil without one.
func reconcilerMounts(t any) []string {
	m, _ := t.(map[string]any)
	for _, c := range asSlice(get(m, "spec", "containers")) {
		if c := c.(map[string]any); c["name"] == reconcilerName {
			out := []string{}
			for _, v := range asSlice(c["volumeMounts"]) {
				out = append(out, getString(v.(map[string]any), "name"))
			}
			return out
		}
	}
	return nil
}
