package fn

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Rotation: every Secret the DittoFS pod reads at start is read here too (as
// a required resource), and the data the pod uses feeds the pod template's
// config hash, so a rotated password, certificate or keytab rolls DittoFS.
//
// What is recorded where:
//   - the pod template's annotationConfigHash is the roll token: changing it
//     rolls the pod, nothing else does;
//   - the StatefulSet's own annotationSecretsHash (metadata, never the
//     template: changing it rolls nothing) is the hash of what the running
//     pod was started from, so a later reconcile can tell a rotation from a
//     Secret that merely appeared;
//   - annotationAdminPassword is a keyed digest of the admin password
//     DittoFS first booted with, for the one Secret that must not roll.
const (
	annotationSecretsHash   = "dittofs.io/secrets-hash"
	annotationAdminPassword = "dittofs.io/admin-password-digest"
)

// requiredPodSecretPrefix names the required resources through which
// Crossplane hands the function the pod's Secrets, one per role.
const requiredPodSecretPrefix = "pod-secret-"

// rotationPolicy says what a changed Secret does to the running pod.
type rotationPolicy int

const (
	// rotationRolls: DittoFS reads it at start only; a change rolls the pod.
	rotationRolls rotationPolicy = iota
	// rotationWarns: DittoFS reads it on first boot only (the admin's
	// initial password), so restarting would change nothing: a change gets
	// a warning until something applies it through DittoFS's API.
	rotationWarns
)

// Something DittoFS re-reads while running (a future in-pod reconciler's
// declared shares, share users' Secrets) is not a podSecret at all: it must
// neither roll the pod nor hold a roll back. Only podSecrets lists inputs.

// podSecret is one Secret the DittoFS pod reads at start, and the keys it
// reads from it.
type podSecret struct {
	// Role names it in requirements and messages; stable per spec.
	Role string
	// Field is the spec field that makes the pod read it; What says what
	// the Secret is, when its name is not the user's ("Secret" otherwise).
	Field, What string
	Secret      string
	// Keys the pod cannot start without; OptionalKeys it reads when there.
	Keys, OptionalKeys []string
	Policy             rotationPolicy
}

// podSecrets is the explicit list of what the DittoFS pod reads from Secrets
// at start (its env secretKeyRefs and Secret volumes), apart from the
// Secrets the function generates itself (their values are in the config
// hash already). TestPodSecretsCoverThePod checks it against the pod
// template, both ways.
func podSecrets(ds spec.DittoServer) []podSecret {
	s := ds.Spec
	var list []podSecret
	add := func(role, field string, ref v1alpha1.SecretKeySelector, policy rotationPolicy) {
		list = append(list, podSecret{Role: role, Field: field, Secret: ref.Name, Keys: []string{ref.Key}, Policy: policy})
	}
	if s.Identity.JWT.SecretRef != nil {
		add("jwt", "spec.identity.jwt.secretRef", build.JWTRef(ds), rotationRolls)
	}
	if s.Identity.Admin.PasswordSecretRef != nil {
		add("admin", "spec.identity.admin.passwordSecretRef", build.AdminPasswordRef(ds), rotationWarns)
	}
	list = append(list, databasePodSecrets(ds)...)
	if l := s.Identity.LDAP; l != nil {
		if l.BindPasswordSecretRef != nil {
			add("ldap-bind-password", "spec.identity.ldap.bindPasswordSecretRef", *l.BindPasswordSecretRef, rotationRolls)
		}
		if l.CACertSecretRef != nil {
			add("ldap-ca", "spec.identity.ldap.caCertSecretRef", build.KeyOr(*l.CACertSecretRef, "ca.crt"), rotationRolls)
		}
	}
	if k := s.Identity.Kerberos; k != nil && k.Enabled {
		if k.KeytabSecretRef != nil {
			add("kerberos-keytab", "spec.identity.kerberos.keytabSecretRef", build.KeyOr(*k.KeytabSecretRef, "dittofs.keytab"), rotationRolls)
		}
		if k.Krb5ConfSecretRef != nil {
			add("kerberos-krb5", "spec.identity.kerberos.krb5ConfSecretRef", build.KeyOr(*k.Krb5ConfSecretRef, "krb5.conf"), rotationRolls)
		}
		if m := k.MachineAccount; m != nil && m.Enabled {
			if m.SecretRef != nil {
				add("kerberos-machine-password", "spec.identity.kerberos.machineAccount.secretRef", *m.SecretRef, rotationRolls)
			}
			if m.KeytabSecretRef != nil {
				add("kerberos-machine-keytab", "spec.identity.kerberos.machineAccount.keytabSecretRef", build.KeyOr(*m.KeytabSecretRef, "machine.keytab"), rotationRolls)
			}
		}
	}
	if c := s.ControlPlane; c.CertSecretName != "" {
		list = append(list, podSecret{Role: "tls-cert", Field: "spec.controlPlane.certSecretName", Secret: c.CertSecretName, Keys: []string{"tls.crt", "tls.key"}})
		if c.ClientCASecretName != "" {
			add("tls-client-ca", "spec.controlPlane.clientCASecretName", v1alpha1.SecretKeySelector{Name: c.ClientCASecretName, Key: "ca.crt"}, rotationRolls)
		}
	}
	if m := s.Metrics; m.Enabled && m.BearerTokenSecret != nil {
		add("metrics-token", "spec.metrics.bearerTokenSecret", build.KeyOr(*m.BearerTokenSecret, "token"), rotationRolls)
	}
	return list
}

// databasePodSecrets are the database Secrets the pods read: the user
// Secret and, when TLS is verified against one, its CA.
func databasePodSecrets(ds spec.DittoServer) []podSecret {
	src := build.PostgresSourceOf(ds)
	if src == nil {
		return nil
	}
	db := podSecret{
		Role: "database", Field: "spec.database.postgresSecretRef", Secret: src.Secret,
		Keys: []string{"host", src.DatabaseKey, "user", "password"}, OptionalKeys: []string{"port"},
	}
	var ca podSecret
	if src.CA != nil {
		ref := build.KeyOr(*src.CA, "ca.crt")
		ca = podSecret{Role: "database-ca", Field: "spec.database.caSecretRef", Secret: ref.Name, Keys: []string{ref.Key}}
	}
	if build.DatabaseKind(ds.Spec) == "percona" {
		db.Field, db.What = "spec.percona.enabled", "the Percona operator's user Secret"
		ca.Field, ca.What = "spec.percona.enabled", "the Percona operator's cluster CA Secret"
	}
	if src.CA != nil {
		return []podSecret{db, ca}
	}
	return []podSecret{db}
}

func (s podSecret) what() string {
	if s.What == "" {
		return "Secret"
	}
	return s.What
}

// secretRead is what the function could read of one podSecret.
type secretRead struct {
	// Values of Keys and OptionalKeys, in that order; nil for an absent
	// optional key. Secret values: never log them.
	Values [][]byte
	// Problem says why the pod could not start with it now (the Secret or a
	// key it needs is missing); Waiting that Crossplane has not fetched it.
	Problem string
	Waiting bool
}

func (r secretRead) usable() bool { return !r.Waiting && r.Problem == "" }

// requirePodSecrets asks Crossplane for every podSecret. The list depends on
// the spec alone, so the requirements are the same on every call.
func (c *composer) requirePodSecrets(list []podSecret) {
	for _, s := range list {
		c.require(requiredPodSecretPrefix+s.Role, &fnv1.ResourceSelector{
			ApiVersion: "v1",
			Kind:       "Secret",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: s.Secret},
			Namespace:  ptr.To(c.ds.Namespace),
		})
	}
}

// readPodSecret reads the keys s names straight from the required Secret's
// data (base64 strings), without decoding the rest of it.
func readPodSecret(req *fnv1.RunFunctionRequest, ns string, s podSecret) secretRead {
	found, resolved := req.GetRequiredResources()[requiredPodSecretPrefix+s.Role]
	if !resolved {
		return secretRead{Waiting: true}
	}
	if len(found.GetItems()) == 0 {
		return secretRead{Problem: fmt.Sprintf("%s %s/%s does not exist", s.what(), ns, s.Secret)}
	}
	fields := found.GetItems()[0].GetResource().GetFields()
	data := fields["data"].GetStructValue().GetFields()
	// An API server never returns stringData; a Secret handed to
	// `crossplane render` may carry it.
	stringData := fields["stringData"].GetStructValue().GetFields()
	r := secretRead{Values: make([][]byte, 0, len(s.Keys)+len(s.OptionalKeys))}
	var missing []string
	for i, key := range slices.Concat(s.Keys, s.OptionalKeys) {
		b, ok := secretValue(data, stringData, key)
		if !ok && i < len(s.Keys) {
			missing = append(missing, key)
		}
		if ok && b == nil {
			b = []byte{} // present but empty is not absent
		}
		r.Values = append(r.Values, b)
	}
	if len(missing) > 0 {
		return secretRead{Problem: fmt.Sprintf("%s %s/%s has no key %s", s.what(), ns, s.Secret, strings.Join(missing, ", "))}
	}
	return r
}

// secretValue is one key of a Secret's data (base64) or stringData.
func secretValue(data, stringData map[string]*structpb.Value, key string) ([]byte, bool) {
	if v, ok := stringData[key]; ok {
		return []byte(v.GetStringValue()), true
	}
	v, ok := data[key]
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(v.GetStringValue())
	return b, err == nil
}

// podHash is what the function records on the StatefulSet: the pod
// template's roll token and the hash of what the pod was started from.
type podHash struct {
	Template string // annotationConfigHash on the pod template
	Secrets  string // annotationSecretsHash on the StatefulSet
}

// secretsHash is the hash of everything the pod reads at start: base (the
// config and the generated Secrets, configHash) and the data of every
// podSecret that rolls. Without such Secrets it is base itself, so a server
// that reads none keeps the hash it had before Secrets were hashed. Every
// podSecret is length-prefixed (keytabs are binary). The JWT signing secret
// (generated, in base, or the user's, a podSecret) is always among the
// inputs, so the published hash cannot be used to guess a weak password
// without it.
func secretsHash(base string, list []podSecret, reads []secretRead) string {
	h := sha256.New()
	h.Write([]byte(base))
	n := 0
	for i, s := range list {
		if s.Policy != rotationRolls {
			continue
		}
		n++
		writeField(h, []byte(s.Role))
		writeField(h, []byte(s.Secret))
		for j, key := range slices.Concat(s.Keys, s.OptionalKeys) {
			writeField(h, []byte(key))
			if v := reads[i].Values[j]; v == nil {
				writeField(h, []byte("absent"))
			} else {
				writeField(h, []byte("value"))
				writeField(h, v)
			}
		}
	}
	if n == 0 {
		return base
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// pendingHash is the hash of a pod composed before its Secrets could all be
// read: it depends on base only, and marks the StatefulSet as started from
// whatever those Secrets hold once they appear.
func pendingHash(base string) string {
	sum := sha256.Sum256([]byte("secrets-pending\x00" + base))
	return hex.EncodeToString(sum[:])[:16]
}

func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// decidePodHash is the rotation rule. full is secretsHash (meaningful only
// when every podSecret is readable), observed what the observed StatefulSet
// records (zero without one).
//
//   - A Secret that cannot be read keeps the observed hash: a new pod could
//     not start, so never roll into it. It rolls once the Secret is back.
//   - First compose with a Secret not there yet (the Percona user Secret is
//     the operator's to write): the pod cannot start either until it is, so
//     it starts from whatever the Secret holds when it appears. It gets
//     pendingHash, and when the Secrets appear (and the config is the same)
//     the template hash is kept and only the recorded hash becomes the full
//     one: no roll for a Secret appearing, a roll for any change after.
//   - Otherwise the pod rolls when, and only when, the full hash differs
//     from the recorded one. A StatefulSet composed before the recorded hash
//     existed counts its template hash as recorded.
func decidePodHash(base, full string, readable bool, observed podHash) podHash {
	if observed.Template == "" {
		if readable {
			return podHash{Template: full, Secrets: full}
		}
		p := pendingHash(base)
		return podHash{Template: p, Secrets: p}
	}
	if !readable {
		return observed
	}
	recorded := observed.Secrets
	if recorded == "" {
		recorded = observed.Template
	}
	if full == recorded || recorded == pendingHash(base) {
		return podHash{Template: observed.Template, Secrets: full}
	}
	return podHash{Template: full, Secrets: full}
}

// observedPodHash reads the two annotations off the observed StatefulSet,
// straight from the request (the pod template is not otherwise decoded).
func (c *composer) observedPodHash() podHash {
	sts := c.req.GetObserved().GetResources()[string(keyStatefulSet)].GetResource()
	if sts == nil {
		return podHash{}
	}
	meta := sts.GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()
	tmpl := sts.GetFields()["spec"].GetStructValue().GetFields()["template"].GetStructValue().
		GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()
	return podHash{Template: tmpl[build.AnnotationConfigHash].GetStringValue(), Secrets: meta[annotationSecretsHash].GetStringValue()}
}

// observedAnnotation is one annotation of the observed StatefulSet.
func (c *composer) observedAnnotation(key string) string {
	sts := c.req.GetObserved().GetResources()[string(keyStatefulSet)].GetResource()
	return sts.GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()[key].GetStringValue()
}

// rotation is what composing the StatefulSet needs from the pod's Secrets.
type rotation struct {
	Hash podHash
	// AdminDigest is annotationAdminPassword, "" when not recorded.
	AdminDigest string
}

// podRotation reads the pod's Secrets and decides the StatefulSet's hashes,
// warning about Secrets that cannot be read and an admin Secret changed
// since first boot. base is configHash of the config and generated Secrets.
func (c *composer) podRotation(base string, g generatedSecrets) rotation {
	list := podSecrets(c.ds)
	reads := make([]secretRead, len(list))
	readable := true
	for i, s := range list {
		reads[i] = readPodSecret(c.req, c.ds.Namespace, s)
		readable = readable && reads[i].usable()
	}
	observed := c.observedPodHash()
	full := ""
	if readable {
		full = secretsHash(base, list, reads)
	} else {
		c.warnUnreadable(list, reads, observed.Template != "")
	}
	return rotation{
		Hash:        decidePodHash(base, full, readable, observed),
		AdminDigest: c.adminDigest(list, reads, g, readable),
	}
}

// warnUnreadable names each Secret the pod could not start with, and what
// that means for the pod. Not fetched yet is no problem: Crossplane calls
// again with it.
func (c *composer) warnUnreadable(list []podSecret, reads []secretRead, running bool) {
	for i, r := range reads {
		if r.Problem == "" {
			continue
		}
		then := "DittoFS starts once it can be read; until then its pod waits"
		if running {
			then = "the DittoFS pod keeps the values it started with and is not restarted until the Secret can be read again"
		}
		response.Warning(c.rsp, errors.Errorf("%s: %s: %s", list[i].Field, r.Problem, then)).TargetCompositeAndClaim()
	}
}

// adminDigest keeps the digest of the admin password DittoFS first booted
// with, and warns while the admin Secret holds another one: DittoFS v0.29.0
// reads DITTOFS_ADMIN_INITIAL_PASSWORD only when it creates the admin user,
// so a restart would change nothing. The digest is keyed with the JWT
// signing secret (a StatefulSet reader must not be able to test password
// guesses against it) and carries a digest of that key, so that when the JWT
// secret rotates the comparison restarts from the admin Secret as it is then.
func (c *composer) adminDigest(list []podSecret, reads []secretRead, g generatedSecrets, readable bool) string {
	observed := c.observedAnnotation(annotationAdminPassword)
	admin := slices.IndexFunc(list, func(s podSecret) bool { return s.Policy == rotationWarns })
	if admin < 0 {
		return ""
	}
	if !readable {
		return observed
	}
	jwt := g.JWT
	if i := slices.IndexFunc(list, func(s podSecret) bool { return s.Role == "jwt" }); i >= 0 {
		jwt = reads[i].Values[0]
	}
	now := keyedDigest(jwt, "jwt-key") + "." + keyedDigest(jwt, "admin-password\x00"+string(reads[admin].Values[0]))
	keyNow, _, _ := strings.Cut(now, ".")
	keyThen, _, _ := strings.Cut(observed, ".")
	if observed == "" || keyThen != keyNow || observed == now {
		return now
	}
	s := list[admin]
	response.Warning(c.rsp, errors.Errorf("%s: the password in Secret %s/%s (key %s) changed since DittoFS first started. DittoFS reads DITTOFS_ADMIN_INITIAL_PASSWORD only on its first boot, so its admin still logs in with the old password, and the pod is not restarted for it: change the password through DittoFS's API as well (dfsctl), or put the old value back",
		s.Field, c.ds.Namespace, s.Secret, s.Keys[0])).TargetCompositeAndClaim()
	return observed
}

// keyedDigest is a short HMAC-SHA256 of msg under key.
func keyedDigest(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))[:16]
}
