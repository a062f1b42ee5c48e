package spec

func JWTSecretName(ds DittoServer) string { return ds.Name + "-jwt" }

func AdminSecretName(ds DittoServer) string { return ds.Name + "-admin" }
