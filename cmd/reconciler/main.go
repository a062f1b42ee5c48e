// Command reconciler runs beside DittoFS in its pod and applies the declared
// file service (stores, shares, users, groups, snapshot policies) through
// DittoFS's REST API on localhost. See docs/fileservice.md.
//
// It is its own binary, not a subcommand of the function's, so the function
// does not link DittoFS's client and what that pulls in (badger, the block
// engine); both are built from this one module and pinned together.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/marmos91/dittofs/pkg/apiclient"
	"k8s.io/client-go/rest"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/fsreport/writer"
	"github.com/dittofs/function-dittofs/internal/reconciler"
)

var version = "v0.0.0-dev"

type cli struct {
	Version           kong.VersionFlag `help:"Print the version and exit."`
	Config            string           `default:"/etc/dittofs-declared/config.yaml"                                                                                                                                                                        help:"The declared file service (a mounted ConfigMap key)."`
	APIURL            string           `default:"http://127.0.0.1:8080"                                                                                                                                                                                    help:"DittoFS's API, on localhost."                                                                                                    name:"api-url"`
	APIAddress        string           `help:"Dial this host:port for --api-url, whatever its host resolves to (HTTPS verifies the URL's host)."                                                                                                           name:"api-address"`
	AdminUsername     string           `default:"admin"                                                                                                                                                                                                    help:"DittoFS's bootstrap admin."`
	AdminPasswordFile string           `help:"The admin password (a mounted Secret key); required but with --prestart."`
	Listen            string           `default:":9091"                                                                                                                                                                                                    help:"Address of /healthz, /readyz, /status and /metrics."`
	Poll              time.Duration    `default:"2s"                                                                                                                                                                                                       help:"How often the mounted files are checked for a change."`
	Resync            time.Duration    `default:"60s"                                                                                                                                                                                                      help:"How often a pass runs when nothing changed (catches drift)."`
	MaxBackoff        time.Duration    `default:"5m"                                                                                                                                                                                                       help:"Longest wait before retrying a failed pass."`
	APICAFile         string           `help:"CA bundle that signs DittoFS's API certificate, when it serves HTTPS (controlPlane.certSecretName)."                                                                                                         name:"api-ca-file"`
	APIClientCert     string           `help:"Client certificate for DittoFS's API under mTLS (controlPlane.clientCASecretName)."                                                                                                                          name:"api-client-cert"`
	APIClientKey      string           `help:"Its key."                                                                                                                                                                                                    name:"api-client-key"`
	StatusConfigMap   string           `help:"ConfigMap to write the status report into (the function reads it back); empty: none."                                                                                                                        name:"status-configmap"`
	StatusNamespace   string           `help:"Its namespace."                                                                                                                                                                                              name:"status-namespace"`
	StatusTokenDir    string           `default:"/var/run/secrets/kubernetes.io/serviceaccount"                                                                                                                                                            help:"Where the projected service account token and ca.crt are (the API server is $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)." name:"status-token-dir"`
	Debug             bool             `help:"Log at debug level."`
	DatabaseCAFile    string           `help:"With --prestart: the CA of the server's own cluster; the step then reaches DittoFS's database verify-full."                                                                                                  name:"database-ca-file"`
	Prestart          bool             `help:"Point DittoFS's records of the declared metadata stores on the server's own cluster at their connection, in its database, then exit: the pod's init container, before DittoFS starts (docs/fileservice.md)."`
}

func main() {
	c := &cli{}
	kong.Parse(c, kong.Name("reconciler"), kong.Description("Applies the declared DittoFS file service through DittoFS's API."), kong.Vars{"version": version})

	level := slog.LevelInfo
	if c.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	if c.Prestart {
		os.Exit(prestart(c.Config, c.DatabaseCAFile, log))
	}
	if c.AdminPasswordFile == "" {
		log.Error("--admin-password-file is required")
		os.Exit(2)
	}
	if c.APIAddress != "" {
		if err := reconciler.DialAPIAt(c.APIAddress); err != nil {
			log.Error("--api-address", "error", err.Error())
			os.Exit(2)
		}
	}
	// Without its status channel the reconciler still applies the
	// declaration (exiting would take the pod out of its Services); the
	// XR then says it waits for the first report.
	report, err := statusSink(c.StatusTokenDir, c.StatusNamespace, c.StatusConfigMap)
	if err != nil {
		log.Error("no status report: the reconciler applies the declaration but cannot report", "error", err.Error())
		report = nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	var tlsOpts []apiclient.ClientOption
	if c.APICAFile != "" {
		tlsOpts = append(tlsOpts, apiclient.WithCACert(c.APICAFile))
	}
	if c.APIClientCert != "" || c.APIClientKey != "" {
		tlsOpts = append(tlsOpts, apiclient.WithClientCert(c.APIClientCert, c.APIClientKey))
	}
	opts := reconciler.Options{
		ConfigPath: c.Config, APIURL: c.APIURL, AdminUsername: c.AdminUsername, AdminPasswordFile: c.AdminPasswordFile,
		Poll: c.Poll, Resync: c.Resync, MaxBackoff: c.MaxBackoff, Log: log, ClientOptions: tlsOpts,
	}
	if report != nil {
		opts.Report = report
	}
	r := reconciler.New(opts)
	srv := &http.Server{Addr: c.Listen, Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "error", err.Error())
			stop()
		}
	}()
	log.Info("reconciler started", "version", version, "config", c.Config, "api", c.APIURL, "apiAddress", c.APIAddress, "listen", c.Listen)
	r.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
}

// prestart runs the pre-start step on the declaration at path and says
// the exit code: 0 when DittoFS may start.
func prestart(path, caFile string, log *slog.Logger) int {
	b, err := os.ReadFile(path) //nolint:gosec // the mounted declaration
	if err != nil {
		log.Error("pre-start: reading the declaration", "error", err.Error())
		return 1
	}
	cfg, err := declared.Parse(b)
	if err != nil {
		log.Error("pre-start: the declaration", "error", err.Error())
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := reconciler.Prestart(ctx, cfg, caFile, log); err != nil {
		log.Error("pre-start", "error", err.Error())
		return 1
	}
	return 0
}

// statusSink writes the report with the pod's projected service account
// token. Nil when no status ConfigMap is named.
func statusSink(tokenDir, namespace, name string) (*writer.ConfigMap, error) {
	if name == "" {
		return nil, nil //nolint:nilnil // no report asked for: no writer, and no error
	}
	cfg, err := inClusterConfig(tokenDir)
	if err != nil {
		return nil, err
	}
	return writer.New(cfg, namespace, name)
}

// inClusterConfig is client-go's rest.InClusterConfig with the token's
// directory a flag (the e2e runs this binary outside a pod): the API
// server from the kubelet's KUBERNETES_SERVICE_HOST and _PORT, the token
// file (which client-go rereads as the kubelet renews it) and ca.crt.
func inClusterConfig(dir string) (*rest.Config, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not in a pod")
	}
	token := filepath.Join(dir, "token")
	if _, err := os.Stat(token); err != nil {
		return nil, fmt.Errorf("the service account token: %w", err)
	}
	return &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerTokenFile: token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(dir, "ca.crt")},
	}, nil
}
