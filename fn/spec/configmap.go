package spec

func ConfigMapName(ds DittoServer) string { return ds.Name + "-config" }
