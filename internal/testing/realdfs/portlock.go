package realdfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// adapterPortsLock is one file for the whole machine: every dfs a test
// starts opens its NFS and SMB adapters on DittoFS's default ports (12049,
// 1445) before a test can move them, and go test runs test packages side
// by side (test/boot, test/dr, test/files). A test that needs those ports
// itself (test/boot's adapter-ports test: the composed ports are the
// defaults) holds the lock exclusively; every other dfs holds it shared for
// as long as it runs.
var adapterPortsLock = filepath.Join(os.TempDir(), "function-dittofs-dfs-adapter-ports.lock")

// HoldAdapterPorts takes the machine's adapter ports for the rest of t: no
// other test's dfs starts until t ends, and t waits for those running. Set
// BootInput.HoldsAdapterPorts on the boots of t, which then take no shared
// lock (that would wait for t itself).
func HoldAdapterPorts(t testing.TB) {
	t.Helper()
	lockAdapterPorts(t, syscall.LOCK_EX)
}

// shareAdapterPorts is the shared side: many dfs at once, none while a test
// holds the ports.
func shareAdapterPorts(t testing.TB) {
	t.Helper()
	lockAdapterPorts(t, syscall.LOCK_SH)
}

func lockAdapterPorts(t testing.TB, how int) {
	t.Helper()
	f, err := os.OpenFile(adapterPortsLock, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
}
