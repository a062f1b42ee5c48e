package fn

import (
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
)

// BenchmarkEncodeObject is the encoder alone, on the objects a Percona
// cluster with backups composes: a third of RunFunction's time. cpu-ns/op
// (the process's CPU time) is steadier than wall time on a shared machine.
func BenchmarkEncodeObject(b *testing.B) {
	ds := testDittoServer(perconaSpec(s3Backup()))
	in := testInput()
	objs := []runtime.Object{
		perconaCluster(ds, in, "creds", newRepoPath(ds)), statefulSet(ds, in, "hash"), headlessService(ds), apiService(ds),
		networkPolicy(ds), configMap(ds, "config"), jwtSecret(ds, []byte("jwt")),
	}
	b.ReportAllocs()
	cpu := benchCPU()
	for b.Loop() {
		for _, obj := range objs {
			if _, err := encodeObject(obj); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

func benchCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
