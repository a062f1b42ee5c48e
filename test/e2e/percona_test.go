package e2e_test

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const operatorPod = "pgop-local"

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// startOperator runs the real Percona operator v2.9.0 as a process watching
// namespaces. It reads no flags, only its environment; its metrics (:8080)
// and health (:8081) ports are fixed, so only one can run on a host. In each
// namespace it needs a `default` ServiceAccount and a placeholder Pod named
// like its HOSTNAME with an `operator` container: it takes its init image
// from there, and without it never creates StatefulSets or user Secrets.
func (e *env) startOperator(namespaces ...string) {
	t := e.t
	for _, p := range []int{8080, 8081} {
		deadline := time.Now().Add(2 * time.Minute)
		for !portFree(p) {
			if time.Now().After(deadline) {
				t.Fatalf("port %d is taken: the Percona operator binds :8080 and :8081 and cannot be moved; is another operator running on this host?", p)
			}
			time.Sleep(time.Second)
		}
	}
	for _, ns := range namespaces {
		e.namespace(ns)
		e.applyFile([]byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n"), ns)
	}
	e.applyFile([]byte(`apiVersion: v1
kind: Pod
metadata:
  name: `+operatorPod+`
  labels: {app.kubernetes.io/name: percona-postgresql-operator}
spec:
  automountServiceAccountToken: false
  containers:
  - name: operator
    image: docker.io/percona/percona-postgresql-operator:2.9.0
`), namespaces[0])
	e.operator = e.start("percona-operator", []string{
		"KUBECONFIG=" + filepath.Join(e.dir, "admin.kubeconfig"),
		"WATCH_NAMESPACE=" + strings.Join(namespaces, ","),
		"OPERATOR_NAMESPACE=" + namespaces[0],
		"HOSTNAME=" + operatorPod,
		"PGO_CONTROLLER_LEADER_ELECTION_ENABLED=false",
		"DISABLE_TELEMETRY=true",
		"LOG_LEVEL=INFO", "LOG_STRUCTURED=false", "PGO_WORKERS=1", "PPROF_BIND_ADDRESS=0",
	}, filepath.Join(e.bins["percona-operator"], "postgres-operator"))
	// It registers no readiness checks, so /readyz is a 404; its metrics
	// server answering means its manager is up.
	e.waitHTTP("Percona operator", "http://127.0.0.1:8080/metrics", "", 60*time.Second, e.operator)
}

// fakeReady does what a kubelet and the StatefulSet controller would for
// every StatefulSet the operator made for cluster: one Ready pod each and
// the matching StatefulSet status. The operator then computes
// `state: ready` itself.
func (e *env) fakeReady(ns, cluster string) {
	t := e.t
	stss, err := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster="+cluster)
	if err != nil {
		t.Fatal(err)
	}
	if len(stss) == 0 {
		t.Fatalf("no StatefulSets for PerconaPGCluster %s/%s", ns, cluster)
	}
	for i := range stss {
		e.fakeStatefulSetPod(&stss[i])
	}
}

func (e *env) fakeStatefulSetPod(sts *unstructured.Unstructured) {
	t := e.t
	name, ns := sts.GetName(), sts.GetNamespace()
	labels, _, _ := unstructured.NestedStringMap(sts.Object, "spec", "template", "metadata", "labels")
	if labels == nil {
		labels = map[string]string{}
	}
	labels["controller-revision-hash"] = "fake-rev"
	labels["statefulset.kubernetes.io/pod-name"] = name + "-0"
	annotations, _, _ := unstructured.NestedStringMap(sts.Object, "spec", "template", "metadata", "annotations")
	spec, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	// As the StatefulSet controller does: each volume claim template is a
	// volume of the pod, the claim <template>-<pod>.
	claims, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
	volumes, _, _ := unstructured.NestedSlice(spec, "volumes")
	for _, c := range claims {
		claim, _ := c.(map[string]any)
		meta, _ := claim["metadata"].(map[string]any)
		vname, _ := meta["name"].(string)
		volumes = append(volumes, map[string]any{"name": vname, "persistentVolumeClaim": map[string]any{"claimName": vname + "-" + name + "-0"}})
	}
	if len(volumes) > 0 {
		_ = unstructured.SetNestedSlice(spec, volumes, "volumes")
	}
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name + "-0", "namespace": ns},
		"spec":     spec,
	}}
	pod.SetLabels(labels)
	pod.SetAnnotations(annotations)
	pod.SetOwnerReferences(nil)
	_ = unstructured.SetNestedSlice(pod.Object, []any{map[string]any{
		"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name, "uid": string(sts.GetUID()),
		"controller": true, "blockOwnerDeletion": true,
	}}, "metadata", "ownerReferences")
	r, err := e.admin.resource("v1", "Pod", ns)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(e.ctx, pod, createOpts); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating fake pod %s/%s-0: %v", ns, name, err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	if err := e.admin.patch(e.ctx, "v1", "Pod", ns, name+"-0", fmt.Sprintf(
		`{"status":{"phase":"Running","podIP":"127.0.0.1","conditions":[{"type":"Ready","status":"True","lastTransitionTime":%q},{"type":"ContainersReady","status":"True","lastTransitionTime":%q}]}}`,
		now, now), "status"); err != nil {
		t.Fatal(err)
	}
	e.fakeStatefulSetStatus(ns, name, 1)
}

// fakeStatefulSetStatus writes the status the StatefulSet controller would
// for n ready replicas.
func (e *env) fakeStatefulSetStatus(ns, name string, n int) {
	sts, err := e.admin.get(e.ctx, "apps/v1", "StatefulSet", ns, name)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.admin.patch(e.ctx, "apps/v1", "StatefulSet", ns, name, fmt.Sprintf(
		`{"status":{"observedGeneration":%d,"replicas":%d,"readyReplicas":%d,"availableReplicas":%d,"currentReplicas":%d,"updatedReplicas":%d,"currentRevision":"fake-rev","updateRevision":"fake-rev"}}`,
		sts.GetGeneration(), n, n, n, n, n), "status"); err != nil {
		e.t.Fatal(err)
	}
}

// fakeKubeletTeardown does what a kubelet would when the operator scales a
// cluster down for deletion: its pods go and the StatefulSets report zero.
// It runs until stop is closed.
func (e *env) fakeKubeletTeardown(ns string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		pcs, err := e.admin.list(e.ctx, "postgres-operator.crunchydata.com/v1beta1", "PostgresCluster", ns, "")
		if err != nil {
			continue
		}
		for _, pc := range pcs {
			if pc.GetDeletionTimestamp() == nil {
				continue
			}
			stss, _ := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster="+pc.GetName())
			for _, s := range stss {
				_ = ignoreNotFound(e.admin.delete(e.ctx, "v1", "Pod", ns, s.GetName()+"-0"))
				_ = e.admin.patch(e.ctx, "apps/v1", "StatefulSet", ns, s.GetName(), `{"status":{"replicas":0,"readyReplicas":0,"availableReplicas":0,"currentReplicas":0,"updatedReplicas":0}}`, "status")
			}
		}
	}
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
