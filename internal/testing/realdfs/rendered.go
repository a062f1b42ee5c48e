package realdfs

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Rendered is what the function composed for one XR (through `crossplane
// composition render` or in process): the StatefulSet and the data of every
// composed Secret and ConfigMap.
type Rendered struct {
	StatefulSet *appsv1.StatefulSet
	Secrets     map[string]map[string]string
	ConfigMaps  map[string]map[string]string
	// Services and NetworkPolicies, in render order.
	Services        []corev1.Service
	NetworkPolicies []networkingv1.NetworkPolicy
	// PGBouncerGlobal is the composed PerconaPGCluster's
	// spec.proxy.pgBouncer.config.global (nil without PgBouncer): the
	// settings the operator puts in PgBouncer's ini over its own.
	PGBouncerGlobal map[string]string
}

// ParseRendered reads what a render composed (YAML or JSON documents, as
// `crossplane composition render` prints them): the StatefulSet and the data
// of every Secret and ConfigMap.
func ParseRendered(out []byte) (Rendered, error) {
	r := Rendered{Secrets: map[string]map[string]string{}, ConfigMaps: map[string]map[string]string{}}
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
		case "PerconaPGCluster":
			var pc struct {
				Spec struct {
					Proxy *struct {
						PGBouncer struct {
							Config struct {
								Global map[string]string `json:"global"`
							} `json:"config"`
						} `json:"pgBouncer"`
					} `json:"proxy"`
				} `json:"spec"`
			}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &pc); err != nil {
				return r, err
			}
			if pc.Spec.Proxy != nil {
				r.PGBouncerGlobal = pc.Spec.Proxy.PGBouncer.Config.Global
			}
		case "ConfigMap":
			c := &corev1.ConfigMap{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, c); err != nil {
				return r, err
			}
			r.ConfigMaps[c.Name] = c.Data
		case "Service":
			svc := corev1.Service{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &svc); err != nil {
				return r, err
			}
			r.Services = append(r.Services, svc)
		case "NetworkPolicy":
			np := networkingv1.NetworkPolicy{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &np); err != nil {
				return r, err
			}
			r.NetworkPolicies = append(r.NetworkPolicies, np)
		}
	}
}

// BootRendered boots what the render composed (RenderedInput), checks it and
// stops it (TryBootDittoFS).
func BootRendered(t *testing.T, r Rendered, pg *PGServer, db PGDatabase, cluster string) (BootResult, error) {
	t.Helper()
	in, err := RenderedInput(t, r, pg, db, cluster)
	if err != nil {
		return BootResult{}, err
	}
	return TryBootDittoFS(t, in)
}

// RenderedInput prepares what the render composed as the kubelet would: it
// runs the init container (when there is one) with the PostgreSQL server's
// psql standing in for the image's, and returns the dittofs container's
// input. Percona's own Secrets (the user Secret and the cluster CA of
// cluster) come from the local server pg, shaped exactly as the operator
// writes them.
func RenderedInput(t *testing.T, r Rendered, pg *PGServer, db PGDatabase, cluster string) (BootInput, error) {
	t.Helper()
	var user map[string]string
	if pg != nil {
		user = pg.PerconaUserSecret(db)
	}
	return renderedInput(t, r, pg, db, cluster, user)
}

// RenderedInputThrough is RenderedInput for a cluster with PgBouncer pgb in
// front of pg: the user Secret is what Percona writes with its proxy set
// (pgbouncer-host and pgbouncer-port beside host and port), so the render
// decides which of the two the pod dials.
func RenderedInputThrough(t *testing.T, r Rendered, pg *PGServer, pgb *PgBouncer, db PGDatabase, cluster string) (BootInput, error) {
	t.Helper()
	return renderedInput(t, r, pg, db, cluster, pgb.UserSecret(db))
}

func renderedInput(t *testing.T, r Rendered, pg *PGServer, db PGDatabase, cluster string, user map[string]string) (BootInput, error) {
	t.Helper()
	if pg != nil {
		r.Secrets[cluster+"-pguser-dittofs"] = user
		r.Secrets[cluster+"-cluster-cert"] = pg.ClusterCertSecret()
		wait, w, err := PodInput(t, r.StatefulSet, "wait-for-database", r.Secrets, r.ConfigMaps)
		if err != nil {
			return BootInput{}, err
		}
		if out, err := RunCommand(t, wait, w.Command, []string{pg.Bin}, 2*time.Minute); err != nil {
			return BootInput{}, errors.New("the wait-for-database init container failed: " + err.Error() + "\n" + out)
		}
	}
	in, c, err := PodInput(t, r.StatefulSet, "dittofs", r.Secrets, r.ConfigMaps)
	if err != nil {
		return BootInput{}, err
	}
	if got := strings.Join(append(c.Command, c.Args...), " "); got != "/app/dfs start --foreground --config /config/config.yaml" {
		t.Errorf("the dittofs container runs %q", got)
	}
	admin := r.Secrets[r.StatefulSet.Name+"-admin"]
	in.AdminUser, in.AdminPassword = admin["username"], admin["password"]
	in.Postgres, in.Database = pg, db
	// The composed config listens on 8080, as in the pod. Here DittoFS's
	// own override moves it to a free port, always: the test packages run
	// in parallel, each starting DittoFS, and a check that 8080 is free
	// races another package's server taking it before this one starts
	// (the restore drill failed so in CI).
	in.Env["DITTOFS_CONTROLPLANE_PORT"] = strconv.Itoa(FreePort(t))
	return in, nil
}
