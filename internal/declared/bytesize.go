package declared

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ByteSize parsing and formatting as DittoFS v0.29.0 does it
// (internal/bytesize, which other modules cannot import): the reconciler
// compares a declared size with the one DittoFS reports in its own format.

var byteSizePattern = regexp.MustCompile(`(?i)^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$`)

var byteUnits = map[string]uint64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// ParseByteSize reads 512Mi, 20GiB, 1.5G or 1048576 into bytes.
func ParseByteSize(s string) (uint64, error) {
	m := byteSizePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	unit, ok := byteUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown byte size unit %q", m[2])
	}
	if strings.Contains(m[1], ".") {
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid byte size %q", s)
		}
		return uint64(f * float64(unit)), nil
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	return n * unit, nil
}

// FormatByteSize is DittoFS's ByteSize.String: what its API returns.
func FormatByteSize(b uint64) string {
	const kib, mib, gib, tib = 1 << 10, 1 << 20, 1 << 30, 1 << 40
	switch {
	case b >= tib:
		return fmt.Sprintf("%.2fTiB", float64(b)/tib)
	case b >= gib:
		return fmt.Sprintf("%.2fGiB", float64(b)/gib)
	case b >= mib:
		return fmt.Sprintf("%.2fMiB", float64(b)/mib)
	case b >= kib:
		return fmt.Sprintf("%.2fKiB", float64(b)/kib)
	default:
		return fmt.Sprintf("%dB", b)
	}
}
