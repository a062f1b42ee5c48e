package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/internal/fsreport"
)

func TestJudgeReport(t *testing.T) {
	const current, old = "00000000000000aa", "00000000000000bb"
	report := func(r fsreport.Report) observedReport {
		return observedReport{present: true, raw: fsreport.Encode(r)}
	}
	shares := []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive"}}
	for name, tc := range map[string]struct {
		reason   string
		observed observedReport
		want     reportVerdict
		// wantIn is a part of the message (the rest is checked whole).
		wantIn string
	}{
		"no report": {
			"the ConfigMap exists without data until the reconciler's first write",
			observedReport{},
			reportVerdict{reason: reasonPending, message: "waiting for the reconciler's first report"},
			"",
		},
		"applied": {
			"the current declaration applied whole",
			report(fsreport.Report{AttemptedConfigHash: current, AppliedConfigHash: current, AppliedAt: "2026-12-01T23:00:00Z", Shares: shares}),
			reportVerdict{ready: true, reason: reasonApplied, message: "the reconciler applied declaration 00000000000000aa at 2026-12-01T23:00:00Z", applied: map[string]bool{"/export": true, "/archive": false}},
			"",
		},
		"error": {
			"an error on the current declaration carries the reconciler's message",
			report(fsreport.Report{AttemptedConfigHash: current, AppliedConfigHash: old, AppliedAt: "2026-12-01T22:00:00Z", Error: "create share /archive: 409 conflict", Shares: shares}),
			reportVerdict{reason: reasonReconcileError, message: "the reconciler reports: create share /archive: 409 conflict", applied: map[string]bool{"/export": true, "/archive": false}},
			"",
		},
		"stale hash": {
			"a report on an older declaration is not taken for the current one",
			report(fsreport.Report{AttemptedConfigHash: old, AppliedConfigHash: old, AppliedAt: "2026-12-01T22:00:00Z", Shares: shares}),
			reportVerdict{reason: reasonPending, applied: map[string]bool{"/export": true, "/archive": false}},
			"has not read declaration 00000000000000aa yet",
		},
		"stale hash with an error": {
			"the old declaration's error is still said",
			report(fsreport.Report{AttemptedConfigHash: old, Error: "log in to DittoFS as admin: refused"}),
			reportVerdict{reason: reasonPending, applied: map[string]bool{}},
			"nothing applied yet; its last error: log in to DittoFS as admin: refused",
		},
		"read, not applied": {
			"read the current declaration, no error yet, not applied (a pass in progress cannot say so; kept apart anyway)",
			report(fsreport.Report{AttemptedConfigHash: current, AppliedConfigHash: old, AppliedAt: "2026-12-01T22:00:00Z"}),
			reportVerdict{reason: reasonPending, message: "the reconciler is applying declaration 00000000000000aa; last applied declaration 00000000000000bb at 2026-12-01T22:00:00Z", applied: map[string]bool{}},
			"",
		},
		"malformed": {
			"untrusted input: nothing of it is used",
			observedReport{present: true, raw: `{"version":1,"shares":[{"name":"/export","applied":true}],"extra":1}`},
			reportVerdict{reason: reasonInvalidReport},
			"the reconciler's report is refused: report.json is not a report",
		},
		"oversized": {
			"bounded",
			observedReport{present: true, raw: strings.Repeat(" ", fsreport.MaxBytes+1)},
			reportVerdict{reason: reasonInvalidReport},
			"more than the 65536 allowed",
		},
		"not a string": {
			"data holds strings, but the function does not assume it",
			observedReport{present: true, notString: true},
			reportVerdict{reason: reasonInvalidReport, message: "the reconciler's report is not a string"},
			"",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := judgeReport(tc.observed, current)
			if tc.wantIn != "" {
				if !strings.Contains(got.message, tc.wantIn) {
					t.Errorf("%s: message %q, want it to contain %q", tc.reason, got.message, tc.wantIn)
				}
				got.message = ""
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(reportVerdict{})); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
