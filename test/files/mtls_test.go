package files

import (
	"crypto/tls"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/marmos91/dittofs/pkg/apiclient"
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// reconcilerClientSecret is the reconciler's client certificate Secret in
// example/fileservice-mtls (spec.controlPlane.reconcilerClientCertSecretName).
const reconcilerClientSecret = "files-reconciler-client-tls"

// TestRenderedReconcilerOverMTLS: the pod the function renders for
// example/fileservice-mtls, run as processes. dfs serves its API over TLS
// and, from the rendered config's client CA (files-api-clients' ca.crt),
// requires and verifies client certificates (v0.29.0:
// tls.RequireAndVerifyClientCert). The cmd/reconciler binary runs with the
// rendered args unchanged but for ports, presenting tls.crt and tls.key of
// the mounted files-reconciler-client-tls: it applies the declaration. The
// same reconciler without a client certificate, or with one another CA
// signed, is refused by dfs in the TLS handshake and applies nothing.
func TestRenderedReconcilerOverMTLS(t *testing.T) {
	realdfs.SkipShort(t)
	r := renderExample(t, "fileservice-mtls")
	rendered, ok := r.ConfigMaps["files-fileservice"][spec.DeclaredConfigKey]
	if !ok {
		t.Fatalf("the render has no ConfigMap files-fileservice with %s: %v", spec.DeclaredConfigKey, r.ConfigMaps)
	}
	serverCA := newCA(t, "files-api-ca")
	clientCA := newCA(t, "files-api-clients")
	cert, err := serverCA.ServerOnly("files-api", apiServiceName, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	reconcilerCert, err := clientCA.Client("fileservice-reconciler")
	if err != nil {
		t.Fatal(err)
	}
	// This test's own client (dfs's readiness polls, the admin checks) is
	// a client like any other under mTLS.
	testCert, err := clientCA.Client("test")
	if err != nil {
		t.Fatal(err)
	}
	r.Secrets["files-api-tls"] = map[string]string{"tls.crt": string(cert.CertPEM), "tls.key": string(cert.KeyPEM)}
	r.Secrets["files-api-clients"] = map[string]string{"ca.crt": string(clientCA.CertPEM)}
	r.Secrets[reconcilerClientSecret] = map[string]string{"tls.crt": string(reconcilerCert.CertPEM), "tls.key": string(reconcilerCert.KeyPEM)}
	in, err := realdfs.RenderedInput(t, r, nil, realdfs.PGDatabase{}, "")
	if err != nil {
		t.Fatal(err)
	}
	testPair, err := testCert.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	in.APIHost = "localhost"
	in.APITLS = &tls.Config{RootCAs: serverCA.Pool(), Certificates: []tls.Certificate{testPair}, MinVersion: tls.VersionTLS12}
	d, err := realdfs.StartDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for f, b := range map[string][]byte{caFile: serverCA.CertPEM, certFile: testCert.CertPEM, keyFile: testCert.KeyPEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &pod{t: t, in: in, dfs: d, root: t.TempDir(), adminPass: in.AdminPassword, apiOpts: []apiclient.ClientOption{apiclient.WithCACert(caFile), apiclient.WithClientCert(certFile, keyFile)}}
	p.moveAdapters()
	base, err := url.Parse(d.Base)
	if err != nil {
		t.Fatal(err)
	}
	ports := func(flag, value string) string {
		switch flag {
		case "--api-url":
			return "https://" + net.JoinHostPort(apiServiceName, base.Port())
		case "--api-address":
			return "127.0.0.1:" + base.Port()
		}
		return value
	}

	t.Run("dfs refuses a client without a certificate", func(t *testing.T) {
		// The check that makes the rest mean something: this dfs does
		// verify client certificates.
		c := apiclient.New(d.Base, apiclient.WithCACert(caFile))
		if _, err := c.Login("admin", in.AdminPassword); err == nil {
			t.Fatal("dfs let a client without a certificate log in: it does not require client certificates")
		}
	})

	// Refused: the reconciler's pass fails in the TLS handshake (which
	// side reports it first is a race under TLS 1.3, hence the
	// alternatives), it is not ready, nothing is applied, and dfs logs
	// why it refused the handshake.
	refusedBy := func(t *testing.T, rp *reconcilerProcess, dfsSays string) {
		t.Helper()
		refusedMatching(t, rp, regexp.MustCompile(`remote error: tls: (certificate required|bad certificate|unknown certificate authority)|connection reset by peer|broken pipe|EOF`))
		if _, err := p.admin().GetShare("/export"); err == nil {
			t.Error("the declared share /export exists: a refused reconciler applied it")
		}
		if stdout, stderr := d.Logs(); !strings.Contains(stdout+stderr, dfsSays) {
			t.Errorf("dfs did not log %q:\n%s\n%s", dfsSays, stdout, stderr)
		}
	}

	t.Run("refused without a client certificate", func(t *testing.T) {
		without := r
		without.StatefulSet = r.StatefulSet.DeepCopy()
		stripClientCertFlags(t, without)
		rp := startRenderedReconciler(t, without, in, p, rendered, ports)
		refusedBy(t, rp, "tls: client didn't provide a certificate")
	})

	t.Run("refused with a certificate another CA signed", func(t *testing.T) {
		// The impostor CA has the client CA's name, so the reconciler's
		// TLS client does offer its certificate (it offers only one
		// whose issuer the server names as acceptable): dfs itself
		// checks the signature and refuses it.
		impostor, err := newCA(t, "files-api-clients").Client("fileservice-reconciler")
		if err != nil {
			t.Fatal(err)
		}
		other := r
		other.Secrets = map[string]map[string]string{}
		for k, v := range r.Secrets {
			other.Secrets[k] = v
		}
		other.Secrets[reconcilerClientSecret] = map[string]string{"tls.crt": string(impostor.CertPEM), "tls.key": string(impostor.KeyPEM)}
		rp := startRenderedReconciler(t, other, in, p, rendered, ports)
		refusedBy(t, rp, "x509: certificate signed by unknown authority")
	})

	t.Run("applies, presenting the mounted client certificate", func(t *testing.T) {
		rp := startRenderedReconciler(t, r, in, p, rendered, ports)
		args := strings.Join(rp.container.Args, " ")
		for _, want := range []string{"--api-client-cert=/etc/dittofs-api-client-tls/tls.crt", "--api-client-key=/etc/dittofs-api-client-tls/tls.key"} {
			if !strings.Contains(args, want) {
				t.Errorf("the reconciler's args lack %s: %s", want, args)
			}
		}
		rp.waitReady(t)
		if share, err := p.admin().GetShare("/export"); err != nil || share.Name != "/export" {
			t.Errorf("the declared share /export over mTLS: %+v, %v", share, err)
		}
		rp.stop(t)
		for _, secret := range []string{in.AdminPassword, string(reconcilerCert.KeyPEM), string(cert.KeyPEM)} {
			if strings.Contains(rp.stdout.String()+rp.stderr.String(), secret) {
				t.Error("the reconciler binary logged a secret")
			}
		}
	})
}

func newCA(t *testing.T, name string) *testpki.KeyPair {
	t.Helper()
	ca, err := testpki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// stripClientCertFlags drops --api-client-cert and --api-client-key from
// the rendered reconciler container: the pod as it was before
// reconcilerClientCertSecretName existed.
func stripClientCertFlags(t *testing.T, r realdfs.Rendered) {
	t.Helper()
	cs := r.StatefulSet.Spec.Template.Spec.Containers
	i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == "fileservice-reconciler" })
	if i < 0 {
		t.Fatal("the render has no fileservice-reconciler container")
	}
	n := len(cs[i].Args)
	cs[i].Args = slices.DeleteFunc(cs[i].Args, func(a string) bool {
		return strings.HasPrefix(a, "--api-client-cert=") || strings.HasPrefix(a, "--api-client-key=")
	})
	if len(cs[i].Args) != n-2 {
		t.Fatalf("the rendered reconciler has not both client certificate flags: %v", cs[i].Args)
	}
}
