package wire

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestEncodeCases: the rule on hand-picked objects, each compared with the
// object written out and with the encoding/json oracle.
func TestEncodeCases(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "x", Namespace: "storage"}
	wantMeta := map[string]any{"name": "x", "namespace": "storage"}
	podWith := func(spec corev1.PodSpec) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{}, Template: corev1.PodTemplateSpec{Spec: spec},
		}}
	}
	stsWant := func(podSpec map[string]any) map[string]any {
		return map[string]any{
			"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": wantMeta,
			"spec": map[string]any{"selector": map[string]any{}, "serviceName": "", "template": map[string]any{"spec": podSpec}},
		}
	}
	cases := map[string]struct {
		reason string
		obj    runtime.Object
		want   map[string]any
	}{
		"EmptyDirKept": {
			reason: "emptyDir: {} is a volume; a non-nil pointer to an empty struct is written {}",
			obj: podWith(corev1.PodSpec{
				Containers: []corev1.Container{{Name: "c"}},
				Volumes:    []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}),
			want: stsWant(map[string]any{
				"containers": []any{map[string]any{"name": "c"}},
				"volumes":    []any{map[string]any{"name": "scratch", "emptyDir": map[string]any{}}},
			}),
		},
		"ZeroSizeLimitThroughAPointerKept": {
			reason: "a set *Quantity is written, 0 included",
			obj: podWith(corev1.PodSpec{
				Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &resource.Quantity{}}}}},
			}),
			want: stsWant(map[string]any{
				"containers": nil,
				"volumes":    []any{map[string]any{"name": "s", "emptyDir": map[string]any{"sizeLimit": "0"}}},
			}),
		},
		"UnsetResourcesGoZeroQuantityInAMapKept": {
			reason: "resources (a struct, omitempty) goes when zero; a zero Quantity in a ResourceList is a map value and is written 0",
			obj: podWith(corev1.PodSpec{Containers: []corev1.Container{
				{Name: "a"},
				{Name: "b", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.Quantity{}}}},
			}}),
			want: stsWant(map[string]any{"containers": []any{
				map[string]any{"name": "a"},
				map[string]any{"name": "b", "resources": map[string]any{"limits": map[string]any{"memory": "0"}}},
			}}),
		},
		"SelectAllPodSelectorKept": {
			reason: "podSelector: {} selects every pod (not omitempty); a peer's &LabelSelector{} is set and kept too; a nil one goes",
			obj: &networkingv1.NetworkPolicy{ObjectMeta: meta, Spec: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
					{NamespaceSelector: &metav1.LabelSelector{}},
					{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}},
				}}},
			}},
			want: map[string]any{
				"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": wantMeta,
				"spec": map[string]any{
					"podSelector": map[string]any{},
					"ingress": []any{map[string]any{"from": []any{
						map[string]any{"namespaceSelector": map[string]any{}},
						map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"a": "b"}}},
					}}},
				},
			},
		},
		"NilAndEmptyOmitemptyMapsGo": {
			reason: "an omitempty map goes when nil or empty; a key with an empty value stays",
			obj: &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "storage", Labels: map[string]string{}},
				Data:       map[string]string{"empty": ""},
			},
			want: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": wantMeta, "data": map[string]any{"empty": ""}},
		},
		"SecretEmptyValueKept": {
			reason: "[]byte{} in a map is written as the empty base64 string",
			obj:    &corev1.Secret{ObjectMeta: meta, Data: map[string][]byte{"k": {}}},
			want:   map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": wantMeta, "data": map[string]any{"k": ""}},
		},
		"UnsetTargetPortAndNodePortGo": {
			reason: "targetPort is an IntOrString (a struct) whose zero omitzero drops; nodePort 0 is omitempty",
			obj: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Name: "a", Port: 80},
				{Name: "b", Port: 81, TargetPort: intstr.FromString("api")},
			}}},
			want: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": wantMeta, "spec": map[string]any{"ports": []any{
				map[string]any{"name": "a", "port": 80.0},
				map[string]any{"name": "b", "port": 81.0, "targetPort": "api"},
			}}},
		},
		"TimeAndStatus": {
			reason: "a set creationTimestamp is RFC 3339 in UTC; the zero spec (a struct, omitempty) goes; status is never written",
			obj: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "storage", CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)))},
				Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}}},
			},
			want: map[string]any{
				"apiVersion": "v1", "kind": "Service",
				"metadata": map[string]any{"name": "x", "namespace": "storage", "creationTimestamp": "2026-01-02T02:04:05Z"},
			},
		},
		"ZeroReplicasThroughAPointerKept": {
			reason: "replicas: 0 is set through a pointer and means stopped",
			obj:    &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{}}},
			want: map[string]any{
				"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": wantMeta,
				"spec": map[string]any{"replicas": 0.0, "selector": map[string]any{}, "serviceName": "", "template": map[string]any{}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Object(tc.obj)
			if err != nil {
				t.Fatalf("%s\nencodeObject(): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got.AsMap()); diff != "" {
				t.Errorf("%s\nencodeObject(): -want, +got:\n%s", tc.reason, diff)
			}
			checkEncoding(t, name, tc.obj)
		})
	}
}

// Types for the rule's corners the Kubernetes types barely reach.
type (
	zeroByMethod struct{ N int }
	textKey      struct{ A, B string }
	ptrMarshaler struct{ S string }
	Inner        struct {
		Shared string `json:"shared"`
		Deep   string
	}
	outer struct {
		Inner
		*Embedded
		Shared string       `json:"shared"` // hides Inner's: shallower
		Zero   zeroByMethod `json:"zero,omitzero"`
		Struct zeroByMethod `json:"struct,omitempty"`
		Kept   zeroByMethod `json:"kept"`
		Count  int64        `json:"count,string"`
		Flag   *bool        `json:"flag,string,omitempty"`
		Name   string       `json:",string"` //nolint:tagliatelle // no name in the tag: the Go name is used
		Keys   map[textKey]int
		IntMap map[int]string
		ByPtr  ptrMarshaler
		ByPtrs map[string]ptrMarshaler
		Bytes  []byte
		Array  [2]byte
		Any    any
		Skip   string `json:"-"`
		Dash   string `json:"-,"`
		Bad    string `json:"a\"b"` //nolint:staticcheck // SA5008: an invalid name, which encoding/json replaces by the Go name
		F32    float32
	}
	Embedded struct{ Promoted string }
)

// IsZero says 1 is zero, so omitzero must call it rather than compare.
func (z zeroByMethod) IsZero() bool { return z.N == 1 }

func (k textKey) MarshalText() ([]byte, error) { return []byte(k.A + "/" + k.B), nil }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"by pointer"`), nil }

// TestEncodeValueCorners: embedding, omitzero through IsZero, ",string",
// TextMarshaler keys, pointer-receiver marshalers (only where addressable,
// so not in a map), base64 and byte arrays: encodeValue writes what
// encoding/json does.
func TestEncodeValueCorners(t *testing.T) {
	for name, x := range map[string]*outer{
		"Zero": {},
		"Set": {
			Inner: Inner{Shared: "hidden by the shallower field", Deep: "promoted"}, Embedded: &Embedded{Promoted: "p"},
			Shared: "s", Zero: zeroByMethod{N: 1}, Struct: zeroByMethod{N: 1}, Kept: zeroByMethod{N: 1},
			Count: 1 << 60, Flag: ptr.To(false), Name: `<"x">`,
			Keys: map[textKey]int{{"a", "b"}: 1}, IntMap: map[int]string{-3: "m"},
			ByPtrs: map[string]ptrMarshaler{"k": {S: "value"}}, Bytes: []byte{0, 255}, Array: [2]byte{1, 2},
			Any: map[string]any{"n": []any{1.5, nil, "s"}}, Skip: "x", Dash: "d", Bad: "b", F32: 0.1,
		},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := oracleValue(x)
			if err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			got, err := encodeValue(reflect.ValueOf(x))
			if err != nil {
				t.Fatalf("encodeValue(): %v", err)
			}
			if diff := cmp.Diff(want, got.AsInterface()); diff != "" {
				t.Errorf("-encoding/json, +encodeValue():\n%s", diff)
			}
		})
	}
}

// TestEncodeErrors: where encoding/json fails, so does the encoder.
func TestEncodeErrors(t *testing.T) {
	for name, obj := range map[string]runtime.Object{
		"ImpossibleIntOrString": &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{TargetPort: intstr.IntOrString{Type: 2}}}}},
		"InvalidRawJSON":        &appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: []byte("{")}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := oracleValue(obj); err == nil {
				t.Fatal("encoding/json: no error")
			}
			if _, err := Object(obj); err == nil {
				t.Fatal("encodeObject(): no error")
			}
		})
	}
}
