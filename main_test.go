package main

import (
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/internal/server"
)

func TestFlags(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want server.Config
	}{
		"Defaults": {
			want: server.Config{
				Network: "tcp", Address: ":9443", MaxRecvMsgSize: 4 << 20,
				MetricsAddress: ":8080", ShutdownTimeout: 10 * time.Second,
			},
		},
		"CertsDirFromEnv": {
			env: map[string]string{"TLS_SERVER_CERTS_DIR": "/tls/server"},
			want: server.Config{
				Network: "tcp", Address: ":9443", TLSCertsDir: "/tls/server", MaxRecvMsgSize: 4 << 20,
				MetricsAddress: ":8080", ShutdownTimeout: 10 * time.Second,
			},
		},
		"Everything": {
			args: []string{
				"--network=unix", "--address=/tmp/fn.sock", "--tls-certs-dir=/certs", "--insecure",
				"--max-recv-message-size=16", "--metrics-address=", "--shutdown-timeout=3s",
			},
			want: server.Config{
				Network: "unix", Address: "/tmp/fn.sock", TLSCertsDir: "/certs", Insecure: true,
				MaxRecvMsgSize: 16 << 20, ShutdownTimeout: 3 * time.Second,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TLS_SERVER_CERTS_DIR", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c := &cli{}
			parser, err := kong.New(c, options()...)
			if err != nil {
				t.Fatalf("kong.New: %v", err)
			}
			if _, err := parser.Parse(tc.args); err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, c.config()); diff != "" {
				t.Errorf("config: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestDebugShortFlag(t *testing.T) {
	c := &cli{}
	parser, err := kong.New(c, options()...)
	if err != nil {
		t.Fatalf("kong.New: %v", err)
	}
	if _, err := parser.Parse([]string{"-d"}); err != nil {
		t.Fatalf("Parse(-d): %v", err)
	}
	if !c.Debug {
		t.Error("-d did not turn on debug logging")
	}
}

// TestResponseCacheFlag: the response cache is on by default, at 32 MiB,
// and --response-cache-mb=0 turns it off.
func TestResponseCacheFlag(t *testing.T) {
	for args, want := range map[string]int{"": 32, "--response-cache-mb=0": 0, "--response-cache-mb=128": 128} {
		c := &cli{}
		parser, err := kong.New(c, options()...)
		if err != nil {
			t.Fatalf("kong.New: %v", err)
		}
		var argv []string
		if args != "" {
			argv = []string{args}
		}
		if _, err := parser.Parse(argv); err != nil {
			t.Fatalf("Parse(%q): %v", argv, err)
		}
		if c.ResponseCacheMB != want {
			t.Errorf("Parse(%q): the cache holds %d MiB, want %d", argv, c.ResponseCacheMB, want)
		}
	}
}
