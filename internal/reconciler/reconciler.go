package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/marmos91/dittofs/pkg/apiclient"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/fsreport"
)

// Options configure a Reconciler.
type Options struct {
	// ConfigPath is the declared config.yaml (a mounted ConfigMap key).
	ConfigPath string
	// APIURL is DittoFS's API on localhost (http://127.0.0.1:8080).
	APIURL string
	// AdminUsername is DittoFS's bootstrap admin (always admin in v0.29.0).
	AdminUsername string
	// AdminPasswordFile is the mounted admin Secret key, the one whose value
	// DittoFS was first booted with in DITTOFS_ADMIN_INITIAL_PASSWORD.
	AdminPasswordFile string
	// Poll is how often the inputs are checked for a change; Resync how
	// often a pass runs anyway (drift made through the API by hand).
	Poll, Resync time.Duration
	// MinBackoff and MaxBackoff bound the retry delay after a failed pass.
	MinBackoff, MaxBackoff time.Duration
	Log                    *slog.Logger
	// ClientOptions configure DittoFS's client: TLS when DittoFS serves
	// HTTPS (apiclient.WithCACert, WithClientCert for mTLS).
	ClientOptions []apiclient.ClientOption
	// Report, when set, receives the status report after a pass that
	// changed it (report.go): the function reads it back.
	Report ReportSink
}

func (o *Options) defaults() {
	if o.AdminUsername == "" {
		o.AdminUsername = "admin"
	}
	if o.Poll == 0 {
		o.Poll = 2 * time.Second
	}
	if o.Resync == 0 {
		o.Resync = time.Minute
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Reconciler converges DittoFS on the declared file service.
type Reconciler struct {
	opts    Options
	metrics *metrics

	mu sync.Mutex
	// adminPassword is the last admin password that logged in, kept to
	// change the server's to a rotated Secret (memory only).
	adminPassword string
	// verified maps a username to the fingerprint of the password that was
	// last seen to log them in (memory only).
	verified map[string]string
	// files are what the last declaration referenced (for the digest).
	files  []string
	status Status
	// lastReport is the report as of the last pass; written its encoding
	// as last stored (report.go).
	lastReport fsreport.Report
	written    string
}

// Status is what /status reports: never a secret.
type Status struct {
	Ready       bool      `json:"ready"`
	LastPass    time.Time `json:"lastPass,omitzero"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	Writes      int       `json:"writes"`
	Errors      []string  `json:"errors,omitempty"`
	Refused     []string  `json:"refused,omitempty"`
}

// New makes a Reconciler.
func New(opts Options) *Reconciler {
	opts.defaults()
	return &Reconciler{opts: opts, metrics: newMetrics(), verified: map[string]string{}}
}

// Status returns the last pass's status.
func (r *Reconciler) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	return s
}

// PassResult is what one pass did.
type PassResult struct {
	Writes  int
	Actions []Action
	Refused []Problem
	Errors  []error

	// What the report needs (report.go): the declaration read and its
	// hash, whether the pass got to plan, the actions that failed, and
	// the secret values read (to scrub from what is reported).
	declared   *declared.Config
	configHash string
	planned    bool
	failed     []Action
	secrets    []string
}

// Err joins the pass's errors (nil: everything applied).
func (p PassResult) Err() error { return errors.Join(p.Errors...) }

// Pass runs one reconcile: read the declaration and its secrets, log in as
// admin (changing the server's admin password to the Secret's if it was
// rotated), observe, plan and execute. An action that fails does not stop
// the others, nor undo what was applied; it is retried by the next pass.
func (r *Reconciler) Pass(ctx context.Context) PassResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.pass(ctx)
	r.record(res)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r.report(wctx, res)
	return res
}

func (r *Reconciler) pass(ctx context.Context) (res PassResult) {
	log := r.opts.Log
	fail := func(err error) PassResult {
		res.Errors = append(res.Errors, err)
		return res
	}
	cfg, hash, err := loadDeclared(r.opts.ConfigPath)
	if err != nil {
		return fail(err)
	}
	res.declared, res.configHash = cfg, hash
	r.files = referencedFiles(cfg)
	desired, err := resolve(cfg)
	res.secrets = secretValues(desired, r.adminPassword)
	if err != nil {
		return fail(err)
	}
	client, err := r.login(&res)
	res.secrets = secretValues(desired, r.adminPassword)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	observed, err := observe(client)
	if err != nil {
		return fail(err)
	}
	ledger, err := readLedger(client)
	if err != nil {
		return fail(err)
	}
	r.checkPasswords(desired, observed)

	actions, refused := Plan(desired, observed, ledger)
	res.Actions, res.Refused, res.planned = actions, refused, true
	for _, p := range refused {
		log.Warn("refused a declared change", "kind", p.Kind, "name", p.Name, "why", p.Message)
	}
	ex := &executor{c: client, ledger: ledger, saved: ledger.encode(), log: log.Info, wrote: func(kind, op string) {
		res.Writes++
		r.metrics.writes.WithLabelValues(kind, op).Inc()
	}}
	for _, a := range actions {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if err := ex.run(a); err != nil {
			log.Error("could not apply", "action", a.String(), "error", err.Error())
			res.Errors = append(res.Errors, err)
			res.failed = append(res.failed, a)
			continue
		}
		if (a.Kind == KindUser && a.Op == OpCreate) || a.Kind == KindUserPassword {
			r.verified[a.Name] = fingerprint(desired.UserPasswords[a.Name])
		}
	}
	return res
}

// checkPasswords marks the declared users whose password file was not yet
// seen to log them in: the plan resets those. A login is tried once per
// password (DittoFS never returns a password or its hash).
func (r *Reconciler) checkPasswords(d *Desired, o *Observed) {
	for _, u := range d.Users {
		have, ok := o.Users[u.Username]
		if !ok {
			continue
		}
		pw := d.UserPasswords[u.Username]
		fp := fingerprint(pw)
		if r.verified[u.Username] == fp {
			continue
		}
		if !have.Enabled {
			continue // a disabled user cannot log in to prove it
		}
		_, err := r.client().Login(u.Username, pw)
		var apiErr *apiclient.APIError
		switch {
		case err == nil:
			r.verified[u.Username] = fp
		case errors.As(err, &apiErr) && apiErr.IsAuthError():
			o.PasswordStale[u.Username] = true
		default:
			r.opts.Log.Warn("could not check a user's password", "user", u.Username, "error", err.Error())
		}
	}
}

// login logs in as admin with the admin password file. When that fails and
// the password that last worked still does, the Secret was rotated: the
// server's admin password is changed to the new one (DittoFS reads
// DITTOFS_ADMIN_INITIAL_PASSWORD on its first boot only).
func (r *Reconciler) login(res *PassResult) (*apiclient.Client, error) {
	pw, err := readSecretFile(r.opts.AdminPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("admin password: %w", err)
	}
	base := r.client()
	tok, err := base.Login(r.opts.AdminUsername, pw)
	if err == nil {
		r.adminPassword = pw
		return base.WithToken(tok.AccessToken), nil
	}
	var apiErr *apiclient.APIError
	if !errors.As(err, &apiErr) || !apiErr.IsAuthError() {
		return nil, fmt.Errorf("log in to DittoFS as %s: %w", r.opts.AdminUsername, err)
	}
	old := r.adminPassword
	if old == "" || old == pw {
		return nil, fmt.Errorf("log in to DittoFS as %s: the admin Secret's password is refused, and no earlier password is known to this process (it was rotated while the reconciler was not running: set the server's admin password back to the Secret's with dfsctl, or the Secret back to the server's)", r.opts.AdminUsername)
	}
	tok, err = base.Login(r.opts.AdminUsername, old)
	if err != nil {
		return nil, fmt.Errorf("log in to DittoFS as %s: both the admin Secret's new password and the previous one are refused: %w", r.opts.AdminUsername, err)
	}
	if _, err := base.WithToken(tok.AccessToken).ChangeOwnPassword(old, pw); err != nil {
		return nil, fmt.Errorf("change the admin password to the admin Secret's: %w", err)
	}
	res.Writes++
	r.metrics.writes.WithLabelValues("admin password", OpUpdate).Inc()
	r.opts.Log.Info("applied", "op", OpUpdate, "kind", "admin password", "name", r.opts.AdminUsername, "changed", "passwordFile")
	r.adminPassword = pw
	if tok, err = base.Login(r.opts.AdminUsername, pw); err != nil {
		return nil, fmt.Errorf("log in to DittoFS as %s with the new password: %w", r.opts.AdminUsername, err)
	}
	return base.WithToken(tok.AccessToken), nil
}

// client is a DittoFS client without a token.
func (r *Reconciler) client() *apiclient.Client {
	return apiclient.New(r.opts.APIURL, r.opts.ClientOptions...)
}

// record keeps the pass's status and metrics. Ready is sticky: once the
// declaration was applied, later errors are reported, never by taking the
// pod out of its Services.
func (r *Reconciler) record(res PassResult) {
	now := time.Now()
	s := &r.status
	s.LastPass, s.Writes = now, res.Writes
	s.Errors, s.Refused = nil, nil
	for _, e := range res.Errors {
		s.Errors = append(s.Errors, e.Error())
	}
	for _, p := range res.Refused {
		s.Refused = append(s.Refused, p.String())
	}
	r.metrics.lastErrors.Set(float64(len(res.Errors)))
	r.metrics.problems.Set(float64(len(res.Refused)))
	if len(res.Errors) == 0 {
		s.LastSuccess, s.Ready = now, true
		r.metrics.passes.WithLabelValues("success").Inc()
		r.metrics.lastSuccess.Set(float64(now.Unix()))
		r.metrics.ready.Set(1)
	} else {
		r.metrics.passes.WithLabelValues("error").Inc()
	}
}

// inputsDigest hashes every file a pass reads.
func (r *Reconciler) inputsDigest() string {
	r.mu.Lock()
	files := append([]string{r.opts.ConfigPath, r.opts.AdminPasswordFile}, r.files...)
	r.mu.Unlock()
	return digest(files...)
}

// Run passes until ctx ends: at once, whenever an input file changes
// (polled), every Resync, and after a failure with a backoff that doubles
// from MinBackoff to MaxBackoff. DittoFS is never restarted.
func (r *Reconciler) Run(ctx context.Context) {
	r.loadReport(ctx)
	backoff := r.opts.MinBackoff
	var last string
	next := time.Now()
	for {
		d := r.inputsDigest()
		if d != last || !time.Now().Before(next) {
			if d != last && last != "" {
				r.opts.Log.Info("inputs changed: reconciling")
			}
			res := r.Pass(ctx)
			// The digest taken before the pass: a file that changes while
			// the pass runs is seen on the next poll. (A first pass learns
			// which files to watch; their digest then differs once, and
			// that extra pass writes nothing.)
			last = d
			if err := res.Err(); err != nil {
				r.opts.Log.Error("pass failed; retrying", "in", backoff.String(), "errors", len(res.Errors))
				next = time.Now().Add(backoff)
				backoff = min(backoff*2, r.opts.MaxBackoff)
			} else {
				if res.Writes > 0 {
					r.opts.Log.Info("pass applied", "writes", res.Writes)
				}
				next, backoff = time.Now().Add(r.opts.Resync), r.opts.MinBackoff
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.opts.Poll):
		}
	}
}

// Handler serves /healthz (the process runs), /readyz (200 once the
// declaration was applied the first time, and from then on), /status
// (the last pass, JSON) and /metrics.
func (r *Reconciler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		s := r.Status()
		if !s.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not applied yet: %s\n", strings.Join(s.Errors, "; "))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Status())
	})
	mux.Handle("/metrics", promhttp.HandlerFor(r.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}
