package wire

import (
	"google.golang.org/protobuf/types/known/structpb"
)

// pickProto copies the values at paths out of s into a new object of the
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
