// Package fsreport is the report the file service reconciler writes into
// the ConfigMap <xr>-fileservice-status and the function reads back: the
// one channel from the DittoFS pod to the function (docs/fileservice.md).
//
// The function composes that ConfigMap without data, so Crossplane's field
// manager never owns its data; the reconciler applies the one key Key with
// its own field manager, through a ServiceAccount whose Role allows get and
// patch on that one ConfigMap and nothing else. The function treats what it
// reads as untrusted input from a pod: Decode bounds and validates it.
package fsreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// Key is the ConfigMap data key holding the report (JSON).
	Key = "report.json"
	// FieldManager is the reconciler's server-side apply field manager.
	FieldManager = "dittofs-fileservice-reconciler"
	// Version of the report's format.
	Version = 1

	// MaxBytes bounds the report as stored; a larger one is refused whole.
	MaxBytes = 64 << 10
	// MaxError bounds the error message, in bytes (the writer truncates to
	// it, the reader refuses more).
	MaxError = 2048
	// MaxShares bounds the shares listed (the XRD allows no more).
	MaxShares = 256
)

// Report is what the reconciler last did. It never holds a secret.
type Report struct {
	Version int `json:"version"`
	// AttemptedConfigHash is ConfigHash of the declaration the last pass
	// read; AppliedConfigHash that of the last declaration a pass applied
	// whole, at AppliedAt (RFC 3339, UTC, seconds).
	AttemptedConfigHash string `json:"attemptedConfigHash,omitempty"`
	AppliedConfigHash   string `json:"appliedConfigHash,omitempty"`
	AppliedAt           string `json:"appliedAt,omitempty"`
	// Error is the last pass's errors and refusals, joined; empty when it
	// applied everything.
	Error string `json:"error,omitempty"`
	// Shares of the declaration the last pass read, in its order.
	Shares []Share `json:"shares,omitempty"`
}

// Share is one declared share: Applied when it exists on the server as
// declared (the pass planned it and nothing about it failed or was
// refused).
type Share struct {
	Name    string `json:"name"`
	Applied bool   `json:"applied"`
}

// ConfigHash is the hash of a declared config.yaml's bytes: the function
// hashes what it renders into <xr>-fileservice, the reconciler what the
// kubelet projected of it, so equal hashes mean the same declaration.
func ConfigHash(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])[:16]
}

var (
	hashPattern  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	sharePattern = regexp.MustCompile(`^/[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
)

// Encode is the report as the reconciler stores it: the same report gives
// the same bytes, so an unchanged report is never written again.
func Encode(r Report) string {
	r.Version = Version
	r.Error = Truncate(r.Error, MaxError)
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings and bools always encode
	}
	return string(b)
}

// Decode parses and validates a stored report. Every problem is an error
// naming the field; nothing of a refused report is used.
func Decode(raw string) (*Report, error) {
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", Key, len(raw), MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s is not a report: %w", Key, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s holds more than one JSON value", Key)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func (r *Report) validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if r.Version != Version {
		bad("version: %d, want %d", r.Version, Version)
	}
	for _, h := range []struct{ field, v string }{{"attemptedConfigHash", r.AttemptedConfigHash}, {"appliedConfigHash", r.AppliedConfigHash}} {
		if h.v != "" && !hashPattern.MatchString(h.v) {
			bad("%s: not 16 lowercase hex digits", h.field)
		}
	}
	if r.AppliedAt != "" {
		if _, err := time.Parse(time.RFC3339, r.AppliedAt); err != nil {
			bad("appliedAt: not an RFC 3339 time")
		}
	}
	if len(r.Error) > MaxError {
		bad("error: %d bytes, more than the %d allowed", len(r.Error), MaxError)
	} else if !utf8.ValidString(r.Error) {
		bad("error: not UTF-8")
	}
	if len(r.Shares) > MaxShares {
		bad("shares: %d, more than the %d allowed", len(r.Shares), MaxShares)
	} else {
		seen := map[string]bool{}
		for i, s := range r.Shares {
			switch {
			case !sharePattern.MatchString(s.Name):
				bad("shares[%d].name: not a share name (/export)", i)
			case seen[s.Name]:
				bad("shares[%d].name: %s listed twice", i, s.Name)
			}
			seen[s.Name] = true
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %s", Key, strings.Join(errs, "; "))
	}
	return nil
}

// Truncate shortens s to at most n bytes on a rune boundary, marking the
// cut, and replaces control characters (a message goes into one line of a
// condition).
func Truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) <= n {
		return s
	}
	const mark = " [truncated]"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
