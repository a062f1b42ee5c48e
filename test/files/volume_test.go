package files

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

var generation atomic.Int64

// projectVolume writes files into dir the way the kubelet projects a
// ConfigMap or Secret volume (its AtomicWriter): the data in a hidden
// timestamped directory, a ..data symlink to it, and one symlink per key
// through ..data. A second call swaps ..data atomically (rename of a new
// symlink over it) and removes the old directory, as the kubelet does on
// an update, so a reader never sees half a change.
func projectVolume(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := fmt.Sprintf("..2026_12_01_00_00_%02d.%d", generation.Add(1), os.Getpid())
	if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, ts, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for k := range files {
		link := filepath.Join(dir, k)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", k), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}
