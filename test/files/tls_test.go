package files

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// apiServiceName is the name example/fileservice-tls's reconciler verifies
// DittoFS's certificate for: the API Service's, as status.endpoints.api
// publishes it.
const apiServiceName = "files-api.storage.svc.cluster.local"

// TestRenderedReconcilerOverTLS: the pod the function renders for
// example/fileservice-tls, run as processes. dfs serves its API over TLS
// with a certificate for the API Service's name (and localhost, for this
// test's own client), not for 127.0.0.1; the cmd/reconciler binary runs
// with the rendered args unchanged but for ports: it dials 127.0.0.1
// (--api-address), verifies the Service name from --api-url against the
// one certificate mounted from the Secret's tls.crt, and applies the
// declaration. It refuses a server whose certificate carries another name
// than the one it verifies, and one whose certificate is not the mounted
// one.
func TestRenderedReconcilerOverTLS(t *testing.T) {
	realdfs.SkipShort(t)
	r := renderExample(t, "fileservice-tls")
	rendered, ok := r.ConfigMaps["files-fileservice"][spec.DeclaredConfigKey]
	if !ok {
		t.Fatalf("the render has no ConfigMap files-fileservice with %s: %v", spec.DeclaredConfigKey, r.ConfigMaps)
	}
	ca, err := testpki.NewCA("files-api-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerOnly("files-api", apiServiceName, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	// The Secret as cert-manager or a user makes it: only tls.crt and
	// tls.key, no ca.crt. The reconciler trusts tls.crt itself.
	r.Secrets["files-api-tls"] = map[string]string{"tls.crt": string(cert.CertPEM), "tls.key": string(cert.KeyPEM)}
	in, err := realdfs.RenderedInput(t, r, nil, realdfs.PGDatabase{}, "")
	if err != nil {
		t.Fatal(err)
	}
	in.APIHost, in.APITLS = "localhost", &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
	d, err := realdfs.StartDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &pod{t: t, in: in, dfs: d, root: t.TempDir(), adminPass: in.AdminPassword, apiOpts: []apiclient.ClientOption{apiclient.WithCACert(caFile)}}
	p.moveAdapters()
	base, err := url.Parse(d.Base)
	if err != nil {
		t.Fatal(err)
	}
	port := base.Port()
	r.Secrets["file-users"] = map[string]string{"alice": alicePassword}

	// ports maps the rendered API flags to this machine's API port, and
	// checks them: the URL names the Service, the address is loopback.
	ports := func(host string) func(flag, value string) string {
		return func(flag, value string) string {
			switch flag {
			case "--api-url":
				if value != "https://"+apiServiceName+":8080" {
					t.Errorf("--api-url=%s, want https://%s:8080", value, apiServiceName)
				}
				return "https://" + net.JoinHostPort(host, port)
			case "--api-address":
				if value != "127.0.0.1:8080" {
					t.Errorf("--api-address=%s, want 127.0.0.1:8080", value)
				}
				return "127.0.0.1:" + port
			}
			return value
		}
	}

	t.Run("applies, verifying the Service name on 127.0.0.1", func(t *testing.T) {
		rp := startRenderedReconciler(t, r, in, p, rendered, ports(apiServiceName))
		if got := strings.Join(rp.container.Args, " "); !strings.Contains(got, "--api-ca-file=/etc/dittofs-api-tls/tls.crt") {
			t.Errorf("the reconciler's args do not pin the mounted tls.crt: %s", got)
		}
		rp.waitReady(t)
		if share, err := p.admin().GetShare("/export"); err != nil || share.Name != "/export" {
			t.Errorf("the declared share /export over TLS: %+v, %v", share, err)
		}
		if m := getBody(t, "http://"+rp.listen+"/metrics"); !strings.Contains(m, `dittofs_reconciler_api_writes_total{kind="share",op="create"} 1`) {
			t.Errorf("/metrics of the binary:\n%s", m)
		}
		rp.stop(t)
		for _, secret := range []string{alicePassword, in.AdminPassword, string(cert.KeyPEM)} {
			if strings.Contains(rp.stdout.String()+rp.stderr.String(), secret) {
				t.Error("the reconciler binary logged a secret")
			}
		}
	})

	t.Run("refuses a certificate for another name", func(t *testing.T) {
		rp := startRenderedReconciler(t, r, in, p, rendered, ports("files-api.other.svc.cluster.local"))
		refused(t, rp, "x509: certificate is valid for")
	})

	t.Run("refuses a certificate that is not the mounted one", func(t *testing.T) {
		other, err := testpki.NewCA("another-ca")
		if err != nil {
			t.Fatal(err)
		}
		impostor, err := other.ServerOnly("files-api", apiServiceName, "localhost")
		if err != nil {
			t.Fatal(err)
		}
		r.Secrets["files-api-tls"] = map[string]string{"tls.crt": string(impostor.CertPEM), "tls.key": string(impostor.KeyPEM)}
		rp := startRenderedReconciler(t, r, in, p, rendered, ports(apiServiceName))
		refused(t, rp, "x509: certificate signed by unknown authority")
	})
}

// refused waits until the reconciler's /status reports a failed pass whose
// error says want, and wants it not ready (it never applied anything).
func refused(t *testing.T, rp *reconcilerProcess, want string) {
	t.Helper()
	refusedMatching(t, rp, regexp.MustCompile(regexp.QuoteMeta(want)))
}

// refusedMatching is refused for an error that matches want.
func refusedMatching(t *testing.T, rp *reconcilerProcess, want *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var st struct {
		Ready  bool     `json:"ready"`
		Errors []string `json:"errors"`
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		// Not listening yet is no answer: poll on.
		if resp, err := client.Get("http://" + rp.listen + "/status"); err == nil { //nolint:noctx // a poll
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Errors) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed pass within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.Ready || !want.MatchString(strings.Join(st.Errors, "\n")) {
		t.Errorf("/status: ready %v, errors %q; want not ready and an error saying %q", st.Ready, st.Errors, want)
	}
	resp, err := http.Get("http://" + rp.listen + "/readyz") //nolint:noctx // a test
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %s, want 503", resp.Status)
	}
	rp.stop(t)
}
