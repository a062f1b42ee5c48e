// Command load drives function-dittofs and its baselines (the echo floor:
// function-dittofs's own response, fixed, and a variant that copies it for
// every call; the no-op function; the template way) over gRPC with mTLS, each as its own subprocess, with the
// steady-state request of the example corpus, at several concurrencies; and
// prints them side by side with the ratios and the goals of the benchmarks.
//
// The servers run at once. A round runs each level against each server in
// turn (in an order that rotates from round to round), so that noise from a
// shared machine falls on all of them alike; the report is the median of
// the rounds.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc"

	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	root := flag.String("root", "../..", "the function-dittofs repository")
	bins := flag.String("bins", "", "directory holding function, echo-function, noop-function and template-function")
	example := flag.String("case", "percona-running", "the example case whose steady-state request is sent")
	levels := flag.String("concurrency", "1,8,64", "concurrency levels")
	n := flag.Int("requests", 2000, "requests per server, level and round")
	rounds := flag.Int("rounds", 3, "rounds: every level against every server, interleaved; the report is their median")
	benchOut := flag.String("bench-output", "", "go test -bench output to take the in-process results from")
	md := flag.String("markdown", "", "also write the results as Markdown here")
	also := flag.String("also", "", "more builds of function-dittofs to drive beside it, as name=binary,... (say before=/tmp/function-before)")
	flag.Parse()

	peakLoad := loadAverage()
	concs, err := parseLevels(*levels)
	if err != nil {
		return err
	}
	c, err := corpus.LoadExample(*root, *example)
	if err != nil {
		return err
	}
	certs, err := os.MkdirTemp("", "bench-certs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(certs)
	tlsConf, err := makeCerts(certs)
	if err != nil {
		return err
	}

	ctx := context.Background()
	names, bin, err := servers(*bins, *also)
	if err != nil {
		return err
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	targets, err := startAll(ctx, names, bin, certs, tlsConf, c, absRoot)
	defer func() {
		for _, t := range targets {
			t.srv.stop()
		}
	}()
	if err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("-rounds %d: at least one", *rounds)
	}
	results, peak, err := measure(ctx, targets, concs, *rounds, *n)
	if err != nil {
		return err
	}

	rep := &report{
		peakLoad: max(peakLoad, peak), names: names, example: *example, requestBytes: len(targets[0].req), responseBytes: targets[0].rspBytes,
		concs: concs, results: results, requests: *n, rounds: *rounds,
	}
	if *benchOut != "" {
		data, err := os.ReadFile(*benchOut)
		if err != nil {
			return err
		}
		rep.bench = string(data)
	}
	out := rep.text()
	fmt.Print(out)
	if *md != "" {
		return os.WriteFile(*md, []byte(rep.markdown(out)), 0o644)
	}
	return nil
}

// functionNames are the servers: function-dittofs first (as it ships, its
// response cache on), then the same binary composing every call, then its
// floor and the floor's per-call copying variant; binaries are their
// programs in -bins. -also adds more after them.
var (
	functionNames = []string{"ours", "uncached", "echo", "echo-clone", "noop", "template"}
	binaries      = map[string]string{
		"ours": "function", "uncached": "function", "echo": "echo-function", "echo-clone": "echo-function",
		"noop": "noop-function", "template": "template-function",
	}
)

// startAll starts the servers, each with the flags of its own, and brings
// each to its steady-state request (warmed up); then checks that both echo
// floors answer exactly what ours does. It returns the targets started so
// far even on an error, for the caller to stop.
func startAll(ctx context.Context, names []string, bin map[string]string, certs string, tlsConf *tls.Config, c *corpus.Case, root string) ([]*target, error) {
	var targets []*target
	for _, name := range names {
		var extra []string
		switch name {
		case "uncached":
			extra = []string{"--response-cache-mb=0"}
		case "echo":
			extra = []string{"--root=" + root, "--case=" + c.Name}
		case "echo-clone":
			extra = []string{"--root=" + root, "--case=" + c.Name, "--clone"}
		}
		s, err := start(ctx, name, bin[name], certs, extra...)
		if err != nil {
			return targets, err
		}
		t := &target{srv: s}
		targets = append(targets, t)
		if t.conn, err = dial(s.addr, tlsConf); err != nil {
			return targets, err
		}
		if t.req, err = steadyRequest(ctx, t.conn, c); err != nil {
			return targets, fmt.Errorf("%s: %w", name, err)
		}
		// Warm up: connections, TLS, the heap's steady size.
		if _, err := drive(ctx, s, t.conn, t.req, 200, 8); err != nil {
			return targets, err
		}
	}
	// The same binary composing every call, and both echo floors, answer
	// exactly what ours does.
	for _, t := range targets[1:4] {
		if err := sameAnswer(ctx, targets[0], t); err != nil {
			return targets, err
		}
	}
	return targets, nil
}

// measure runs rounds rounds: in each, every level against every server in
// turn, the order rotating from round to round. It returns the results by
// server and level, one per round, and the highest load average seen.
func measure(ctx context.Context, targets []*target, concs []int, rounds, n int) (map[string]map[int][]*result, float64, error) {
	results := map[string]map[int][]*result{}
	var peak float64
	for round := range rounds {
		for _, conc := range concs {
			for i := range targets {
				t := targets[(i+round)%len(targets)]
				fmt.Fprintf(os.Stderr, "load: round %d/%d, %s, concurrency %d, %d requests\n", round+1, rounds, t.srv.name, conc, n)
				r, err := drive(ctx, t.srv, t.conn, t.req, n, conc)
				if err != nil {
					return nil, 0, err
				}
				if results[t.srv.name] == nil {
					results[t.srv.name] = map[int][]*result{}
				}
				results[t.srv.name][conc] = append(results[t.srv.name][conc], r)
				peak = max(peak, loadAverage())
			}
		}
	}
	return results, peak, nil
}

// servers are the names of the servers to drive and their programs: those
// of functionNames in dir, then the -also ones.
func servers(dir, also string) ([]string, map[string]string, error) {
	names := slices.Clone(functionNames)
	bin := map[string]string{}
	for _, name := range names {
		bin[name] = filepath.Join(dir, binaries[name])
	}
	for _, a := range strings.Split(also, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		name, path, ok := strings.Cut(a, "=")
		if !ok || name == "" || path == "" || bin[name] != "" {
			return nil, nil, fmt.Errorf("-also %q: want name=binary, with a name of its own", a)
		}
		names = append(names, name)
		bin[name] = path
	}
	return names, bin, nil
}

type target struct {
	srv      *server
	conn     *grpc.ClientConn
	req      []byte
	rspBytes int
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}
