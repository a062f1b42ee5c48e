package fsreport

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := Report{
		AttemptedConfigHash: "0123456789abcdef", AppliedConfigHash: "0123456789abcdef", AppliedAt: "2026-12-01T23:00:00Z",
		Shares: []Share{{Name: "/export", Applied: true}, {Name: "/archive"}},
	}
	enc := Encode(r)
	if enc != Encode(r) {
		t.Fatal("Encode is not deterministic")
	}
	got, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	r.Version = Version
	if diff := cmp.Diff(&r, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeRefuses(t *testing.T) {
	ok := `"version":1,"attemptedConfigHash":"0123456789abcdef"`
	for name, tc := range map[string]struct {
		reason, raw, wantErr string
	}{
		"not json":         {"a pod can write anything", `{"version":`, "is not a report"},
		"unknown field":    {"a field this function does not know is not silently dropped", `{` + ok + `,"password":"x"}`, "unknown field"},
		"two values":       {"trailing data", `{` + ok + `} {}`, "more than one JSON value"},
		"oversized":        {"bounded before it is parsed", `{` + ok + `,"error":"` + strings.Repeat("x", MaxBytes) + `"}`, "more than the 65536 allowed"},
		"long error":       {"the message is bounded", `{` + ok + `,"error":"` + strings.Repeat("x", MaxError+1) + `"}`, "error: 2049 bytes"},
		"wrong version":    {"a future format is not guessed at", `{"version":2}`, "version: 2, want 1"},
		"bad hash":         {"a hash is 16 hex digits", `{"version":1,"appliedConfigHash":"$(rm -rf)"}`, "appliedConfigHash: not 16 lowercase hex digits"},
		"bad time":         {"appliedAt is RFC 3339", `{` + ok + `,"appliedAt":"yesterday"}`, "appliedAt: not an RFC 3339 time"},
		"bad share name":   {"a share name as the XRD allows it", `{` + ok + `,"shares":[{"name":"../etc","applied":true}]}`, "shares[0].name: not a share name"},
		"share twice":      {"no duplicates", `{` + ok + `,"shares":[{"name":"/a","applied":true},{"name":"/a","applied":false}]}`, "shares[1].name: /a listed twice"},
		"too many shares":  {"bounded count", `{` + ok + `,"shares":[` + strings.Repeat(`{"name":"/a"},`, MaxShares) + `{"name":"/b"}]}`, "more than the 256 allowed"},
		"every problem":    {"all problems in one message", `{"version":1,"appliedConfigHash":"x","appliedAt":"y"}`, "appliedConfigHash: not 16 lowercase hex digits; appliedAt: not an RFC 3339 time"},
		"applied not bool": {"types are checked", `{` + ok + `,"shares":[{"name":"/a","applied":"yes"}]}`, "is not a report"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Decode(tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s: got %v, %v; want an error containing %q", tc.reason, r, err, tc.wantErr)
			}
			if r != nil {
				t.Errorf("%s: a refused report is still returned: %v", tc.reason, r)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	for name, tc := range map[string]struct {
		reason, in string
		n          int
		want       string
	}{
		"short":     {"left as it is", "refused", 100, "refused"},
		"control":   {"one line", "a\nb\tc", 100, "a b c"},
		"long":      {"cut with a mark", strings.Repeat("x", 30), 20, "xxxxxxxx [truncated]"},
		"rune":      {"never inside a rune", strings.Repeat("é", 20), 20, "éééé [truncated]"},
		"not utf-8": {"invalid bytes replaced", "a\xffb", 100, "a?b"},
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want || len(got) > tc.n {
			t.Errorf("%s: %s: Truncate = %q, want %q (at most %d bytes)", name, tc.reason, got, tc.want, tc.n)
		}
	}
}
