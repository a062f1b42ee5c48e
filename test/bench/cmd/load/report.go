package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The goals the benchmarks are held to (issue 7).
const (
	goalInProcess   = 200 * time.Microsecond // full composition, steady state
	goalCPUvsFloor  = 2.0                    // server CPU per request, ours / noop
	goalVsTemplate  = 5.0                    // throughput, ours / template
	goalRSS         = 64 << 20               // peak RSS at the highest concurrency
	steadyBenchName = "BenchmarkRunFunction/steady-state"
)

type report struct {
	example      string
	requestBytes int
	requests     int
	concs        []int
	results      map[string]map[int]*result
	bench        string // go test -bench output, if any
}

func (r *report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "function-dittofs benchmarks, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "machine: %s\n", machine())
	fmt.Fprintf(&b, "request: example/%s steady state, %d bytes encoded; %d requests per server and level\n\n",
		r.example, r.requestBytes, r.requests)

	if lines := benchLines(r.bench); len(lines) > 0 {
		b.WriteString("In-process (go test -bench ./test/bench; cpu-ns/op is the process's CPU time per op)\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("\n")
	}

	b.WriteString("Over gRPC with mTLS, each function its own process\n")
	fmt.Fprintf(&b, "  %-9s %5s %9s %9s %9s %9s %11s %9s\n", "function", "conc", "req/s", "p50", "p99", "p99.9", "CPU/req", "peak RSS")
	for _, conc := range r.concs {
		for _, name := range []string{"ours", "noop", "template"} {
			x := r.results[name][conc]
			fmt.Fprintf(&b, "  %-9s %5d %9.0f %9s %9s %9s %11s %6.1f MiB", name, conc, x.throughput,
				short(x.percentile(0.50)), short(x.percentile(0.99)), short(x.percentile(0.999)),
				short(x.cpuPerReq), float64(x.peakRSS)/(1<<20))
			if x.errors > 0 {
				fmt.Fprintf(&b, "  %d ERRORS", x.errors)
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\nRatios\n")
	fmt.Fprintf(&b, "  %5s %28s %28s\n", "conc", "CPU/req ours : noop (floor)", "req/s ours : template")
	for _, conc := range r.concs {
		fmt.Fprintf(&b, "  %5d %27.2fx %27.2fx\n", conc, r.cpuRatio(conc), r.throughputRatio(conc))
	}

	b.WriteString("\nGoals\n")
	for _, g := range r.goals() {
		mark := "not met"
		if g.met {
			mark = "met"
		}
		fmt.Fprintf(&b, "  [%-7s] %s: %s\n", mark, g.goal, g.measured)
	}
	return b.String()
}

func (r *report) cpuRatio(conc int) float64 {
	return float64(r.results["ours"][conc].cpuPerReq) / float64(r.results["noop"][conc].cpuPerReq)
}

func (r *report) throughputRatio(conc int) float64 {
	return r.results["ours"][conc].throughput / r.results["template"][conc].throughput
}

type goal struct {
	goal, measured string
	met            bool
}

func (r *report) goals() []goal {
	var gs []goal
	if ns, cpu, ok := benchResult(r.bench, steadyBenchName); ok {
		gs = append(gs, goal{
			goal:     "full composition in-process under " + goalInProcess.String(),
			measured: fmt.Sprintf("steady state %s/op (CPU %s/op)", short(ns), short(cpu)),
			met:      ns < goalInProcess,
		})
	}
	cpu := goal{goal: fmt.Sprintf("server CPU per request at most %.0fx the floor's", goalCPUvsFloor), met: true}
	tp := goal{goal: fmt.Sprintf("at least %.0fx the template baseline's throughput", goalVsTemplate), met: true}
	var cpus, tps []string
	for _, conc := range r.concs {
		cpus = append(cpus, fmt.Sprintf("%.2fx at %d", r.cpuRatio(conc), conc))
		tps = append(tps, fmt.Sprintf("%.2fx at %d", r.throughputRatio(conc), conc))
		cpu.met = cpu.met && r.cpuRatio(conc) <= goalCPUvsFloor
		tp.met = tp.met && r.throughputRatio(conc) >= goalVsTemplate
	}
	cpu.measured, tp.measured = strings.Join(cpus, ", "), strings.Join(tps, ", ")
	top := r.concs[len(r.concs)-1]
	rss := r.results["ours"][top].peakRSS
	gs = append(gs, cpu, tp, goal{
		goal:     fmt.Sprintf("peak RSS under %d MiB at concurrency %d", goalRSS>>20, top),
		measured: fmt.Sprintf("%.1f MiB", float64(rss)/(1<<20)),
		met:      rss < goalRSS,
	})
	return gs
}

// markdown is docs/bench.md: the report, and how to get a new one.
func (r *report) markdown(text string) string {
	return "# Benchmarks\n\n" +
		"The last `make bench`, from the machine it names. Only the ratios carry from one machine to\n" +
		"another: the three functions run in the same run, interleaved, on the same cores.\n" +
		"The template baseline re-creates function-go-templating (which the Go module proxy\n" +
		"does not serve here) step for step; see test/bench/baseline/template.go.\n\n" +
		"```\n" + text + "```\n"
}

var benchLine = regexp.MustCompile(`^Benchmark\S+`)

func benchLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if benchLine.MatchString(l) {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	return lines
}

// benchResult finds name's ns/op and cpu-ns/op in go test -bench output.
func benchResult(out, name string) (ns, cpu time.Duration, ok bool) {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], name+"-") && f[0] != name {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				ns, ok = time.Duration(v), true
			case "cpu-ns/op":
				cpu = time.Duration(v)
			}
		}
	}
	return ns, cpu, ok
}

// machine describes where the numbers came from: cores, CPU model, Go, and
// how busy the machine was.
func machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	load := "?"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s %s/%s, load average %s", runtime.NumCPU(), model,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// short prints a duration with three significant digits.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	}
}
