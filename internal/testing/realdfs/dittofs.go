package realdfs

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// BootInput is what the StatefulSet's dfs container is given, in container
// terms, so a test can fill it from Rendered objects: the ConfigMap's
// config.yaml, the container's env with every secretKeyRef resolved, and its
// volume mounts mapped to host directories.
type BootInput struct {
	ConfigYAML []byte
	Env        map[string]string
	// Mounts maps a container path (a volumeMount's mountPath) to a host
	// directory standing in for the volume. Container paths in ConfigYAML,
	// Env and Args are rewritten to these; the config file is written at the
	// host path of Args' --config, which must be under a mount.
	Mounts map[string]string
	// Args are the container's args (dfs's own, without /app/dfs).
	// Default: start --foreground --config /config/config.yaml.
	Args []string

	// AdminUser and AdminPassword log in after boot (AdminUser defaults to
	// admin: DittoFS's bootstrap admin is always "admin").
	AdminUser, AdminPassword string

	// Postgres and Database, when set: the control-plane Tables must exist
	// there afterwards, in the schema named after the database user.
	Postgres *PGServer
	Database PGDatabase

	// HoldsAdapterPorts: the test holds the machine's adapter ports
	// (HoldAdapterPorts); otherwise this dfs shares them with other tests'.
	HoldsAdapterPorts bool

	// APIHost and APITLS, when dfs serves its API over TLS: Base is then
	// https://APIHost:<port> (APIHost must resolve to this machine, e.g.
	// localhost, and be a name the certificate carries), and the health
	// polls and the login verify the certificate with APITLS.
	APIHost string
	APITLS  *tls.Config
}

// BootResult is what a successful boot showed.
type BootResult struct {
	APIListenAddr string   // from dfs's "API server listening" log line
	Tables        []string // control-plane Tables in PostgreSQL (Postgres only)
	Health, Ready time.Duration
	Stdout        string
	Stderr        string
}

var defaultArgs = []string{"start", "--foreground", "--config", "/config/config.yaml"}

// BootDittoFS boots dfs with in, checks it works, stops it, and fails the test
// on any problem.
func BootDittoFS(t *testing.T, in BootInput) BootResult {
	t.Helper()
	res, err := TryBootDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TryBootDittoFS starts dfs as the pod would (StartDittoFS), checks it works
// (Check) and stops it (Stop), returning the first failure, with dfs's
// output.
func TryBootDittoFS(t *testing.T, in BootInput) (res BootResult, err error) {
	t.Helper()
	d, err := StartDittoFS(t, in)
	if err != nil {
		return res, err
	}
	defer func() {
		d.Kill()
		res.Stdout, res.Stderr = d.Logs()
		if err != nil {
			err = d.withOutput(err)
		}
	}()
	if res, err = d.Check(); err != nil {
		return res, err
	}
	return res, d.Stop()
}

// DittoFS is a running dfs server.
type DittoFS struct {
	// Base is the URL of its API (http://127.0.0.1:<port>, or
	// https://<APIHost>:<port> with APITLS).
	Base          string
	Health, Ready time.Duration // from start to /health and /health/ready 200

	in      BootInput
	args    []string
	cmd     *exec.Cmd
	exited  chan error
	stopped bool
	logDir  string
}

// StartDittoFS starts dfs as the pod would (uid 65532 with no capabilities
// when we are root, a clean env) and waits until /health answers 200 with
// the control-plane DB reachable and /health/ready answers 200. The caller
// stops it (Stop, or Kill; the test's cleanup kills it too).
func StartDittoFS(t *testing.T, in BootInput) (*DittoFS, error) {
	t.Helper()
	dfs := DfsBinary(t)
	if !in.HoldsAdapterPorts {
		shareAdapterPorts(t)
	}
	paths, err := NewContainerPaths(in.Mounts)
	if err != nil {
		return nil, err
	}

	args := in.Args
	if args == nil {
		args = defaultArgs
	}
	args = slices.Clone(args)
	for i := range args {
		args[i] = paths.Rewrite(args[i])
	}
	configPath := FlagValue(args, "--config")
	if configPath == "" || !paths.isMapped(configPath) {
		return nil, fmt.Errorf("the config file %q (args %q) is not under any mount %v", configPath, in.Args, in.Mounts)
	}
	config, err := paths.RewriteYAML(in.ConfigYAML)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(configPath), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(configPath, config, 0o644); err != nil {
		return nil, err
	}

	// Only PATH, a writable HOME and TMPDIR (dfs writes to os.TempDir), and
	// the container's env.
	home := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "TMPDIR=" + home}
	for _, k := range sortedKeys(in.Env) {
		env = append(env, k+"="+paths.Rewrite(in.Env[k]))
	}
	for _, dir := range append(paths.hostDirs(), home) {
		GiveTo(t, dir, DfsUID, DfsUID)
	}

	port, err := apiPort(config, in.Env)
	if err != nil {
		return nil, err
	}
	// A busy API port makes dfs exit; say why rather than blame the config.
	// (Busy adapter or metrics ports only make dfs log an ERROR and go on.)
	if PortInUse(port) {
		return nil, fmt.Errorf("the API port %d is already in use on this machine; set DITTOFS_CONTROLPLANE_PORT in Env to a free one (FreePort)", port)
	}
	d := &DittoFS{Base: fmt.Sprintf("http://127.0.0.1:%d", port), in: in, args: args, logDir: t.TempDir(), exited: make(chan error, 1)}
	if in.APITLS != nil {
		d.Base = "https://" + net.JoinHostPort(in.APIHost, strconv.Itoa(port))
	}
	stdoutFile, err := os.Create(filepath.Join(d.logDir, "stdout"))
	if err != nil {
		return nil, err
	}
	defer stdoutFile.Close()
	stderrFile, err := os.Create(filepath.Join(d.logDir, "stderr"))
	if err != nil {
		return nil, err
	}
	defer stderrFile.Close()

	d.cmd = exec.Command(dfs, args...) //nolint:noctx // a server for the whole test: t.Cleanup stops it, after t.Context is already cancelled
	d.cmd.Env, d.cmd.Dir = env, home
	d.cmd.Stdout, d.cmd.Stderr = stdoutFile, stderrFile
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: Credential(DfsUID, DfsUID)}
	started := time.Now()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dfs: %w", err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(d.Kill)

	// Poll every 20ms (a good boot takes about 0.2-0.6s); give up after a
	// minute or as soon as dfs exits, which it does at once on any DB error.
	deadline := started.Add(time.Minute)
	client := apiHTTPClient(in, 2*time.Second)
	waitFor := func(path string, ok func(body []byte) bool) (time.Duration, error) {
		for {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, d.Base+path, nil)
			if err != nil {
				return 0, err
			}
			resp, err := client.Do(req)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && ok(body) {
					return time.Since(started), nil
				}
			}
			select {
			case werr := <-d.exited:
				d.exited <- werr
				d.stopped = true
				return 0, fmt.Errorf("exited (rc %d) before GET %s answered 200: %w", ExitCode(werr), path, werr)
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("GET %s: no 200 within a minute", path)
			}
		}
	}
	fail := func(err error) (*DittoFS, error) {
		d.Kill()
		return nil, d.withOutput(err)
	}
	if d.Health, err = waitFor("/health", func(b []byte) bool {
		return bytes.Contains(b, []byte(`"control_plane_db":"reachable"`))
	}); err != nil {
		return fail(err)
	}
	if d.Ready, err = waitFor("/health/ready", func([]byte) bool { return true }); err != nil {
		return fail(err)
	}
	return d, nil
}

// apiHTTPClient is a client of dfs's API: plain, or verifying its
// certificate with in.APITLS.
func apiHTTPClient(in BootInput, timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	if in.APITLS != nil {
		c.Transport = &http.Transport{TLSClientConfig: in.APITLS}
	}
	return c
}

// Logs returns what dfs wrote to stdout and stderr so far.
func (d *DittoFS) Logs() (stdout, stderr string) {
	o, _ := os.ReadFile(filepath.Join(d.logDir, "stdout"))
	e, _ := os.ReadFile(filepath.Join(d.logDir, "stderr"))
	return string(o), string(e)
}

// withOutput adds dfs's command line and output to err.
func (d *DittoFS) withOutput(err error) error {
	stdout, stderr := d.Logs()
	return fmt.Errorf("dfs %s: %w\n--- stderr:\n%s\n--- stdout:\n%s", strings.Join(d.args, " "), err, stderr, stdout)
}

// Check requires, in order: admin login 200 with an access token that
// /api/v1/auth/me accepts, dfs running as 65532 with no capabilities (when
// we are root), no "config contains unknown keys" warning (DittoFS only
// warns, so a key typo would otherwise pass), and the control-plane tables
// in PostgreSQL.
func (d *DittoFS) Check() (res BootResult, err error) {
	res.Health, res.Ready = d.Health, d.Ready
	client := apiHTTPClient(d.in, 10*time.Second)
	if err := login(client, d.Base, d.in); err != nil {
		return res, err
	}
	if os.Geteuid() == 0 {
		if err := checkUnprivileged(d.cmd.Process.Pid); err != nil {
			return res, err
		}
	}
	stdout, stderr := d.Logs()
	if strings.Contains(stderr, "config contains unknown keys") {
		return res, errors.New("dfs warned that the config contains unknown keys")
	}
	res.APIListenAddr = logField(stdout, "API server listening", "addr")

	if in := d.in; in.Postgres != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if res.Tables, err = in.Postgres.Tables(ctx, in.Database.Name, in.Database.User); err != nil {
			return res, err
		}
		for _, want := range []string{"users", "adapters", "shares"} {
			if !slices.Contains(res.Tables, want) {
				return res, fmt.Errorf("no table %s in schema %s of database %s; tables: %v", want, in.Database.User, in.Database.Name, res.Tables)
			}
		}
	}
	return res, nil
}

// Stop sends SIGTERM, which is how Kubernetes stops the pod: dfs must exit
// 0, quickly when idle (its own cap is 3*shutdown_timeout+5s).
func (d *DittoFS) Stop() error {
	if d.stopped {
		return errors.New("dfs had already exited")
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case werr := <-d.exited:
		d.exited <- werr
		d.stopped = true
		if werr != nil {
			return fmt.Errorf("exit on SIGTERM: rc %d (%w), want 0", ExitCode(werr), werr)
		}
	case <-time.After(30 * time.Second):
		return errors.New("still running 30s after SIGTERM")
	}
	return nil
}

// Kill stops dfs at once if it still runs.
func (d *DittoFS) Kill() {
	if d.stopped {
		return
	}
	_ = d.cmd.Process.Kill()
	d.exited <- <-d.exited
	d.stopped = true
}

// login posts the admin credentials and checks the token works.
func login(client *http.Client, base string, in BootInput) error {
	user := in.AdminUser
	if user == "" {
		user = "admin"
	}
	body, err := json.Marshal(map[string]string{"username": user, "password": in.AdminPassword})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &tok) != nil || tok.AccessToken == "" {
		return fmt.Errorf("login as %s: %s %s", user, resp.Status, raw)
	}
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	me, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /api/v1/auth/me: %w", err)
	}
	defer me.Body.Close()
	raw, _ = io.ReadAll(me.Body)
	if me.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/v1/auth/me with the login token: %s %s", me.Status, raw)
	}
	return nil
}

// checkUnprivileged confirms dfs runs as 65532 with no capabilities, as in the
// hardened pod, so a boot that only works as root cannot pass.
func checkUnprivileged(pid int) error {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	want := map[string]string{
		"Uid:":    fmt.Sprintf("%d\t%d\t%d\t%d", DfsUID, DfsUID, DfsUID, DfsUID),
		"Groups:": "",
		"CapEff:": "0000000000000000",
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, "\t")
		if w, ok := want[k]; ok && strings.TrimSpace(v) != w {
			return fmt.Errorf("dfs runs with %s %q, want %q", k, strings.TrimSpace(v), w)
		}
	}
	return nil
}

// apiPort is where dfs will serve its API: env beats file beats the 8080
// default, as in dfs.
func apiPort(config []byte, env map[string]string) (int, error) {
	if v, ok := env["DITTOFS_CONTROLPLANE_PORT"]; ok {
		return strconv.Atoi(v)
	}
	var c struct {
		ControlPlane struct {
			Port int `json:"port"`
		} `json:"controlplane"`
	}
	if err := yaml.Unmarshal(config, &c); err != nil {
		return 0, fmt.Errorf("config.yaml: %w", err)
	}
	if c.ControlPlane.Port == 0 {
		return 8080, nil
	}
	return c.ControlPlane.Port, nil
}

// logField returns field of the first JSON log line whose msg is msg.
func logField(stdout, msg, field string) string {
	for _, line := range strings.Split(stdout, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			s, _ := m[field].(string)
			return s
		}
	}
	return ""
}

// FlagValue returns the value of --name in args (as "--name v" or "--name=v").
func FlagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// ExitCode is the exit status in err from exec.Cmd.Wait, or -1 when err
// is not an exit status.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ContainerPaths maps container paths to host directories by mount.
type ContainerPaths struct {
	mounts []string // container paths, longest first so nested mounts win
	host   map[string]string
}

// NewContainerPaths maps each container path in mounts (absolute) to its
// host directory (absolute).
func NewContainerPaths(mounts map[string]string) (*ContainerPaths, error) {
	p := &ContainerPaths{host: map[string]string{}}
	for c, h := range mounts {
		if !filepath.IsAbs(c) || !filepath.IsAbs(h) {
			return nil, fmt.Errorf("mount %q -> %q: both paths must be absolute", c, h)
		}
		c = filepath.Clean(c)
		p.mounts = append(p.mounts, c)
		p.host[c] = filepath.Clean(h)
		if err := os.MkdirAll(h, 0o755); err != nil {
			return nil, err
		}
	}
	sort.Slice(p.mounts, func(i, j int) bool { return len(p.mounts[i]) > len(p.mounts[j]) })
	return p, nil
}

func (p *ContainerPaths) match(s string) (string, bool) {
	for _, c := range p.mounts {
		if s == c || strings.HasPrefix(s, c+"/") {
			return c, true
		}
	}
	return "", false
}

// isMapped reports whether host path s lies in one of the mounts' host dirs.
func (p *ContainerPaths) isMapped(s string) bool {
	for _, h := range p.host {
		if s == h || strings.HasPrefix(s, h+"/") {
			return true
		}
	}
	return false
}

// Rewrite maps s to the host when it is a container path under a mount, and
// leaves anything else as it is.
func (p *ContainerPaths) Rewrite(s string) string {
	if c, ok := p.match(s); ok {
		return p.host[c] + strings.TrimPrefix(s, c)
	}
	return s
}

func (p *ContainerPaths) hostDirs() []string {
	var dirs []string
	for _, c := range p.mounts {
		dirs = append(dirs, p.host[c])
	}
	return dirs
}

// RewriteYAML rewrites every string value in config that is a container path
// under a mount. The config is passed through untouched, byte for byte, when
// there is nothing to Rewrite (or it does not parse: dfs will say why).
func (p *ContainerPaths) RewriteYAML(config []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return config, nil //nolint:nilerr // unparsable config goes to dfs untouched: its own error says why
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case string:
			if r := p.Rewrite(v); r != v {
				changed = true
				return r
			}
		}
		return v
	}
	doc = walk(doc)
	if !changed {
		return config, nil
	}
	return yaml.Marshal(doc)
}

// WriteVolume fills dir with one file per key, as Kubernetes projects a
// Secret or ConfigMap volume (mode 0644).
func WriteVolume(t *testing.T, dir string, data map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
