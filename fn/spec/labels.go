package spec

// Labels on every composed object, so kubectl and the NetworkPolicy can
// select DittoFS's objects. Crossplane adds its own (crossplane.io/composite).
func (ds DittoServer) Labels(component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "dittofs",
		"app.kubernetes.io/instance":   ds.Name,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/managed-by": "function-dittofs",
	}
}

// Components: the app.kubernetes.io/component label of each side.
const (
	ComponentDatabase = "database"
	ComponentBackup   = "backup"
	ComponentServer   = "server"
)
