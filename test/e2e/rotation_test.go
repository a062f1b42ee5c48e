package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The function's annotations on the DittoFS StatefulSet: the pod template's
// roll token, and (on the StatefulSet itself) the hash of what the pod was
// started from.
const (
	configHashAnnotation  = "dittofs.io/config-hash"
	secretsHashAnnotation = "dittofs.io/secrets-hash"
)

// rotation rotates the Percona user's password the way the Percona and
// Crunchy docs say (remove the password and verifier keys from
// <cluster>-pguser-<user>), lets the real operator generate new ones, and
// checks that the next reconcile rolls the DittoFS pod template onto a new
// hash, with nothing else done to the XR. Before that, a change to the Secret that DittoFS does not read (a
// label) must not roll it.
func (e *env) rotation(t *testing.T) {
	defer e.sub(t)()
	const userSecret = "files-postgres-pguser-dittofs"
	sts := e.mustExist("apps/v1", "StatefulSet", ns, "files", time.Second)
	before, recorded := podTemplateHash(sts), sts.GetAnnotations()[secretsHashAnnotation]
	if before == "" || recorded == "" {
		t.Fatalf("StatefulSet files has config hash %q and recorded secrets hash %q: want both", before, recorded)
	}
	if s := str(e.xr("files"), "status", "configHash"); s != before {
		t.Errorf("XR status.configHash %q, pod template %q", s, before)
	}
	generation := sts.GetGeneration()

	// Nothing DittoFS reads changes: no roll.
	if err := e.admin.patch(e.ctx, "v1", "Secret", ns, userSecret, `{"metadata":{"labels":{"e2e.dittofs.io/touched":"yes"}}}`); err != nil {
		t.Fatal(err)
	}
	e.reconcileXR("files", "label")
	time.Sleep(5 * time.Second)
	if h := podTemplateHash(e.mustExist("apps/v1", "StatefulSet", ns, "files", time.Second)); h != before {
		t.Fatalf("a label on %s rolled the pod: config hash %s -> %s", userSecret, before, h)
	}

	old := e.mustExist("v1", "Secret", ns, userSecret, time.Second)
	oldPassword, oldVerifier := str(old, "data", "password"), str(old, "data", "verifier")
	if oldPassword == "" || oldVerifier == "" {
		t.Fatalf("%s has no password or verifier before the rotation (keys %v)", userSecret, keys(old))
	}
	start := time.Now()
	if err := e.admin.patch(e.ctx, "v1", "Secret", ns, userSecret, `{"data":{"password":null,"verifier":null}}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("the Percona operator generates a new password and verifier", 60*time.Second, func() error {
		s, err := e.admin.get(e.ctx, "v1", "Secret", ns, userSecret)
		if err != nil {
			return err
		}
		p, v := str(s, "data", "password"), str(s, "data", "verifier")
		if p == "" || v == "" {
			return fmt.Errorf("keys %v", keys(s))
		}
		if p == oldPassword || v == oldVerifier {
			return fmt.Errorf("password or verifier unchanged")
		}
		return nil
	})
	t.Logf("the operator regenerated the password of %s after %s", userSecret, time.Since(start).Round(100*time.Millisecond))

	// Nothing else is done to the XR: Crossplane watches the Secrets a
	// function required (realtime compositions), so the change reaches the
	// function by itself (else at the XR's next poll, within the timeout).
	var after *unstructured.Unstructured
	e.eventually("the next reconcile rolls the DittoFS pod template", 120*time.Second, func() error {
		s, err := e.admin.get(e.ctx, "apps/v1", "StatefulSet", ns, "files")
		if err != nil {
			return err
		}
		if podTemplateHash(s) == before {
			return fmt.Errorf("config hash still %s", before)
		}
		after = s
		return nil
	})
	rolled := podTemplateHash(after)
	t.Logf("config hash %s -> %s, %s after the rotation", before, rolled, time.Since(start).Round(100*time.Millisecond))
	if r := after.GetAnnotations()[secretsHashAnnotation]; r != rolled {
		t.Errorf("after the roll the recorded secrets hash is %q, want the new config hash %q", r, rolled)
	}
	if after.GetGeneration() <= generation {
		t.Errorf("StatefulSet generation %d -> %d: the pod template did not change", generation, after.GetGeneration())
	}
	e.eventually("XR status.configHash follows", 30*time.Second, func() error {
		if s := str(e.xr("files"), "status", "configHash"); s != rolled {
			return fmt.Errorf("status.configHash %q", s)
		}
		return nil
	})

	// The rolled pod is up (as the StatefulSet controller would report it),
	// for the steps after this one.
	e.fakeStatefulSetStatus(ns, "files", 1)
	e.synced(xrAPI, "DittoServer", ns, "files")
}

// reconcileXR makes Crossplane reconcile the XR now instead of at its next
// poll: a change to its metadata is an event on the XR.
func (e *env) reconcileXR(name, value string) {
	e.t.Helper()
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, name, fmt.Sprintf(`{"metadata":{"annotations":{"e2e.dittofs.io/reconcile":%q}}}`, value)); err != nil {
		e.t.Fatal(err)
	}
}

func podTemplateHash(sts *unstructured.Unstructured) string {
	a, _, _ := unstructured.NestedStringMap(sts.Object, "spec", "template", "metadata", "annotations")
	return a[configHashAnnotation]
}
