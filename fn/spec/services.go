package spec

func HeadlessServiceName(ds DittoServer) string { return ds.Name + "-headless" }

func APIServiceName(ds DittoServer) string { return ds.Name + "-api" }

func NFSServiceName(ds DittoServer) string { return ds.Name + "-nfs" }

func SMBServiceName(ds DittoServer) string { return ds.Name + "-smb" }

func MetricsServiceName(ds DittoServer) string { return ds.Name + "-metrics" }
