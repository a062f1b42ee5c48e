package wire

import (
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// BenchmarkEncodeObject is the encoder alone, on the objects a Percona
// cluster with backups composes: a third of RunFunction's time. cpu-ns/op
// (the process's CPU time) is steadier than wall time on a shared machine.
func BenchmarkEncodeObject(b *testing.B) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	in := fixture.Input()
	objs := []runtime.Object{
		build.PerconaCluster(ds, in, "creds", ds.NewRepoPath()), build.StatefulSet(ds, in, "hash"), build.HeadlessService(ds), build.APIService(ds),
		build.NetworkPolicy(ds), build.ConfigMap(ds, "config"), build.JWTSecret(ds, []byte("jwt")),
	}
	b.ReportAllocs()
	cpu := benchCPU()
	for b.Loop() {
		for _, obj := range objs {
			if _, err := Object(obj); err != nil {
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
