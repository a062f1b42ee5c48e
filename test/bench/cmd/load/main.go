// Command load drives function-dittofs and the two baselines (the no-op
// floor and the template way) over gRPC with mTLS, each as its own
// subprocess, with the steady-state request of the example corpus, at
// several concurrencies; and prints them side by side with the ratios and
// the goals of the benchmarks.
//
// The servers run at once and each level is run against each server in
// turn, so that noise from a shared machine falls on all three alike.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc"

	"github.com/dittofs/function-dittofs/internal/corpus"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	root := flag.String("root", "../..", "the function-dittofs repository")
	bins := flag.String("bins", "", "directory holding function, noop-function and template-function")
	example := flag.String("case", "percona-running", "the example case whose steady-state request is sent")
	levels := flag.String("concurrency", "1,8,64", "concurrency levels")
	n := flag.Int("requests", 2000, "requests per server and level")
	benchOut := flag.String("bench-output", "", "go test -bench output to take the in-process results from")
	md := flag.String("markdown", "", "also write the results as Markdown here")
	flag.Parse()

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
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.srv.stop()
		}
	}()
	for _, name := range []string{"ours", "noop", "template"} {
		bin := map[string]string{"ours": "function", "noop": "noop-function", "template": "template-function"}[name]
		s, err := start(name, filepath.Join(*bins, bin), certs)
		if err != nil {
			return err
		}
		t := &target{srv: s}
		targets = append(targets, t)
		if t.conn, err = dial(s.addr, tlsConf); err != nil {
			return err
		}
		if t.req, err = steadyRequest(ctx, t.conn, c); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		// Warm up: connections, TLS, the heap's steady size.
		if _, err := drive(ctx, s, t.conn, t.req, 200, 8); err != nil {
			return err
		}
	}

	results := map[string]map[int]*result{}
	for _, conc := range concs {
		for _, t := range targets {
			fmt.Fprintf(os.Stderr, "load: %s, concurrency %d, %d requests\n", t.srv.name, conc, *n)
			r, err := drive(ctx, t.srv, t.conn, t.req, *n, conc)
			if err != nil {
				return err
			}
			if results[t.srv.name] == nil {
				results[t.srv.name] = map[int]*result{}
			}
			results[t.srv.name][conc] = r
		}
	}

	rep := &report{example: *example, requestBytes: len(targets[0].req), concs: concs, results: results, requests: *n}
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

type target struct {
	srv  *server
	conn *grpc.ClientConn
	req  []byte
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
