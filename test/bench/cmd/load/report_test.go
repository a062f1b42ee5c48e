package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		reason string
		in     []float64
		want   float64
	}{
		{"no rounds", nil, 0},
		{"an odd count: the middle one", []float64{3, 1, 2}, 2},
		{"an even count: the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
	} {
		if got := medianOf(tc.in); got != tc.want {
			t.Errorf("%s\nmedianOf(%v) = %v, want %v", tc.reason, tc.in, got, tc.want)
		}
	}
}

// TestRatiosAreRoundByRound: a ratio is taken within each round (ours and
// the floor measured back to back), then the median of those; not the ratio
// of the medians, which would pair numbers from different rounds.
func TestRatiosAreRoundByRound(t *testing.T) {
	cpu := func(d ...time.Duration) []*result {
		var rs []*result
		for _, x := range d {
			rs = append(rs, &result{cpuPerReq: x})
		}
		return rs
	}
	r := &report{rounds: 3, names: []string{"ours", "echo"}, results: map[string]map[int][]*result{
		"ours": {1: cpu(300, 120, 200)},
		"echo": {1: cpu(200, 100, 100)},
	}}
	got := r.cpuRatios(1, "echo")
	if diff := cmp.Diff([]float64{1.5, 1.2, 2}, got); diff != "" {
		t.Errorf("cpuRatios: -want, +got:\n%s", diff)
	}
	if m := medianOf(got); m != 1.5 {
		t.Errorf("median ratio = %v, want 1.5 (the ratio of the medians would be 2)", m)
	}
}

func TestBenchMedians(t *testing.T) {
	out := `goos: linux
BenchmarkRunFunction/steady-state-2   100  300 ns/op  400 cpu-ns/op  10 B/op  2 allocs/op
BenchmarkRunFunction/steady-state-2   100  100 ns/op  200 cpu-ns/op  10 B/op  2 allocs/op
BenchmarkWire/ours-2                   50  900 ns/op  1.5 MB/s  1000 cpu-ns/op
BenchmarkRunFunction/steady-state-2   100  200 ns/op  900 cpu-ns/op  10 B/op  2 allocs/op
PASS
`
	lines, runs := benchMedians(out)
	want := []string{
		"BenchmarkRunFunction/steady-state-2 200 ns/op 400 cpu-ns/op 10 B/op 2 allocs/op",
		"BenchmarkWire/ours-2 900 ns/op 1.5 MB/s 1000 cpu-ns/op",
	}
	if diff := cmp.Diff(want, lines); diff != "" || runs != 3 {
		t.Errorf("benchMedians: runs = %d, want 3; lines -want, +got:\n%s", runs, diff)
	}
	ns, cpuNs, ok := benchResult(out, steadyBenchName)
	if !ok || ns != 200 || cpuNs != 400 {
		t.Errorf("benchResult = %v, %v, %v; want 200ns, 400ns, true", ns, cpuNs, ok)
	}
}
