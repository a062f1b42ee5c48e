package wire

// pickPath copies the value at path out of m into a new object of the same
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
