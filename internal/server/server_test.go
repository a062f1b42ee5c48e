package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/proto/v1beta1"
)

// echoFunction answers with the request's tag, so a test can tell its call
// went through the whole server. When started is set it signals each call
// and then blocks until the call is cancelled.
type echoFunction struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	started chan struct{}
}

func (f *echoFunction) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	if f.started != nil {
		f.started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &fnv1.RunFunctionResponse{Meta: &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag()}}, nil
}

// start runs a server in the background and stops it when the test ends.
// The returned channel yields Run's result.
func start(t *testing.T, fn fnv1.FunctionRunnerServiceServer, cfg Config) (*Server, context.CancelFunc, <-chan error) {
	t.Helper()
	s, err := New(fn, cfg, logging.NewNopLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	result := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		result <- s.Run(ctx)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return s, cancel, result
}

func insecureConfig() Config {
	return Config{Network: "tcp", Address: "127.0.0.1:0", Insecure: true}
}

func dial(t *testing.T, addr net.Addr, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func runFunction(ctx context.Context, conn *grpc.ClientConn, tag string) (string, error) {
	rsp, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: tag}})
	return rsp.GetMeta().GetTag(), err
}

func TestServeInsecure(t *testing.T) {
	s, _, _ := start(t, &echoFunction{}, insecureConfig())
	conn := dial(t, s.Addr(), insecure.NewCredentials())

	healthCheck := func(service string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			rsp, err := healthgrpc.NewHealthClient(conn).Check(ctx, &healthgrpc.HealthCheckRequest{Service: service})
			return rsp.GetStatus().String(), err
		}
	}
	cases := map[string]struct {
		call func(context.Context) (string, error)
		want string
	}{
		"V1RunFunction": {
			call: func(ctx context.Context) (string, error) { return runFunction(ctx, conn, "v1") },
			want: "v1",
		},
		"V1Beta1RunFunction": {
			call: func(ctx context.Context) (string, error) {
				rsp, err := v1beta1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, &v1beta1.RunFunctionRequest{Meta: &v1beta1.RequestMeta{Tag: "beta"}})
				return rsp.GetMeta().GetTag(), err
			},
			want: "beta",
		},
		"HealthOfServer":   {call: healthCheck(""), want: "SERVING"},
		"HealthOfFunction": {call: healthCheck(fnv1.FunctionRunnerService_ServiceDesc.ServiceName), want: "SERVING"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.call(t.Context())
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("call: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	var lc net.ListenConfig
	busy, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Close() })

	cases := map[string]struct {
		cfg      Config
		wantIs   error
		wantText []string
	}{
		"NoCredentials": {
			cfg:      Config{Address: "127.0.0.1:0"},
			wantIs:   ErrNoCredentials,
			wantText: []string{"--insecure", "--tls-certs-dir", "TLS_SERVER_CERTS_DIR"},
		},
		"CertsDirWithoutCerts": {
			cfg:      Config{Address: "127.0.0.1:0", TLSCertsDir: t.TempDir()},
			wantText: []string{"cannot load X509 keypair"},
		},
		"GRPCPortInUse": {
			cfg:      Config{Address: busy.Addr().String(), Insecure: true},
			wantText: []string{"cannot listen for gRPC", busy.Addr().String()},
		},
		"MetricsPortInUse": {
			cfg:      Config{Address: "127.0.0.1:0", Insecure: true, MetricsAddress: busy.Addr().String()},
			wantText: []string{"cannot listen for metrics", busy.Addr().String()},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := New(&echoFunction{}, tc.cfg, logging.NewNopLogger())
			if err == nil {
				_ = s.Run(canceled(t))
				t.Fatal("New: want error, got none")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("New: want errors.Is %v, got %v", tc.wantIs, err)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("New: error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func canceled(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

func TestMaxRecvMsgSize(t *testing.T) {
	cfg := insecureConfig()
	cfg.MaxRecvMsgSize = 1024
	s, _, _ := start(t, &echoFunction{}, cfg)
	conn := dial(t, s.Addr(), insecure.NewCredentials())

	cases := map[string]struct {
		tag  string
		want codes.Code
	}{
		"Small": {tag: "small", want: codes.OK},
		"Large": {tag: strings.Repeat("x", 2048), want: codes.ResourceExhausted},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := runFunction(t.Context(), conn, tc.tag)
			if got := status.Code(err); got != tc.want {
				t.Errorf("RunFunction: want code %v, got %v (%v)", tc.want, got, err)
			}
		})
	}
}

func TestShutdown(t *testing.T) {
	cfg := insecureConfig()
	cfg.MetricsAddress = "127.0.0.1:0"
	// Long enough that returning promptly proves the stop was graceful.
	cfg.ShutdownTimeout = time.Minute
	s, cancel, done := start(t, &echoFunction{}, cfg)
	conn := dial(t, s.Addr(), insecure.NewCredentials())

	watchCtx, stopWatch := context.WithCancel(t.Context())
	defer stopWatch()
	watch, err := healthgrpc.NewHealthClient(conn).Watch(watchCtx, &healthgrpc.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	expectStatus(t, watch, healthgrpc.HealthCheckResponse_SERVING)

	cancel()
	expectStatus(t, watch, healthgrpc.HealthCheckResponse_NOT_SERVING)
	// A graceful stop waits for open streams; a real client ends its watch
	// when told NOT_SERVING.
	stopWatch()

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancellation")
	}
	for _, addr := range []net.Addr{s.Addr(), s.MetricsAddr()} {
		var d net.Dialer
		if c, err := d.DialContext(t.Context(), "tcp", addr.String()); err == nil {
			_ = c.Close()
			t.Errorf("%s still accepts connections after Run returned", addr)
		}
	}
}

func expectStatus(t *testing.T, watch healthgrpc.Health_WatchClient, want healthgrpc.HealthCheckResponse_ServingStatus) {
	t.Helper()
	rsp, err := watch.Recv()
	if err != nil {
		t.Fatalf("Watch.Recv: %v", err)
	}
	if rsp.GetStatus() != want {
		t.Fatalf("Watch: want %v, got %v", want, rsp.GetStatus())
	}
}

func TestShutdownTimeout(t *testing.T) {
	fn := &echoFunction{started: make(chan struct{})}
	cfg := insecureConfig()
	cfg.ShutdownTimeout = 50 * time.Millisecond
	s, cancel, done := start(t, fn, cfg)
	conn := dial(t, s.Addr(), insecure.NewCredentials())

	callErr := make(chan error, 1)
	go func() {
		_, err := runFunction(context.Background(), conn, "stuck")
		callErr <- err
	}()
	<-fn.started

	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s although the shutdown timeout is 50ms")
	}
	if took := time.Since(began); took < cfg.ShutdownTimeout {
		t.Errorf("Run returned after %v, before the shutdown timeout of %v", took, cfg.ShutdownTimeout)
	}
	if err := <-callErr; status.Code(err) != codes.Unavailable {
		t.Errorf("in-flight call: want Unavailable after the forced stop, got %v", err)
	}
}

func TestMetrics(t *testing.T) {
	const handledOK = `grpc_server_handled_total{grpc_code="OK",grpc_method="RunFunction",` +
		`grpc_service="apiextensions.fn.proto.v1.FunctionRunnerService",grpc_type="unary"} 1`

	t.Run("Enabled", func(t *testing.T) {
		cfg := insecureConfig()
		cfg.MetricsAddress = "127.0.0.1:0"
		cfg.Collectors = []prometheus.Collector{prometheus.NewGaugeFunc(
			prometheus.GaugeOpts{Name: "own_metric", Help: "A metric of the function's own."},
			func() float64 { return 42 })}
		s, _, _ := start(t, &echoFunction{}, cfg)
		if _, err := runFunction(t.Context(), dial(t, s.Addr(), insecure.NewCredentials()), "count me"); err != nil {
			t.Fatalf("RunFunction: %v", err)
		}

		body := get(t, "http://"+s.MetricsAddr().String()+"/metrics")
		for _, want := range []string{handledOK, "go_goroutines", "process_open_fds", "own_metric 42"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics does not contain %q", want)
			}
		}
	})

	t.Run("Disabled", func(t *testing.T) {
		s, _, _ := start(t, &echoFunction{}, insecureConfig())
		if got := s.MetricsAddr(); got != nil {
			t.Errorf("MetricsAddr: want nil with an empty metrics address, got %v", got)
		}
		if _, err := runFunction(t.Context(), dial(t, s.Addr(), insecure.NewCredentials()), "uncounted"); err != nil {
			t.Errorf("RunFunction: %v", err)
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if rsp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, rsp.StatusCode, body)
	}
	return string(body)
}
