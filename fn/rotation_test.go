package fn

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	appsv1 "k8s.io/api/apps/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
)

// everySecretSpec names every user Secret the pod can read: an external
// PostgreSQL with its CA, the user's JWT and admin Secrets, LDAP, Kerberos
// with a machine account, API TLS with client CA, a metrics token.
const everySecretSpec = `{"storage":{"metadataSize":"10Gi"},
 "database":{"type":"postgres","postgresSecretRef":{"name":"pg"},"sslMode":"verify-full","caSecretRef":{"name":"pg-ca"}},
 "controlPlane":{"certSecretName":"api-tls","clientCASecretName":"api-client-ca"},
 "identity":{"jwt":{"secretRef":{"name":"jwt","key":"secret"}},"admin":{"passwordSecretRef":{"name":"admin","key":"password"}},
  "ldap":{"enabled":true,"url":"ldaps://ldap.example.com:636","baseDN":"dc=example,dc=com","bindDN":"cn=dittofs","bindPasswordSecretRef":{"name":"ldap","key":"password"},"caCertSecretRef":{"name":"ldap-ca"}},
  "kerberos":{"enabled":true,"servicePrincipal":"nfs/files.example.com@EXAMPLE.COM","realm":"EXAMPLE.COM","keytabSecretRef":{"name":"keytab"},"krb5ConfSecretRef":{"name":"krb5"},
   "machineAccount":{"enabled":true,"accountName":"FILES$","secretRef":{"name":"machine","key":"password"},"keytabSecretRef":{"name":"machine-keytab"}}}},
 "metrics":{"enabled":true,"bearerTokenSecret":{"name":"metrics"}}}`

// everySecretData is what the cluster holds for everySecretSpec, by role:
// the keys the pod reads, and one it does not (other) in each.
func everySecretData() map[string]map[string]string {
	return map[string]map[string]string{
		"database":                  {"host": "pg.example.com", "port": "5432", "database": "dittofs", "user": "dittofs", "password": "pg-pass", "uri": "postgres://..."},
		"database-ca":               {"ca.crt": "pg-ca", "other": "x"},
		"jwt":                       {"secret": "jwt-signing-secret-of-at-least-32-chars", "other": "x"},
		"admin":                     {"password": "admin-pass", "other": "x"},
		"ldap-bind-password":        {"password": "ldap-pass", "other": "x"},
		"ldap-ca":                   {"ca.crt": "ldap-ca", "other": "x"},
		"kerberos-keytab":           {"dittofs.keytab": "\x05\x02keytab\x00", "other": "x"},
		"kerberos-krb5":             {"krb5.conf": "[libdefaults]", "other": "x"},
		"kerberos-machine-password": {"password": "machine-pass", "other": "x"},
		"kerberos-machine-keytab":   {"machine.keytab": "\x05\x02machine\x00", "other": "x"},
		"tls-cert":                  {"tls.crt": "cert", "tls.key": "key", "other": "x"},
		"tls-client-ca":             {"ca.crt": "client-ca", "other": "x"},
		"metrics-token":             {"token": "metrics-token", "other": "x"},
	}
}

// secretsByName are the Secret names everySecretSpec gives each role.
var secretsByName = map[string]string{
	"database": "pg", "database-ca": "pg-ca", "jwt": "jwt", "admin": "admin", "ldap-bind-password": "ldap", "ldap-ca": "ldap-ca",
	"kerberos-keytab": "keytab", "kerberos-krb5": "krb5", "kerberos-machine-password": "machine", "kerberos-machine-keytab": "machine-keytab",
	"tls-cert": "api-tls", "tls-client-ca": "api-client-ca", "metrics-token": "metrics",
}

// secretJSON is a Secret as the API server returns it (data base64).
func secretJSON(name string, data map[string]string, labels map[string]string) string {
	enc := map[string]string{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	b, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name, "namespace": "storage", "labels": labels}, "data": enc,
	})
	if err != nil {
		panic(err) // maps of strings always encode
	}
	return string(b)
}

// withPodSecrets hands req the required pod Secrets: data by role, nil for
// a Secret that does not exist. Roles not in data are not fetched yet.
func withPodSecrets(req *fnv1.RunFunctionRequest, names map[string]string, data map[string]map[string]string) *fnv1.RunFunctionRequest {
	if req.RequiredResources == nil {
		req.RequiredResources = map[string]*fnv1.Resources{}
	}
	for role, d := range data {
		rs := &fnv1.Resources{}
		if d != nil {
			rs.Items = []*fnv1.Resource{{Resource: resource.MustStructJSON(secretJSON(names[role], d, nil))}}
		}
		req.RequiredResources[requiredPodSecretPrefix+role] = rs
	}
	return req
}

// templateHash is the desired StatefulSet's pod-template hash and the hash
// it records as started from.
func templateHash(t *testing.T, rsp *fnv1.RunFunctionResponse) podHash {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	desiredInto(t, rsp, keyStatefulSet, sts)
	return podHash{Template: sts.Spec.Template.Annotations[build.AnnotationConfigHash], Secrets: sts.Annotations[annotationSecretsHash]}
}

// TestPodSecretsCoverThePod: podSecrets lists exactly the Secrets and keys
// the pod template reads, apart from the generated ones.
func TestPodSecretsCoverThePod(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   string
	}{
		"EveryUserSecret": {reason: "every user-supplied Secret the pod reads is a hash input or the admin exception", spec: everySecretSpec},
		"Percona":         {reason: "the Percona user Secret and cluster CA are inputs", spec: `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`},
		"SQLite":          {reason: "a server on generated Secrets reads no other Secret", spec: `{"storage":{"metadataSize":"10Gi"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(tc.spec)
			if strings.Contains(tc.spec, "percona") {
				req = withObserved(req, "percona-cluster", readyCluster)
			}
			c, err := newComposer(req, &fnv1.RunFunctionResponse{})
			if err != nil {
				t.Fatal(err)
			}
			sts := build.StatefulSet(c.ds, c.in, "h")
			read := podTemplateSecretKeys(sts)
			for _, generated := range []string{c.ds.JWTSecretName(), c.ds.AdminSecretName()} {
				delete(read, generated)
			}
			listed := map[string][]string{}
			for _, s := range podSecrets(c.ds) {
				listed[s.Secret] = append(listed[s.Secret], slices.Concat(s.Keys, s.OptionalKeys)...)
			}
			for k := range listed {
				sort.Strings(listed[k])
				if read[k] == nil { // mounted whole: DittoFS reads the files config.yaml names
					read[k] = listed[k]
				}
			}
			if diff := cmp.Diff(read, listed); diff != "" {
				t.Errorf("%s: Secrets and keys the pod reads (-) and podSecrets lists (+):\n%s", tc.reason, diff)
			}
		})
	}
}

// podTemplateSecretKeys lists the Secrets the pod template reads and their
// keys (none for a Secret mounted whole).
func podTemplateSecretKeys(sts *appsv1.StatefulSet) map[string][]string {
	out := map[string][]string{}
	add := func(name string, keys ...string) {
		if _, ok := out[name]; !ok {
			out[name] = nil
		}
		for _, k := range keys {
			if !slices.Contains(out[name], k) {
				out[name] = append(out[name], k)
			}
		}
	}
	pod := sts.Spec.Template.Spec
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			}
		}
	}
	for _, v := range pod.Volumes {
		if v.Secret == nil {
			continue
		}
		add(v.Secret.SecretName)
		for _, it := range v.Secret.Items {
			add(v.Secret.SecretName, it.Key)
		}
	}
	for k := range out {
		sort.Strings(out[k])
		if len(out[k]) == 0 {
			out[k] = nil
		}
	}
	return out
}

// TestSecretsHashInputs: on a first compose with every Secret readable, the
// pod-template hash changes with each key the pod reads, and with nothing
// else.
func TestSecretsHashInputs(t *testing.T) {
	render := func(data map[string]map[string]string) podHash {
		rsp := compose(t, withPodSecrets(xrRequest(everySecretSpec), secretsByName, data))
		return templateHash(t, rsp)
	}
	base := render(everySecretData())
	if base.Template != base.Secrets {
		t.Fatalf("first compose: template hash %q, recorded %q: want the same", base.Template, base.Secrets)
	}
	type change func(map[string]map[string]string)
	set := func(role, key, value string) change {
		return func(d map[string]map[string]string) { d[role][key] = value }
	}
	cases := map[string]struct {
		reason string
		change change
		rolls  bool
	}{
		"DatabasePassword":     {reason: "a rotated database password rolls", change: set("database", "password", "new"), rolls: true},
		"DatabaseHost":         {reason: "a moved database rolls", change: set("database", "host", "pg2.example.com"), rolls: true},
		"DatabaseUser":         {reason: "another database user rolls", change: set("database", "user", "other"), rolls: true},
		"DatabaseName":         {reason: "another database rolls", change: set("database", "database", "other"), rolls: true},
		"DatabasePort":         {reason: "the optional port is read when there", change: set("database", "port", "6432"), rolls: true},
		"DatabasePortRemoved":  {reason: "an optional key going away changes what the pod reads", change: func(d map[string]map[string]string) { delete(d["database"], "port") }, rolls: true},
		"DatabaseCA":           {reason: "a renewed database CA rolls", change: set("database-ca", "ca.crt", "new"), rolls: true},
		"JWT":                  {reason: "a rotated JWT signing secret rolls", change: set("jwt", "secret", "another-signing-secret-of-32-chars-or-more"), rolls: true},
		"LDAPBindPassword":     {reason: "a rotated LDAP bind password rolls", change: set("ldap-bind-password", "password", "new"), rolls: true},
		"LDAPCA":               {reason: "a renewed LDAP CA rolls", change: set("ldap-ca", "ca.crt", "new"), rolls: true},
		"Keytab":               {reason: "a new keytab rolls", change: set("kerberos-keytab", "dittofs.keytab", "\x05\x02new\x00"), rolls: true},
		"Krb5Conf":             {reason: "a new krb5.conf rolls", change: set("kerberos-krb5", "krb5.conf", "[realms]"), rolls: true},
		"MachinePassword":      {reason: "a new machine account password rolls", change: set("kerberos-machine-password", "password", "new"), rolls: true},
		"MachineKeytab":        {reason: "a new machine keytab rolls", change: set("kerberos-machine-keytab", "machine.keytab", "new"), rolls: true},
		"TLSCert":              {reason: "a renewed API certificate rolls", change: set("tls-cert", "tls.crt", "new"), rolls: true},
		"TLSKey":               {reason: "a new API key rolls", change: set("tls-cert", "tls.key", "new"), rolls: true},
		"ClientCA":             {reason: "a new client CA rolls", change: set("tls-client-ca", "ca.crt", "new"), rolls: true},
		"MetricsToken":         {reason: "a new metrics token rolls", change: set("metrics-token", "token", "new"), rolls: true},
		"AdminPassword":        {reason: "the admin password is read on first boot only: it never rolls", change: set("admin", "password", "new")},
		"UnrelatedDatabaseKey": {reason: "keys the pod does not read (Percona's verifier, uri) do not roll", change: set("database", "verifier", "SCRAM-SHA-256$..."), rolls: false},
		"UnrelatedDatabaseURI": {reason: "a uri the pod does not read does not roll", change: set("database", "uri", "postgres://new"), rolls: false},
		"UnrelatedCAKey":       {reason: "the server certificate next to the CA renews without rolling DittoFS", change: set("database-ca", "tls.crt", "renewed")},
		"UnrelatedKeyEverywhere": {reason: "no unread key rolls", change: func(d map[string]map[string]string) {
			for role := range d {
				d[role]["other"] = "changed"
			}
		}},
		"SameValueSplitDifferently": {reason: "values are length-prefixed: moving bytes between keys is a change", change: func(d map[string]map[string]string) {
			d["tls-cert"]["tls.crt"], d["tls-cert"]["tls.key"] = "cer", "tkey"
		}, rolls: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := everySecretData()
			tc.change(d)
			got := render(d)
			if diff := cmp.Diff(tc.rolls, got.Template != base.Template); diff != "" {
				t.Errorf("%s: rolls -want +got:\n%s(hash %s, base %s)", tc.reason, diff, got.Template, base.Template)
			}
		})
	}

	t.Run("Deterministic", func(t *testing.T) {
		for range 5 {
			if diff := cmp.Diff(base, render(everySecretData())); diff != "" {
				t.Fatalf("the same Secrets gave another hash: -first +again:\n%s", diff)
			}
		}
	})
	t.Run("SecretLabelsDoNotRoll", func(t *testing.T) {
		req := withPodSecrets(xrRequest(everySecretSpec), secretsByName, everySecretData())
		req.RequiredResources[requiredPodSecretPrefix+"database"].Items[0] = &fnv1.Resource{Resource: resource.MustStructJSON(
			secretJSON("pg", everySecretData()["database"], map[string]string{"rotated-by": "vault"}))}
		if diff := cmp.Diff(base, templateHash(t, compose(t, req))); diff != "" {
			t.Errorf("a label on a Secret changed the hash: -want +got:\n%s", diff)
		}
	})
}

// TestDecidePodHash: the rotation rule, on every kind of observed state.
func TestDecidePodHash(t *testing.T) {
	const base, full, old = "base", "full-hash", "old-hash"
	pending := pendingHash(base)
	cases := map[string]struct {
		reason   string
		full     string
		readable bool
		observed podHash
		want     podHash
	}{
		"FirstComposeReadable": {
			reason: "a first compose with every Secret read hashes them all",
			full:   full, readable: true, want: podHash{Template: full, Secrets: full},
		},
		"FirstComposeSecretMissing": {
			reason:   "a first compose before a Secret exists still composes, on the pending hash",
			readable: false, want: podHash{Template: pending, Secrets: pending},
		},
		"MissingKeepsObserved": {
			reason:   "a Secret that cannot be read keeps the observed hash: never a roll into a failing pod",
			readable: false, observed: podHash{Template: old, Secrets: old}, want: podHash{Template: old, Secrets: old},
		},
		"MissingKeepsObservedPending": {
			reason:   "still missing: still pending",
			readable: false, observed: podHash{Template: pending, Secrets: pending}, want: podHash{Template: pending, Secrets: pending},
		},
		"AppearedDoesNotRoll": {
			reason: "Secrets appearing after a pending compose: the pod starts from them, so no roll; the full hash is recorded",
			full:   full, readable: true, observed: podHash{Template: pending, Secrets: pending}, want: podHash{Template: pending, Secrets: full},
		},
		"AppearedAfterConfigChangeRolls": {
			reason: "the config changed while pending: roll",
			full:   full, readable: true, observed: podHash{Template: pendingHash("other base"), Secrets: pendingHash("other base")}, want: podHash{Template: full, Secrets: full},
		},
		"UnchangedKeeps": {
			reason: "nothing changed since the pod started",
			full:   full, readable: true, observed: podHash{Template: pending, Secrets: full}, want: podHash{Template: pending, Secrets: full},
		},
		"RotatedRolls": {
			reason: "a rotated Secret rolls",
			full:   "rotated", readable: true, observed: podHash{Template: pending, Secrets: full}, want: podHash{Template: "rotated", Secrets: "rotated"},
		},
		"RotatedRollsSteady": {
			reason: "a rotated Secret rolls a pod whose template hash is its recorded hash",
			full:   "rotated", readable: true, observed: podHash{Template: full, Secrets: full}, want: podHash{Template: "rotated", Secrets: "rotated"},
		},
		"BeforeRecordedHashSame": {
			reason: "a StatefulSet from before the recorded hash counts its template hash as recorded: no roll when it matches",
			full:   full, readable: true, observed: podHash{Template: full}, want: podHash{Template: full, Secrets: full},
		},
		"BeforeRecordedHashDiffers": {
			reason: "a StatefulSet from before Secrets were hashed rolls once, onto the full hash",
			full:   full, readable: true, observed: podHash{Template: old}, want: podHash{Template: full, Secrets: full},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, decidePodHash(base, tc.full, tc.readable, tc.observed)); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRotationSequence chains renders of a Percona server as Crossplane
// would (each render observes the StatefulSet the one before composed), and
// compares the pod-template hash along the way.
func TestRotationSequence(t *testing.T) {
	names := map[string]string{"database": "files-postgres-pguser-dittofs", "database-ca": "files-postgres-cluster-cert"}
	user := func(password string) map[string]string {
		return map[string]string{"host": "files-postgres-primary.storage.svc", "port": "5432", "dbname": "dittofs", "user": "dittofs", "password": password, "verifier": "v-" + password}
	}
	ca := map[string]string{"ca.crt": "ca", "tls.crt": "c", "tls.key": "k"}
	type step struct {
		name     string
		secrets  map[string]map[string]string // nil entry: absent; missing role: not fetched
		rolls    bool                         // the template hash differs from the step before
		warnings int
	}
	steps := []step{
		{name: "ClusterReadyUserSecretNotWrittenYet", secrets: map[string]map[string]string{"database": nil, "database-ca": ca}, warnings: 1},
		{name: "StillMissing", secrets: map[string]map[string]string{"database": nil, "database-ca": ca}, warnings: 1},
		{name: "UserSecretAppears", secrets: map[string]map[string]string{"database": user("p1"), "database-ca": ca}},
		{name: "Steady", secrets: map[string]map[string]string{"database": user("p1"), "database-ca": ca}},
		{name: "NotFetchedYet", secrets: map[string]map[string]string{}},
		{name: "PasswordRemovedForRotation", secrets: map[string]map[string]string{"database": {"host": "h", "port": "5432", "dbname": "dittofs", "user": "dittofs"}, "database-ca": ca}, warnings: 1},
		{name: "OperatorRegeneratesPassword", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": ca}, rolls: true},
		{name: "SteadyAfterRotation", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": ca}},
		{name: "ServerCertRenewedCAKept", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": {"ca.crt": "ca", "tls.crt": "c2", "tls.key": "k2"}}},
		{name: "CARenewed", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": {"ca.crt": "ca2", "tls.crt": "c2", "tls.key": "k2"}}, rolls: true},
		{name: "CASecretDeleted", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": nil}, warnings: 1},
		{name: "CASecretBack", secrets: map[string]map[string]string{"database": user("p2"), "database-ca": {"ca.crt": "ca2", "tls.crt": "c3", "tls.key": "k3"}}},
	}
	spec := `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`
	var observedSTS *fnv1.RunFunctionResponse
	prev := ""
	for i, s := range steps {
		req := withPodSecrets(withObserved(xrRequest(spec), "percona-cluster", readyCluster), names, s.secrets)
		if observedSTS != nil {
			req = observeDesired(req, observedSTS, keyStatefulSet, keyJWTSecret, keyAdminSecret)
		}
		rsp := compose(t, req)
		again := compose(t, proto.Clone(req).(*fnv1.RunFunctionRequest))
		if !proto.Equal(rsp, again) {
			t.Errorf("step %d %s: the same request gave another response", i, s.name)
		}
		got := templateHash(t, rsp)
		if i > 0 {
			if diff := cmp.Diff(s.rolls, got.Template != prev); diff != "" {
				t.Errorf("step %d %s: rolls -want +got:\n%s(hash %s, before %s)", i, s.name, diff, got.Template, prev)
			}
		}
		if h := statusConfigHash(rsp); h != got.Template {
			t.Errorf("step %d %s: status.configHash %q, pod template %q", i, s.name, h, got.Template)
		}
		var warnings []string
		for _, r := range resultStrings(rsp) {
			if strings.HasPrefix(r, "SEVERITY_WARNING") {
				warnings = append(warnings, r)
			}
		}
		if len(warnings) != s.warnings {
			t.Errorf("step %d %s: warnings %q, want %d", i, s.name, warnings, s.warnings)
		}
		for _, w := range warnings {
			for _, secret := range []string{"p1", "p2", "v-p1"} {
				if strings.Contains(w, secret) {
					t.Errorf("step %d %s: a warning carries a secret value: %s", i, s.name, w)
				}
			}
		}
		prev, observedSTS = got.Template, rsp
	}
}

// TestRotationWarnings: what a Secret that cannot be read, and a changed
// admin Secret, tell the user.
func TestRotationWarnings(t *testing.T) {
	first := compose(t, withPodSecrets(xrRequest(everySecretSpec), secretsByName, everySecretData()))
	cases := map[string]struct {
		reason  string
		change  func(map[string]map[string]string)
		rolls   bool
		results []string
	}{
		"Unchanged": {reason: "nothing to say", change: func(map[string]map[string]string) {}, results: []string{}},
		"AdminChangedWarns": {
			reason: "a changed admin Secret warns and does not roll",
			change: func(d map[string]map[string]string) { d["admin"]["password"] = "new-admin-pass" },
			results: []string{"SEVERITY_WARNING: spec.identity.admin.passwordSecretRef: the password in Secret storage/admin (key password) changed since DittoFS first started. " +
				"DittoFS reads DITTOFS_ADMIN_INITIAL_PASSWORD only on its first boot, so its admin still logs in with the old password, and the pod is not restarted for it: " +
				"change the password through DittoFS's API as well (dfsctl), or put the old value back"},
		},
		"AdminOtherKeyChanged": {
			reason: "another key of the admin Secret is not the password",
			change: func(d map[string]map[string]string) { d["admin"]["other"] = "y" }, results: []string{},
		},
		"JWTRotatedRollsAndRestartsTheAdminComparison": {
			reason: "the admin digest is keyed with the JWT secret: a new key starts the comparison over",
			change: func(d map[string]map[string]string) {
				d["jwt"]["secret"] = "another-signing-secret-of-32-chars-or-more"
				d["admin"]["password"] = "new-admin-pass"
			}, rolls: true, results: []string{},
		},
		"SecretGoneKeepsThePod": {
			reason: "a deleted Secret keeps the running pod as it is and says so",
			change: func(d map[string]map[string]string) { d["ldap-bind-password"] = nil },
			results: []string{"SEVERITY_WARNING: spec.identity.ldap.bindPasswordSecretRef: Secret storage/ldap does not exist: " +
				"the DittoFS pod keeps the values it started with and is not restarted until the Secret can be read again"},
		},
		"KeyGoneKeepsThePod": {
			reason: "a Secret without a key the pod needs is as unreadable as a missing one",
			change: func(d map[string]map[string]string) { delete(d["tls-cert"], "tls.key") },
			results: []string{"SEVERITY_WARNING: spec.controlPlane.certSecretName: Secret storage/api-tls has no key tls.key: " +
				"the DittoFS pod keeps the values it started with and is not restarted until the Secret can be read again"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := everySecretData()
			tc.change(d)
			req := observeDesired(withPodSecrets(xrRequest(everySecretSpec), secretsByName, d), first, keyStatefulSet)
			rsp := compose(t, req)
			if diff := cmp.Diff(tc.results, resultStrings(rsp)); diff != "" {
				t.Errorf("%s: results -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.rolls, templateHash(t, rsp).Template != templateHash(t, first).Template); diff != "" {
				t.Errorf("%s: rolls -want +got:\n%s", tc.reason, diff)
			}
			sts := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, sts)
			for v := range maps.Values(sts.Annotations) {
				for _, secret := range everySecretData()["admin"] {
					if strings.Contains(v, secret) {
						t.Errorf("an annotation carries a secret value: %s", v)
					}
				}
			}
		})
	}
}
