package fn

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// BenchmarkEncodeObject is the encoder alone, on the objects a Percona
// cluster with backups composes: a third of RunFunction's time.
func BenchmarkEncodeObject(b *testing.B) {
	ds := testDittoServer(perconaSpec(s3Backup()))
	in := testInput()
	objs := []runtime.Object{
		perconaCluster(ds, in, "creds"), statefulSet(ds, in, "hash"), headlessService(ds), apiService(ds),
		networkPolicy(ds), configMap(ds, "config"), jwtSecret(ds, []byte("jwt")),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, obj := range objs {
			if _, err := encodeObject(obj); err != nil {
				b.Fatal(err)
			}
		}
	}
}
