package spec

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
)

// errNotJSON is a number JSON cannot hold (NaN or an infinity), as
// protojson reports it.
var (
	errNotJSON = errors.New("a number that is NaN or infinite has no JSON form")
	errNotUTF8 = errors.New("a string that is not UTF-8 has no JSON form")
)

// appendJSON appends v as JSON, for encoding/json to decode into the typed
// spec: the document protojson.Marshal writes, without the protojson
// machinery (reflection over the message, its output checked on the way),
// which cost a twentieth of a call for a JSON text that is only read back.
func appendJSON(b []byte, v *structpb.Value) ([]byte, error) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue:
		// Sorted, as protojson writes them: encoding/json matches keys to
		// fields without regard to case, and the last of two that match
		// one field wins; in map order, which one would change from call
		// to call.
		fields := k.StructValue.GetFields()
		b = append(b, '{')
		for i, name := range slices.Sorted(maps.Keys(fields)) {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONString(b, name); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, fields[name]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case *structpb.Value_ListValue:
		b = append(b, '[')
		for i, ev := range k.ListValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, ev); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case *structpb.Value_StringValue:
		return appendJSONString(b, k.StringValue)
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errNotJSON
		}
		return appendJSONNumber(b, f), nil
	case *structpb.Value_BoolValue:
		return strconv.AppendBool(b, k.BoolValue), nil
	default:
		// NullValue, and a Value with no kind set, which protojson
		// refuses and encoding/json reads as nothing set either.
		return append(b, "null"...), nil
	}
}

// appendJSONNumber writes f as encoding/json (and protojson) write a
// float64: in full below 1e21 (8080, never 8.08e+03, so that it decodes
// into an int field), with an exponent only far from 1.
func appendJSONNumber(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07, as strconv writes it, is 1e-7 in JSON's.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped. A string that is not UTF-8 is an error, as in
// protojson (strings that came over the wire always are).
func appendJSONString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errNotUTF8
	}
	const hex = "0123456789abcdef"
	b = slices.Grow(b, len(s)+2)
	b = append(b, '"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}
