package spec

func ConnectionSecretName(ds DittoServer) string { return ds.Name + "-connection" }
