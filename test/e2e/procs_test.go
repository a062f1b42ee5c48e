package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is one program the test started. Only these are ever stopped, by
// their own PID.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// start runs bin with args and env (added to a minimal environment, so
// nothing like HOSTNAME leaks in from ours), logging to logs/<name>.log.
func (e *env) start(name string, extraEnv []string, bin string, args ...string) *proc {
	e.t.Helper()
	logPath := filepath.Join(e.dir, "logs", name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...) //nolint:noctx // a control-plane process for the whole run: the env stops it in order at the end
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + e.dir}, extraEnv...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = e.dir
	if err := cmd.Start(); err != nil {
		f.Close()
		e.t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	e.logf("started %s (pid %d)", name, cmd.Process.Pid)
	return p
}

// stop sends SIGTERM to p, and SIGKILL if it has not exited after 15 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last n lines of p's log.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// run runs a program to completion and returns its combined output.
func run(ctx context.Context, dir string, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// portFree reports whether nothing listens on port on any interface.
func portFree(port int) bool {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// httpOK polls url until it answers 200, with an optional bearer token.
func (e *env) waitHTTP(what, url, token string, timeout time.Duration, p *proc) {
	e.t.Helper()
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			e.t.Fatalf("%s exited while waiting for %s: %v\n%s", p.name, what, p.err, p.tail(40))
		}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rsp, err := c.Do(req)
		if err != nil {
			last = err.Error()
		} else {
			rsp.Body.Close()
			if rsp.StatusCode == http.StatusOK {
				return
			}
			last = rsp.Status
		}
		time.Sleep(100 * time.Millisecond)
	}
	msg := ""
	if p != nil {
		msg = p.tail(40)
	}
	e.t.Fatalf("timed out after %s waiting for %s (%s: %s)\n%s", timeout, what, url, last, msg)
}

// eventually polls cond every 100 ms until it returns nil or timeout passes.
func (e *env) eventually(what string, timeout time.Duration, cond func() error) {
	e.t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < timeout {
		if err = cond(); err == nil {
			e.logf("%s (%.1fs)", what, time.Since(start).Seconds())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
}
