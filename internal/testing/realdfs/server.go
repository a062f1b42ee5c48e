package realdfs

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerCommand is a server program a test runs for its whole length:
// PostgreSQL, PgBouncer, SeaweedFS.
type ServerCommand struct {
	// Name names the program in the test's messages.
	Name string
	// Cmd is the program, not started; StartServer sets its Stdout and
	// Stderr to the log file. With SysProcAttr.Setpgid the kill after
	// StopWait goes to its whole process group.
	Cmd *exec.Cmd
	// LogPath is the file its output is appended to.
	LogPath string
	// StopSignal asks it to shut down (e.g. SIGINT, PostgreSQL's fast
	// shutdown); after StopWait it is killed.
	StopSignal syscall.Signal
	StopWait   time.Duration
	// LogTail, when set, is how many of the log's last bytes a failure
	// shows (a chatty server's whole log would bury the failure).
	LogTail int
}

// Server is a started ServerCommand. The test's cleanup stops it, waits for
// it to exit and, if the test failed, shows its log.
type Server struct {
	ServerCommand

	exited chan error
	stop   func()
}

// StartServer starts c with its output in c.LogPath and watches its exit.
func StartServer(t *testing.T, c ServerCommand) *Server {
	t.Helper()
	logFile, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c.Cmd.Stdout, c.Cmd.Stderr = logFile, logFile
	if err := c.Cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start %s: %v", c.Name, err)
	}
	s := &Server{ServerCommand: c, exited: make(chan error, 1)}
	go func() { s.exited <- c.Cmd.Wait() }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			_ = c.Cmd.Process.Signal(c.StopSignal)
			select {
			case err := <-s.exited:
				s.exited <- err
			case <-time.After(c.StopWait):
				s.kill()
				s.exited <- <-s.exited
			}
			_ = logFile.Close()
		})
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("%s log (%s):\n%s", c.Name, c.LogPath, s.Log())
		}
	})
	return s
}

// kill kills the server, and its process group when it leads one.
func (s *Server) kill() {
	if a := s.Cmd.SysProcAttr; a != nil && a.Setpgid {
		_ = syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		return
	}
	_ = s.Cmd.Process.Kill()
}

// WaitReady polls ready every poll until it returns nil; it fails the test
// as soon as the server exits, or when ready has not passed within timeout
// (with ready's last error).
func (s *Server) WaitReady(t *testing.T, timeout, poll time.Duration, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case werr := <-s.exited:
			s.exited <- werr
			t.Fatalf("%s exited before it was ready: %v\n%s", s.Name, werr, s.Log())
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s: %v\n%s", s.Name, timeout, err, s.Log())
		}
	}
}

// Stop shuts the server down and waits for it; the test's cleanup does it
// too. Calling it twice is harmless.
func (s *Server) Stop() { s.stop() }

// Log is what the server logged so far (its last LogTail bytes, if set).
func (s *Server) Log() string {
	log, _ := os.ReadFile(s.LogPath)
	if s.LogTail > 0 && len(log) > s.LogTail {
		log = log[len(log)-s.LogTail:]
	}
	return string(log)
}
