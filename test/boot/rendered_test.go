package boot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// renderExample renders example/<name> with the real Crossplane CLI and core
// against the function built from this repo (hack/render.sh, as `make
// render` does), and keeps what the DittoFS pod needs.
func renderExample(t *testing.T, name string) realdfs.Rendered {
	t.Helper()
	root := repoRoot(t)
	fn := filepath.Join(t.TempDir(), "function")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, stderr, err := realdfs.Run(ctx, nil, "go", "-C", root, "build", "-o", fn, "."); err != nil {
		t.Fatalf("building the function: %v\n%s", err, stderr)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "render.sh"), name)
	cmd.Env = append(os.Environ(), "FUNCTION="+fn, "PORT="+strconv.Itoa(realdfs.FreePort(t)))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/render.sh %s: %v\n%s", name, err, stderr.String())
	}
	r, err := realdfs.ParseRendered(stdout.Bytes())
	if err != nil {
		t.Fatalf("reading the render of %s: %v", name, err)
	}
	if r.StatefulSet == nil {
		t.Fatalf("the render of %s has no StatefulSet", name)
	}
	return r
}

// TestBootRendered boots the real DittoFS server from exactly what the
// function composes: the Percona example once the cluster is ready, against
// a TLS-only PostgreSQL shaped like Percona's, and the SQLite example.
func TestBootRendered(t *testing.T) {
	skipShort(t)
	t.Run("percona", func(t *testing.T) {
		r := renderExample(t, "percona-ready")
		pg := realdfs.StartPostgres(t)
		db := pg.CreateDatabase(t, "dittofs", "dittofs")
		res, err := realdfs.BootRendered(t, r, pg, db, "files-postgres")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dfs from the rendered Percona example: /health/ready 200 after %s; tables %v", res.Ready.Round(time.Millisecond), res.Tables)
	})
	t.Run("sqlite", func(t *testing.T) {
		r := renderExample(t, "sqlite-minimal")
		res, err := realdfs.BootRendered(t, r, nil, realdfs.PGDatabase{}, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dfs from the rendered SQLite example: /health/ready 200 after %s", res.Ready.Round(time.Millisecond))
	})
}

// TestBootRenderedCatchesBreakage: one deliberate break in the composed
// StatefulSet, the kind of mistake the DittoFS operator made, fails the boot.
func TestBootRenderedCatchesBreakage(t *testing.T) {
	skipShort(t)
	r := renderExample(t, "percona-ready")
	env := r.StatefulSet.Spec.Template.Spec.Containers[0].Env
	renamed := false
	for i := range env {
		if env[i].Name == "DITTOFS_DATABASE_POSTGRES_DATABASE" {
			env[i].Name, renamed = "DITTOFS_DATABASE_POSTGRES_DBNAME", true
		}
	}
	if !renamed {
		t.Fatal("the rendered StatefulSet has no DITTOFS_DATABASE_POSTGRES_DATABASE")
	}
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	_, err := realdfs.BootRendered(t, r, pg, db, "files-postgres")
	if err == nil {
		t.Fatal("dfs booted with DITTOFS_DATABASE_POSTGRES_DBNAME; want a failure")
	}
	// Without _DATABASE DittoFS falls back to its default database name,
	// which does not exist: the server must not start.
	t.Logf("failed as it should: %s", firstLines(err.Error(), 3))
	if !strings.Contains(err.Error(), "exited (rc 1)") {
		t.Errorf("want dfs to exit 1, got: %v", err)
	}
}
