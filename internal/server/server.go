// Package server serves a composition function over gRPC the way the SDK's
// function.Serve does, and adds what the SDK lacks: the gRPC health service,
// a metrics server whose errors are reported, and a graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	grpcprometheus "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/proto/v1beta1"
)

// DefaultShutdownTimeout bounds the graceful stop. It stays well below the
// 30s a Kubernetes pod gets between SIGTERM and SIGKILL by default.
const DefaultShutdownTimeout = 10 * time.Second

// ErrNoCredentials is returned when the server would have no transport
// credentials. It names the flags because the operator has to pick one.
var ErrNoCredentials = errors.New("no transport credentials: pass --tls-certs-dir " +
	"(or set TLS_SERVER_CERTS_DIR) to a directory holding tls.crt, tls.key and ca.crt " +
	"for mTLS, or pass --insecure for local development")

// Config says where and how to serve.
type Config struct {
	Network string
	Address string

	// TLSCertsDir holds tls.crt, tls.key and ca.crt. Insecure wins over it,
	// as in the SDK, so both can be passed straight from flags.
	TLSCertsDir string
	Insecure    bool

	// MaxRecvMsgSize in bytes; zero means the SDK default (4 MiB).
	MaxRecvMsgSize int

	// MetricsAddress of the Prometheus /metrics server; empty disables it.
	MetricsAddress string
	// Collectors are the function's own metrics, served beside gRPC's.
	Collectors []prometheus.Collector

	// ShutdownTimeout bounds GracefulStop; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server is a listening gRPC server. Create it with New, then call Run.
type Server struct {
	log             logging.Logger
	grpc            *grpc.Server
	health          *health.Server
	listener        net.Listener
	metrics         *http.Server
	metricsListener net.Listener
	shutdownTimeout time.Duration
}

// Run serves fn until ctx is cancelled. See Server.Run.
func Run(ctx context.Context, fn fnv1.FunctionRunnerServiceServer, cfg Config, log logging.Logger) error {
	s, err := New(fn, cfg, log) //nolint:contextcheck // the listeners live as long as the server, which Run stops when ctx ends
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// New builds the server and opens its listeners, so that a port in use or bad
// certificates fail here, before anything is served. The caller must call Run,
// which closes the listeners.
func New(fn fnv1.FunctionRunnerServiceServer, cfg Config, log logging.Logger) (*Server, error) {
	so, err := serveOptions(cfg)
	if err != nil {
		return nil, err
	}

	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(so.MaxRecvMsgSize),
		grpc.Creds(so.Credentials),
	}
	var metrics *grpcprometheus.ServerMetrics
	if so.MetricsAddress != "" {
		metrics = grpcprometheus.NewServerMetrics()
		opts = append(opts,
			grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor()),
			grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor()),
		)
	}

	s := &Server{
		log:             log,
		grpc:            grpc.NewServer(opts...),
		health:          health.NewServer(),
		shutdownTimeout: cfg.ShutdownTimeout,
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = DefaultShutdownTimeout
	}
	// health.NewServer starts out SERVING; nothing is served until Run.
	s.health.SetServingStatus("", healthgrpc.HealthCheckResponse_NOT_SERVING)
	s.health.SetServingStatus(fnv1.FunctionRunnerService_ServiceDesc.ServiceName, healthgrpc.HealthCheckResponse_NOT_SERVING)

	reflection.Register(s.grpc)
	fnv1.RegisterFunctionRunnerServiceServer(s.grpc, fn)
	// Crossplane 1.16 and older only speak v1beta1.
	v1beta1.RegisterFunctionRunnerServiceServer(s.grpc, function.ServeBeta(fn))
	healthgrpc.RegisterHealthServer(s.grpc, s.health)

	lc := net.ListenConfig{}
	s.listener, err = lc.Listen(context.Background(), so.Network, so.Address)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for gRPC on %s %q: %w", so.Network, so.Address, err)
	}

	if metrics != nil {
		if err := s.setupMetrics(metrics, so.MetricsAddress, cfg.Collectors); err != nil {
			_ = s.listener.Close()
			return nil, err
		}
	}
	return s, nil
}

// serveOptions reuses the SDK's option funcs, so TLS is loaded exactly as
// function.Serve loads it.
func serveOptions(cfg Config) (*function.ServeOptions, error) {
	so := &function.ServeOptions{MaxRecvMsgSize: function.DefaultMaxRecvMsgSize}
	network, address := cfg.Network, cfg.Address
	if network == "" {
		network = function.DefaultNetwork
	}
	if address == "" {
		address = function.DefaultAddress
	}
	opts := []function.ServeOption{
		function.Listen(network, address),
		function.MTLSCertificates(cfg.TLSCertsDir),
		function.Insecure(cfg.Insecure),
		function.WithMetricsServer(cfg.MetricsAddress),
	}
	if cfg.MaxRecvMsgSize > 0 {
		opts = append(opts, function.MaxRecvMessageSize(cfg.MaxRecvMsgSize))
	}
	for _, o := range opts {
		if err := o(so); err != nil {
			return nil, fmt.Errorf("cannot configure server: %w", err)
		}
	}
	if so.Credentials == nil {
		return nil, ErrNoCredentials
	}
	return so, nil
}

// setupMetrics uses a registry of its own, not Prometheus' global one, so
// several servers (tests) can live in one process.
func (s *Server) setupMetrics(metrics *grpcprometheus.ServerMetrics, address string, own []prometheus.Collector) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(metrics); err != nil {
		return fmt.Errorf("cannot register gRPC metrics: %w", err)
	}
	for _, c := range own {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("cannot register the function's metrics: %w", err)
		}
	}
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return fmt.Errorf("cannot register Go metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return fmt.Errorf("cannot register process metrics: %w", err)
	}
	// Zero series for every method, so dashboards see them before the first call.
	metrics.InitializeMetrics(s.grpc)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}

	// Listen here rather than in ListenAndServe, whose error the SDK drops.
	lc := net.ListenConfig{}
	lis, err := lc.Listen(context.Background(), "tcp", address)
	if err != nil {
		return fmt.Errorf("cannot listen for metrics on %q: %w", address, err)
	}
	s.metricsListener = lis
	return nil
}

// Addr is the address the gRPC server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// MetricsAddr is the address of the metrics server, or nil when it is off.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsListener == nil {
		return nil
	}
	return s.metricsListener.Addr()
}

// Run serves until ctx is cancelled or a server fails. On cancellation it
// reports NOT_SERVING, stops gracefully within the shutdown timeout, then
// forcibly, and returns nil. It returns the error of a server that failed.
func (s *Server) Run(ctx context.Context) error {
	errs := make(chan error, 2)
	go func() {
		if err := s.grpc.Serve(s.listener); err != nil {
			errs <- fmt.Errorf("cannot serve gRPC: %w", err)
		}
	}()
	if s.metrics != nil {
		go func() {
			if err := s.metrics.Serve(s.metricsListener); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("cannot serve metrics: %w", err)
			}
		}()
	}

	s.health.SetServingStatus("", healthgrpc.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(fnv1.FunctionRunnerService_ServiceDesc.ServiceName, healthgrpc.HealthCheckResponse_SERVING)
	s.log.Info("Serving function", "address", s.Addr().String(), "metrics", addrString(s.MetricsAddr()))

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("Shutting down", "timeout", s.shutdownTimeout.String())
	case err = <-errs:
	}
	s.shutdown() //nolint:contextcheck // ctx is done by now: shutdown has its own deadline
	return err
}

func (s *Server) shutdown() {
	// Health watchers and checks see NOT_SERVING while in-flight calls finish.
	s.health.Shutdown()

	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(s.shutdownTimeout)
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		s.log.Info("Graceful stop timed out, closing open connections", "timeout", s.shutdownTimeout.String())
		s.grpc.Stop()
		<-stopped
	}

	if s.metrics == nil {
		return
	}
	// Scrapes are short; do not let a slow one hold up the exit.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.metrics.Shutdown(ctx); err != nil {
		_ = s.metrics.Close()
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return "disabled"
	}
	return a.String()
}
