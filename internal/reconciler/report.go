package reconciler

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/fsreport"
)

// ReportSink stores the reconciler's report where the function reads it.
type ReportSink interface {
	// Write stores the report's encoding (fsreport.Encode).
	Write(ctx context.Context, encoded string) error
}

// loadDeclared reads the declaration once: its hash and its content come
// from the same bytes, so a report never claims a declaration it did not
// read. A missing file is an empty declaration (as declared.Load).
func loadDeclared(path string) (*declared.Config, string, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // the path is the reconciler's own flag
	if errors.Is(err, os.ErrNotExist) {
		return &declared.Config{APIVersion: declared.APIVersion, Kind: declared.Kind}, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	c, err := declared.Parse(raw)
	return c, fsreport.ConfigHash(raw), err
}

// secretValues are every secret a pass read, to scrub from what it reports.
func secretValues(d *Desired, admin string) []string {
	var out []string
	keep := func(s string) {
		// Very short values would scrub ordinary words; a secret that
		// short is not a secret worth the name.
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	keep(admin)
	if d == nil {
		return out
	}
	for _, p := range d.UserPasswords {
		keep(p)
	}
	for _, c := range d.S3 {
		keep(c.AccessKeyID)
		keep(c.SecretAccessKey)
	}
	for _, c := range d.Postgres {
		keep(c.Password)
	}
	// Longest first, so a secret containing another is scrubbed whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// redact replaces every secret value in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// nextReport is the report after a pass: what it read and applied. The
// time of an applied declaration moves only when the declaration does, so
// a resync that changes nothing makes the same report (and no write).
func nextReport(prev fsreport.Report, res PassResult, now time.Time) fsreport.Report {
	r := prev
	r.Version = fsreport.Version
	if res.declared != nil {
		r.AttemptedConfigHash = res.configHash
		r.Shares = shareReports(prev.Shares, res)
	}
	var msgs []string
	for _, e := range res.Errors {
		msgs = append(msgs, e.Error())
	}
	for _, p := range res.Refused {
		msgs = append(msgs, "refused: "+p.String())
	}
	r.Error = fsreport.Truncate(redact(strings.Join(msgs, "; "), res.secrets), fsreport.MaxError)
	if len(msgs) == 0 && res.declared != nil && r.AppliedConfigHash != res.configHash {
		r.AppliedConfigHash = res.configHash
		r.AppliedAt = now.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return r
}

// shareReports says per declared share whether it is applied: the pass
// planned it and nothing about it failed or was refused. A pass that did
// not get to plan keeps what the previous report said.
func shareReports(prev []fsreport.Share, res PassResult) []fsreport.Share {
	was := map[string]bool{}
	for _, s := range prev {
		was[s.Name] = s.Applied
	}
	out := make([]fsreport.Share, 0, len(res.declared.Shares))
	for _, s := range res.declared.Shares {
		applied := was[s.Name]
		if res.planned {
			applied = !shareTouched(s.Name, res)
		}
		out = append(out, fsreport.Share{Name: s.Name, Applied: applied})
	}
	if len(out) > fsreport.MaxShares {
		out = out[:fsreport.MaxShares]
	}
	return out
}

// shareTouched reports whether a failed action or a refusal concerns share.
func shareTouched(share string, res PassResult) bool {
	about := func(kind, name string) bool {
		switch kind {
		case KindShare, KindShareNFS, KindSnapshotPolicy:
			return name == share
		case KindPermission:
			return strings.HasPrefix(name, share+"|")
		}
		return false
	}
	for _, a := range res.failed {
		if about(a.Kind, a.Name) {
			return true
		}
	}
	for _, p := range res.Refused {
		if about(p.Kind, p.Name) {
			return true
		}
	}
	return false
}

// report stores the pass's report when it differs from the last one
// stored. A failed write is logged and tried again after the next pass.
func (r *Reconciler) report(ctx context.Context, res PassResult) {
	if r.opts.Report == nil {
		return
	}
	next := nextReport(r.lastReport, res, time.Now())
	enc := fsreport.Encode(next)
	r.lastReport = next
	if enc == r.written {
		return
	}
	if err := r.opts.Report.Write(ctx, enc); err != nil {
		r.opts.Log.Error("could not write the status report", "error", err.Error())
		return
	}
	r.written = enc
	r.opts.Log.Info("wrote the status report", "attemptedConfigHash", next.AttemptedConfigHash, "appliedConfigHash", next.AppliedConfigHash, "error", next.Error != "")
}

// ReportReader is a ReportSink that can read back what it stored.
type ReportReader interface {
	Read(ctx context.Context) (string, error)
}

// loadReport starts from the stored report, so a restarted reconciler
// keeps the time its declaration was applied and writes nothing when its
// first pass finds the same. A report that cannot be read or decoded is
// replaced by the first pass's.
func (r *Reconciler) loadReport(ctx context.Context) {
	rr, ok := r.opts.Report.(ReportReader)
	if !ok {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := rr.Read(rctx)
	if err != nil {
		r.opts.Log.Warn("could not read the stored status report", "error", err.Error())
		return
	}
	rep, err := fsreport.Decode(raw)
	if raw == "" || err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastReport, r.written = *rep, raw
}
