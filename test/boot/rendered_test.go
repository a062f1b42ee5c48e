package boot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

// rendered is what `crossplane composition render` composed for one example:
// the StatefulSet and the data of every composed Secret and ConfigMap.
type rendered struct {
	StatefulSet *appsv1.StatefulSet
	Secrets     map[string]map[string]string
	ConfigMaps  map[string]map[string]string
}

// renderExample renders example/<name> with the real Crossplane CLI and core
// against the function built from this repo (hack/render.sh, as `make
// render` does), and keeps what the DittoFS pod needs.
func renderExample(t *testing.T, name string) rendered {
	t.Helper()
	root := repoRoot(t)
	fn := filepath.Join(t.TempDir(), "function")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, stderr, err := run(ctx, nil, "go", "-C", root, "build", "-o", fn, "."); err != nil {
		t.Fatalf("building the function: %v\n%s", err, stderr)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "render.sh"), name)
	cmd.Env = append(os.Environ(), "FUNCTION="+fn, "PORT="+strconv.Itoa(freePort(t)))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/render.sh %s: %v\n%s", name, err, stderr.String())
	}
	r, err := parseRendered(stdout.Bytes())
	if err != nil {
		t.Fatalf("reading the render of %s: %v", name, err)
	}
	if r.StatefulSet == nil {
		t.Fatalf("the render of %s has no StatefulSet", name)
	}
	return r
}

func parseRendered(out []byte) (rendered, error) {
	r := rendered{Secrets: map[string]map[string]string{}, ConfigMaps: map[string]map[string]string{}}
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		obj := map[string]any{}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		switch obj["kind"] {
		case "StatefulSet":
			r.StatefulSet = &appsv1.StatefulSet{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, r.StatefulSet); err != nil {
				return r, err
			}
		case "Secret":
			s := &corev1.Secret{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, s); err != nil {
				return r, err
			}
			data := map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
			r.Secrets[s.Name] = data
		case "ConfigMap":
			c := &corev1.ConfigMap{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, c); err != nil {
				return r, err
			}
			r.ConfigMaps[c.Name] = c.Data
		}
	}
}

// bootRendered starts what the render composed, as the kubelet would: the
// init container (when there is one) with the PostgreSQL server's psql
// standing in for the image's, then the dittofs container. Percona's own
// Secrets (the user Secret and the cluster CA) come from the local server,
// shaped exactly as the operator writes them.
func bootRendered(t *testing.T, r rendered, pg *pgServer, db pgDatabase, cluster string) (bootResult, error) {
	t.Helper()
	if pg != nil {
		r.Secrets[cluster+"-pguser-dittofs"] = pg.perconaUserSecret(db)
		r.Secrets[cluster+"-cluster-cert"] = pg.clusterCertSecret()
		wait, w, err := podInput(t, r.StatefulSet, "wait-for-database", r.Secrets, r.ConfigMaps)
		if err != nil {
			return bootResult{}, err
		}
		if out, err := runCommand(t, wait, w.Command, []string{pg.bin}, 2*time.Minute); err != nil {
			return bootResult{}, errors.New("the wait-for-database init container failed: " + err.Error() + "\n" + out)
		}
	}
	in, c, err := podInput(t, r.StatefulSet, "dittofs", r.Secrets, r.ConfigMaps)
	if err != nil {
		return bootResult{}, err
	}
	if got := strings.Join(append(c.Command, c.Args...), " "); got != "/app/dfs start --foreground --config /config/config.yaml" {
		t.Errorf("the dittofs container runs %q", got)
	}
	admin := r.Secrets[r.StatefulSet.Name+"-admin"]
	in.AdminUser, in.AdminPassword = admin["username"], admin["password"]
	in.Postgres, in.Database = pg, db
	// The composed config listens on 8080, as in the pod. Only when this
	// machine already uses 8080 does DittoFS's own override move it.
	if portInUse(8080) {
		in.Env["DITTOFS_CONTROLPLANE_PORT"] = strconv.Itoa(freePort(t))
		t.Logf("port 8080 is busy here: DITTOFS_CONTROLPLANE_PORT=%s", in.Env["DITTOFS_CONTROLPLANE_PORT"])
	}
	return tryBootDittoFS(t, in)
}

// TestBootRendered boots the real DittoFS server from exactly what the
// function composes: the Percona example once the cluster is ready, against
// a TLS-only PostgreSQL shaped like Percona's, and the SQLite example.
func TestBootRendered(t *testing.T) {
	skipShort(t)
	t.Run("percona", func(t *testing.T) {
		r := renderExample(t, "percona-ready")
		pg := startPostgres(t)
		db := pg.createDatabase(t, "dittofs", "dittofs")
		res, err := bootRendered(t, r, pg, db, "files-postgres")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dfs from the rendered Percona example: /health/ready 200 after %s; tables %v", res.Ready.Round(time.Millisecond), res.Tables)
	})
	t.Run("sqlite", func(t *testing.T) {
		r := renderExample(t, "sqlite-minimal")
		res, err := bootRendered(t, r, nil, pgDatabase{}, "")
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
	pg := startPostgres(t)
	db := pg.createDatabase(t, "dittofs", "dittofs")
	_, err := bootRendered(t, r, pg, db, "files-postgres")
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
