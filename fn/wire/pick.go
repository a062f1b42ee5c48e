package wire

import (
	"google.golang.org/protobuf/types/known/structpb"
)

// PickProto copies the values at paths out of s into a new object of the
// same shape, converting only those values; missing paths are skipped.
func PickProto(s *structpb.Struct, paths ...[]string) map[string]any {
	out := map[string]any{}
	for _, p := range paths {
		src, dst := s, out
		for i, k := range p {
			v, ok := src.GetFields()[k]
			if !ok {
				break
			}
			if i == len(p)-1 {
				dst[k] = v.AsInterface()
				break
			}
			next := v.GetStructValue()
			if next == nil {
				break
			}
			sub, ok := dst[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				dst[k] = sub
			}
			src, dst = next, sub
		}
	}
	return out
}

// PickPath copies the value at path out of m into a new object of the same
// shape, or returns nil when m has nothing there.
func PickPath(m map[string]any, path []string) map[string]any {
	if len(path) == 0 {
		return nil
	}
	v, ok := m[path[0]]
	if !ok {
		return nil
	}
	if len(path) == 1 {
		return map[string]any{path[0]: v}
	}
	next, ok := v.(map[string]any)
	if !ok {
		// The value that should hold path's rest is of the wrong type: it
		// is the field that does not decode.
		return map[string]any{path[0]: v}
	}
	inner := PickPath(next, path[1:])
	if inner == nil {
		return nil
	}
	return map[string]any{path[0]: inner}
}
