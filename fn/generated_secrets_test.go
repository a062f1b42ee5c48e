package fn

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// counting returns n bytes from, from+1, ...: what countingReader yields.
func counting(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

func TestGeneratedSecretsFirstCompose(t *testing.T) {
	// The JWT secret is read first (bytes 0..31), then the admin password
	// (bytes 32..49).
	jwt := base64.RawURLEncoding.EncodeToString(counting(0, 32))
	password := base64.RawURLEncoding.EncodeToString(counting(32, 18))
	if len(jwt) != 43 || len(password) != 24 {
		t.Fatalf("len(jwt) = %d, len(password) = %d; want 43 and 24", len(jwt), len(password))
	}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "storage", Labels: fixture.DittoServer(fixture.MinimalSpec()).Labels(spec.ComponentServer)}
	}
	typeMeta := metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}
	want := map[string]*corev1.Secret{
		"jwt-secret": {
			TypeMeta: typeMeta, ObjectMeta: meta("files-jwt"), Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"jwt-secret": []byte(jwt)},
		},
		"admin-secret": {
			TypeMeta: typeMeta, ObjectMeta: meta("files-admin"), Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"username": []byte("admin"), "password": []byte(password)},
		},
	}

	rsp := compose(t, xrRequest(`{"storage":{"metadataSize":"10Gi"}}`))
	got := map[string]*corev1.Secret{}
	for _, key := range []string{"jwt-secret", "admin-secret"} {
		s := &corev1.Secret{}
		desiredInto(t, rsp, resource.Name(key), s)
		got[key] = s
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunFunction(): generated Secrets: -want, +got:\n%s", diff)
	}
}

// TestGeneratedSecretsNeverChange: once composed, the generated values are
// carried forward from observed state. The later calls get a reader that
// fails, so any attempt to generate anew would be a Fatal result.
func TestGeneratedSecretsNeverChange(t *testing.T) {
	spec := `{"storage":{"metadataSize":"10Gi"}}`
	first := compose(t, xrRequest(spec))
	if len(first.GetResults()) != 0 {
		t.Fatalf("first compose results: %v", resultStrings(first))
	}
	prev := first
	for _, call := range []string{"second", "third"} {
		req := observeDesired(xrRequest(spec), prev, keyJWTSecret, keyAdminSecret)
		rsp := compose(t, req, WithRandom(bytes.NewReader(nil)))
		if got := resultStrings(rsp); len(got) != 0 {
			t.Fatalf("%s call results: %v", call, got)
		}
		for _, key := range []string{"jwt-secret", "admin-secret", "connection-secret"} {
			want := first.GetDesired().GetResources()[key].GetResource()
			got := rsp.GetDesired().GetResources()[key].GetResource()
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s call: %s changed: -first, +now:\n%s", call, key, diff)
			}
		}
		if want, got := statusConfigHash(first), statusConfigHash(rsp); want == "" || want != got {
			t.Errorf("%s call: status.configHash = %q, want %q", call, got, want)
		}
		if want, got := templateConfigHash(t, first), templateConfigHash(t, rsp); want == "" || want != got {
			t.Errorf("%s call: pod config-hash annotation = %q, want %q", call, got, want)
		}
		prev = rsp
	}
}

func templateConfigHash(t *testing.T, rsp *fnv1.RunFunctionResponse) string {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	desiredInto(t, rsp, keyStatefulSet, sts)
	return sts.Spec.Template.Annotations[build.AnnotationConfigHash]
}

func TestGeneratedSecretsFailWithoutRandom(t *testing.T) {
	rsp := compose(t, xrRequest(`{"storage":{"metadataSize":"10Gi"}}`), WithRandom(bytes.NewReader(nil)))
	want := summary{
		Desired:    map[string]string{},
		Results:    []string{"SEVERITY_FATAL: cannot generate jwt-secret: EOF"},
		Conditions: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/InvalidSpec"},
	}
	if diff := cmp.Diff(want, summarize(rsp, "FunctionSuccess"), cmpSummary()); diff != "" {
		t.Errorf("RunFunction(): -want, +got:\n%s", diff)
	}
}

// TestUserSuppliedSecrets: a ref means the function generates nothing for
// that value and DittoFS reads it from the user's Secret.
func TestUserSuppliedSecrets(t *testing.T) {
	type outcome struct {
		Generated      []string
		Env            []corev1.EnvVar
		ConnectionKeys []string
	}
	secretRef := func(name, key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
	}
	generatedEnv := []corev1.EnvVar{
		{Name: "DITTOFS_ADMIN_INITIAL_PASSWORD", ValueFrom: secretRef("files-admin", "password")},
		{Name: "DITTOFS_CONTROLPLANE_SECRET", ValueFrom: secretRef("files-jwt", "jwt-secret")},
	}
	allConnection := []string{"admin-password", "admin-username", "api-url", "nfs-endpoint", "smb-endpoint"}

	cases := map[string]struct {
		reason   string
		identity *v1alpha1.IdentitySpec
		want     outcome
	}{
		"NoRefsGenerateBoth": {
			reason: "Without refs the function generates both Secrets, DittoFS reads them through env, and the connection Secret carries the generated password.",
			want:   outcome{Generated: []string{"admin-secret", "jwt-secret"}, Env: generatedEnv, ConnectionKeys: allConnection},
		},
		"JWTRefDefaultKey": {
			reason:   "A JWT ref without a key reads key jwt-secret of the user's Secret, and only the admin Secret is generated.",
			identity: &v1alpha1.IdentitySpec{JWT: &v1alpha1.JWTSpec{SecretRef: &v1alpha1.SecretKeySelector{Name: "my-jwt"}}},
			want: outcome{
				Generated: []string{"admin-secret"},
				Env: []corev1.EnvVar{
					generatedEnv[0],
					{Name: "DITTOFS_CONTROLPLANE_SECRET", ValueFrom: secretRef("my-jwt", "jwt-secret")},
				},
				ConnectionKeys: allConnection,
			},
		},
		"JWTRefWithKey": {
			reason:   "A JWT ref's key is the key DittoFS reads, so a Secret laid out another way is used as it is.",
			identity: &v1alpha1.IdentitySpec{JWT: &v1alpha1.JWTSpec{SecretRef: &v1alpha1.SecretKeySelector{Name: "my-jwt", Key: "signing"}}},
			want: outcome{
				Generated: []string{"admin-secret"},
				Env: []corev1.EnvVar{
					generatedEnv[0],
					{Name: "DITTOFS_CONTROLPLANE_SECRET", ValueFrom: secretRef("my-jwt", "signing")},
				},
				ConnectionKeys: allConnection,
			},
		},
		"AdminRefDefaultKey": {
			reason:   "An admin ref reads key password of the user's Secret, and the connection Secret leaves the password out: the user holds it already.",
			identity: &v1alpha1.IdentitySpec{Admin: &v1alpha1.AdminSpec{PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "my-admin"}}},
			want: outcome{
				Generated: []string{"jwt-secret"},
				Env: []corev1.EnvVar{
					{Name: "DITTOFS_ADMIN_INITIAL_PASSWORD", ValueFrom: secretRef("my-admin", "password")},
					generatedEnv[1],
				},
				ConnectionKeys: []string{"admin-username", "api-url", "nfs-endpoint", "smb-endpoint"},
			},
		},
		"BothRefsWithKeys": {
			reason: "With both refs nothing is generated and the random source is never read (an exhausted reader proves it), and both keys are honoured.",
			identity: &v1alpha1.IdentitySpec{
				JWT:   &v1alpha1.JWTSpec{SecretRef: &v1alpha1.SecretKeySelector{Name: "my-jwt", Key: "k"}},
				Admin: &v1alpha1.AdminSpec{PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "my-admin", Key: "pw"}},
			},
			want: outcome{
				Generated: []string{},
				Env: []corev1.EnvVar{
					{Name: "DITTOFS_ADMIN_INITIAL_PASSWORD", ValueFrom: secretRef("my-admin", "pw")},
					{Name: "DITTOFS_CONTROLPLANE_SECRET", ValueFrom: secretRef("my-jwt", "k")},
				},
				ConnectionKeys: []string{"admin-username", "api-url", "nfs-endpoint", "smb-endpoint"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.Identity = tc.identity
			// With both refs set the function must not read random at all:
			// an exhausted reader proves it.
			var opts []Option
			if tc.identity != nil && tc.identity.JWT != nil && tc.identity.Admin != nil {
				opts = append(opts, WithRandom(bytes.NewReader(nil)))
			}
			rsp := compose(t, specRequest(t, s), opts...)
			if r := resultStrings(rsp); len(r) != 0 {
				t.Fatalf("results: %v", r)
			}
			got := outcome{Generated: []string{}}
			for _, k := range desiredKeys(rsp) {
				if k == "jwt-secret" || k == "admin-secret" {
					got.Generated = append(got.Generated, k)
				}
			}
			sts := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, sts)
			for _, e := range sts.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "DITTOFS_ADMIN_INITIAL_PASSWORD" || e.Name == "DITTOFS_CONTROLPLANE_SECRET" {
					got.Env = append(got.Env, e)
				}
			}
			conn := &corev1.Secret{}
			desiredInto(t, rsp, keyConnection, conn)
			for k := range conn.Data {
				got.ConnectionKeys = append(got.ConnectionKeys, k)
			}
			sort.Strings(got.ConnectionKeys)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): generated Secrets, their env and connection keys: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestConfigHashFollowsSecrets: the hash moves with a generated value (a
// restored Secret must restart DittoFS) and with config.yaml. Each case
// hashes two inputs and says whether the hashes must be equal.
func TestConfigHashFollowsSecrets(t *testing.T) {
	type hashInput struct {
		config string
		g      generatedSecrets
	}
	generated := generatedSecrets{JWT: []byte("a"), AdminPassword: []byte("b")}
	cases := map[string]struct {
		reason string
		a, b   hashInput
		same   bool
	}{
		"SameInputsSameHash": {
			reason: "The hash depends on its inputs only, so a reconcile of an unchanged XR does not restart DittoFS.",
			a:      hashInput{"config", generated},
			b:      hashInput{"config", generatedSecrets{JWT: []byte("a"), AdminPassword: []byte("b")}},
			same:   true,
		},
		"ConfigChanged": {
			reason: "DittoFS reads config.yaml only at start, so a changed config must change the hash and roll the pod.",
			a:      hashInput{"config", generated},
			b:      hashInput{"config2", generated},
		},
		"JWTChanged": {
			reason: "A JWT Secret restored with another value must restart DittoFS, which reads it only at start.",
			a:      hashInput{"config", generated},
			b:      hashInput{"config", generatedSecrets{JWT: []byte("x"), AdminPassword: []byte("b")}},
		},
		"PasswordChanged": {
			reason: "An admin Secret restored with another password must restart DittoFS, which reads it only at start.",
			a:      hashInput{"config", generated},
			b:      hashInput{"config", generatedSecrets{JWT: []byte("a"), AdminPassword: []byte("x")}},
		},
		"BoundariesAreKept": {
			reason: "Each part is terminated before the next, so a byte moving from the password to the JWT still changes the hash.",
			a:      hashInput{"config", generated},
			b:      hashInput{"config", generatedSecrets{JWT: []byte("ab"), AdminPassword: []byte("")}},
		},
		"UserRefsConfigChanged": {
			reason: "With both values in the user's Secrets nothing is generated, and the hash still follows config.yaml.",
			a:      hashInput{"config", generatedSecrets{}},
			b:      hashInput{"config2", generatedSecrets{}},
		},
	}
	call := func(in hashInput) string {
		return fmt.Sprintf("configHash(%q, {JWT: %q, AdminPassword: %q})", in.config, in.g.JWT, in.g.AdminPassword)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := configHash(tc.a.config, tc.a.g), configHash(tc.b.config, tc.b.g)
			for _, h := range []string{a, b} {
				if len(h) != 16 {
					t.Errorf("%s\nconfigHash() = %q, want 16 hex characters", tc.reason, h)
				}
			}
			if diff := cmp.Diff(tc.same, a == b); diff != "" {
				t.Errorf("%s\n%s == %s: -want, +got:\n%s", tc.reason, call(tc.a), call(tc.b), diff)
			}
		})
	}
}
