package reconciler

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/fsreport"
)

const hashA, hashB = "000000000000000a", "000000000000000b"

func twoShares() *declared.Config {
	return &declared.Config{Shares: []declared.Share{{Name: "/export"}, {Name: "/archive"}}}
}

func TestNextReport(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 23, 0, 0, 500, time.UTC)
	applied := fsreport.Report{
		Version: 1, AttemptedConfigHash: hashA, AppliedConfigHash: hashA, AppliedAt: "2026-12-01T22:00:00Z",
		Shares: []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive", Applied: true}},
	}
	for name, tc := range map[string]struct {
		reason string
		prev   fsreport.Report
		res    PassResult
		want   fsreport.Report
	}{
		"first success": {
			"applied whole: the hash and the time, every share applied",
			fsreport.Report{},
			PassResult{declared: twoShares(), configHash: hashA, planned: true},
			fsreport.Report{
				Version: 1, AttemptedConfigHash: hashA, AppliedConfigHash: hashA, AppliedAt: "2026-12-01T23:00:00Z",
				Shares: []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive", Applied: true}},
			},
		},
		"resync": {
			"the same declaration applied again keeps its time: the same report, no write",
			applied,
			PassResult{declared: twoShares(), configHash: hashA, planned: true},
			applied,
		},
		"share refused": {
			"a refused or failed share is not applied, the error names it, the applied hash stays the last whole one",
			applied,
			PassResult{
				declared: twoShares(), configHash: hashB, planned: true,
				Errors:  []error{errors.New("create share /archive: 500")},
				failed:  []Action{{Op: OpUpdate, Kind: KindPermission, Name: "/archive|user|alice"}},
				Refused: []Problem{{Kind: KindShare, Name: "/export", Message: "changing its metadata store would lose its files"}},
			},
			fsreport.Report{
				Version: 1, AttemptedConfigHash: hashB, AppliedConfigHash: hashA, AppliedAt: "2026-12-01T22:00:00Z",
				Error:  "create share /archive: 500; refused: share /export: changing its metadata store would lose its files",
				Shares: []fsreport.Share{{Name: "/export"}, {Name: "/archive"}},
			},
		},
		"not planned": {
			"a pass that did not get to plan keeps what the shares were",
			applied,
			PassResult{declared: twoShares(), configHash: hashB, Errors: []error{errors.New("log in to DittoFS as admin: refused")}},
			fsreport.Report{
				Version: 1, AttemptedConfigHash: hashB, AppliedConfigHash: hashA, AppliedAt: "2026-12-01T22:00:00Z",
				Error:  "log in to DittoFS as admin: refused",
				Shares: []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive", Applied: true}},
			},
		},
		"unreadable declaration": {
			"nothing read: the last declaration's report stands, with the error",
			applied,
			PassResult{Errors: []error{errors.New("config.yaml: shares[0].name: required")}},
			fsreport.Report{
				Version: 1, AttemptedConfigHash: hashA, AppliedConfigHash: hashA, AppliedAt: "2026-12-01T22:00:00Z",
				Error: "config.yaml: shares[0].name: required", Shares: applied.Shares,
			},
		},
		"secret in an error": {
			"a secret value in an error (an echoing server) is scrubbed",
			fsreport.Report{},
			PassResult{declared: twoShares(), configHash: hashA, Errors: []error{errors.New("login alice with hunter22: refused")}, secrets: []string{"hunter22"}},
			fsreport.Report{
				Version: 1, AttemptedConfigHash: hashA, Error: "login alice with [redacted]: refused",
				Shares: []fsreport.Share{{Name: "/export"}, {Name: "/archive"}},
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := nextReport(tc.prev, tc.res, t0)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// countingSink is a ReportSink that keeps what it was given.
type countingSink struct {
	writes []string
	fail   error
}

func (s *countingSink) Write(_ context.Context, enc string) error {
	if s.fail != nil {
		return s.fail
	}
	s.writes = append(s.writes, enc)
	return nil
}

func (s *countingSink) Read(context.Context) (string, error) {
	if len(s.writes) == 0 {
		return "", nil
	}
	return s.writes[len(s.writes)-1], nil
}

func TestReportWritesOnChangeOnly(t *testing.T) {
	sink := &countingSink{}
	r := New(Options{Report: sink, Log: slog.New(slog.DiscardHandler)})
	ok := PassResult{declared: twoShares(), configHash: hashA, planned: true}
	ctx := context.Background()
	r.report(ctx, ok)
	r.report(ctx, ok) // a resync: nothing changed
	if len(sink.writes) != 1 {
		t.Fatalf("%d writes after two equal passes, want 1", len(sink.writes))
	}
	r.report(ctx, PassResult{declared: twoShares(), configHash: hashA, planned: true, Errors: []error{errors.New("boom")}})
	if len(sink.writes) != 2 {
		t.Fatalf("%d writes after an error, want 2", len(sink.writes))
	}
	// A failed write is tried again after the next pass.
	sink.fail = errors.New("forbidden")
	r.report(ctx, ok)
	sink.fail = nil
	r.report(ctx, ok)
	if len(sink.writes) != 3 {
		t.Fatalf("%d writes after a failed write and a retry, want 3", len(sink.writes))
	}

	// A restarted reconciler starts from the stored report: its first
	// pass, finding the same, writes nothing.
	again := New(Options{Report: sink, Log: slog.New(slog.DiscardHandler)})
	again.loadReport(ctx)
	again.report(ctx, ok)
	if len(sink.writes) != 3 {
		t.Errorf("%d writes after a restart that changed nothing, want 3", len(sink.writes))
	}
}
