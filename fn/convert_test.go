package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/wire"
)

// TestToComposed: what Crossplane applies asserts only what the builder
// set.
func TestToComposed(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "x", Namespace: "storage"}
	wantMeta := map[string]any{"name": "x", "namespace": "storage"}
	cases := map[string]struct {
		reason string
		obj    runtime.Object
		want   map[string]any
	}{
		"ServiceZeroScalarsAndEmptyStatusDropped": {
			reason: "nodePort 0 would make Kubernetes reallocate the node port on every apply, false publishNotReadyAddresses would fight the headless Service, and status {loadBalancer: {}} is noise: all are left out.",
			obj: &corev1.Service{
				ObjectMeta: meta,
				Spec: corev1.ServiceSpec{
					Type:                     corev1.ServiceTypeNodePort,
					Ports:                    []corev1.ServicePort{{Name: "api", Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 0}},
					PublishNotReadyAddresses: false,
				},
			},
			want: map[string]any{
				"apiVersion": "v1", "kind": "Service", "metadata": wantMeta,
				"spec": map[string]any{
					"type":  "NodePort",
					"ports": []any{map[string]any{"name": "api", "port": int64(80), "targetPort": int64(8080)}},
				},
			},
		},
		"ServiceSetValuesKept": {
			reason: "What the builder set (nodePort 30080, publishNotReadyAddresses true) is kept, and the unset targetPort, an IntOrString struct, is left out: omitempty on a struct reads as omitzero.",
			obj: &corev1.Service{
				ObjectMeta: meta,
				Spec: corev1.ServiceSpec{
					Ports:                    []corev1.ServicePort{{Name: "api", Port: 80, NodePort: 30080}},
					PublishNotReadyAddresses: true,
				},
			},
			want: map[string]any{
				"apiVersion": "v1", "kind": "Service", "metadata": wantMeta,
				"spec": map[string]any{
					"publishNotReadyAddresses": true,
					"ports":                    []any{map[string]any{"name": "api", "port": int64(80), "nodePort": int64(30080)}},
				},
			},
		},
		"StatefulSetProbeZeroDroppedReplicasZeroKept": {
			reason: "successThreshold 0 is dropped (the API server defaults it to 1 and the apply would fight it), replicas 0 through a pointer is the user stopping DittoFS and is kept, and the unset selector, not omitempty, is null as encoding/json writes it.",
			obj: &appsv1.StatefulSet{
				ObjectMeta: meta,
				Spec: appsv1.StatefulSetSpec{
					Replicas: ptr.To[int32](0),
					Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "c",
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("api")}},
							PeriodSeconds: 5,
						},
					}}}},
				},
			},
			want: map[string]any{
				"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": wantMeta,
				"spec": map[string]any{
					"replicas":    int64(0),
					"selector":    nil,
					"serviceName": "", // not omitempty
					"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
						"name": "c",
						"readinessProbe": map[string]any{
							"tcpSocket":     map[string]any{"port": "api"},
							"periodSeconds": int64(5),
						},
					}}}},
				},
			},
		},
		"PerconaBackupsDisabledKept": {
			reason: "enabled: false through a pointer turns Percona's backups off; dropping it as empty would leave them on.",
			obj: &pgv2.PerconaPGCluster{
				ObjectMeta: meta,
				Spec: pgv2.PerconaPGClusterSpec{
					CRVersion: "2.9.0",
					Backups:   pgv2.Backups{Enabled: ptr.To(false), PGBackRest: pgv2.PGBackRestArchive{Image: "i"}},
				},
			},
			want: map[string]any{
				"apiVersion": "pgv2.percona.com/v2", "kind": "PerconaPGCluster", "metadata": wantMeta,
				"spec": map[string]any{
					"crVersion":       "2.9.0",
					"postgresVersion": int64(0), // not omitempty
					"instances":       nil,      // not omitempty
					"backups":         map[string]any{"enabled": false, "pgbackrest": map[string]any{"image": "i", "repos": nil}},
				},
			},
		},
		"NetworkPolicySelectAllKept": {
			reason: "podSelector is not omitempty and {} selects every pod: an encoder that pruned empty objects would silently change what the policy covers.",
			obj: &networkingv1.NetworkPolicy{
				ObjectMeta: meta,
				Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
			},
			want: map[string]any{
				"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": wantMeta,
				"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress"}},
			},
		},
		"SecretDataKept": {
			reason: "Secret data is []byte, written base64 as the API server stores it; raw bytes would not decode as a Secret.",
			obj:    &corev1.Secret{ObjectMeta: meta, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")}},
			want: map[string]any{
				"apiVersion": "v1", "kind": "Secret", "metadata": wantMeta,
				"type": "Opaque", "data": map[string]any{"k": "dg=="},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := wire.Object(tc.obj)
			if err != nil {
				t.Fatalf("%s\nwire.Object(%T): %v", tc.reason, tc.obj, err)
			}
			if diff := cmp.Diff(normalizeNumbers(tc.want), got.AsMap()); diff != "" {
				t.Errorf("%s\nwire.Object(%T): -want, +got:\n%s", tc.reason, tc.obj, diff)
			}
		})
	}
}

// normalizeNumbers makes every number a float64, so expectations need not
// know which encoder produced which integer type.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalizeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeNumbers(e)
		}
		return out
	case int:
		return float64(t)
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	default:
		return v
	}
}

// TestComposedHasNoNoise: across everything RunFunction composes, no
// nodePort 0, no successThreshold 0, no null, no status, no
// creationTimestamp.
func TestComposedHasNoNoise(t *testing.T) {
	req := withObserved(xrRequest(`{"storage":{"metadataSize":"10Gi","contentSize":"1Ti"},"service":{"type":"NodePort"},"metrics":{"enabled":true,"serviceMonitor":{"enabled":true}},"percona":{"enabled":true}}`),
		"percona-cluster", readyCluster)
	rsp := compose(t, req)
	for _, k := range desiredKeys(rsp) {
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch t2 := v.(type) {
			case map[string]any:
				for key, e := range t2 {
					p := path + "." + key
					switch {
					case e == nil:
						t.Errorf("%s: %s is null", k, p)
					case key == "status" && path == "":
						t.Errorf("%s: has status", k)
					case key == "creationTimestamp":
						t.Errorf("%s: %s asserted", k, p)
					case (key == "nodePort" || key == "successThreshold") && e == float64(0):
						t.Errorf("%s: %s is 0", k, p)
					}
					walk(p, e)
				}
			case []any:
				for _, e := range t2 {
					walk(path+"[]", e)
				}
			}
		}
		walk("", desiredMap(t, rsp, resource.Name(k)))
	}
}

// TestAddDropsStatus: what composer.add puts in the desired state has no
// status, whatever the typed object carried.
func TestAddDropsStatus(t *testing.T) {
	c := &composer{desired: map[resource.Name]*desiredObject{}}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "storage"},
		Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To[int32](0), ServiceName: "x-headless"},
		Status:     appsv1.StatefulSetStatus{Replicas: 1, ReadyReplicas: 1},
	}
	if err := c.add("statefulset", sts, resource.ReadyTrue); err != nil {
		t.Fatalf("add(): %v", err)
	}
	want := map[string]any{
		"apiVersion": "apps/v1", "kind": "StatefulSet",
		"metadata": map[string]any{"name": "x", "namespace": "storage"},
		// selector and template are not omitempty: encoding/json writes
		// the unset selector as null and the zero template as {}.
		"spec": map[string]any{"replicas": int64(0), "selector": nil, "serviceName": "x-headless", "template": map[string]any{}},
	}
	got := c.desired["statefulset"]
	if diff := cmp.Diff(normalizeNumbers(want), got.Resource.AsMap()); diff != "" {
		t.Errorf("c.add(\"statefulset\", sts, resource.ReadyTrue): desired: -want, +got:\n%s", diff)
	}
	if got.Ready != resource.ReadyTrue {
		t.Errorf("ready = %v, want %v", got.Ready, resource.ReadyTrue)
	}
}
