package spec

// selectorLabels select the DittoFS pod. A StatefulSet's selector is
// immutable: never add to these.
func SelectorLabels(ds DittoServer) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": ds.Name}
}
