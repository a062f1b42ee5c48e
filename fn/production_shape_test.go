package fn

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// podFieldsSpec sets every DittoFS pod field.
func podFieldsSpec(s *v1alpha1.DittoServerSpec) {
	s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}}},
	}}}
	s.Tolerations = []corev1.Toleration{{Key: "storage", Operator: corev1.TolerationOpEqual, Value: "dedicated", Effect: corev1.TaintEffectNoSchedule}}
	s.NodeSelector = map[string]string{"topology.kubernetes.io/zone": "eu-west-1a"}
	s.PriorityClassName = "storage-critical"
	s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry-creds"}}
	s.ImagePullPolicy = corev1.PullIfNotPresent
	s.PodLabels = map[string]string{"team": "storage"}
	s.PodAnnotations = map[string]string{"example.com/scrape": "false"}
}

// TestStatefulSetPodFields: the pod fields land on the pod template, whole
// object compared, the function's labels and annotation kept, and
// imagePullPolicy on every container.
func TestStatefulSetPodFields(t *testing.T) {
	withFields := func(sts *appsv1.StatefulSet) *appsv1.StatefulSet {
		p := &sts.Spec.Template
		var s v1alpha1.DittoServerSpec
		podFieldsSpec(&s)
		p.Spec.Affinity, p.Spec.Tolerations, p.Spec.NodeSelector = s.Affinity, s.Tolerations, s.NodeSelector
		p.Spec.PriorityClassName, p.Spec.ImagePullSecrets = s.PriorityClassName, s.ImagePullSecrets
		for i := range p.Spec.InitContainers {
			p.Spec.InitContainers[i].ImagePullPolicy = corev1.PullIfNotPresent
		}
		p.Spec.Containers[0].ImagePullPolicy = corev1.PullIfNotPresent
		p.Labels = map[string]string{"team": "storage"}
		for k, v := range serverLabels {
			p.Labels[k] = v
		}
		p.Annotations = map[string]string{"dittofs.io/config-hash": "h", "example.com/scrape": "false"}
		return sts
	}
	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   *appsv1.StatefulSet
	}{
		"SQLite": {
			reason: "The pod fields (affinity, tolerations, node selector, priority class, pull secrets and policy, pod labels and annotations) must reach the pod, or the scheduler places it where the platform team said not to.",
			spec:   fixture.MinimalSpec(),
			want:   withFields(sqliteStatefulSet()),
		},
		"PerconaInitContainerPullsTheSameWay": {
			reason: "The wait container pulls from the same registry as DittoFS: a pull policy or secret that missed it would leave the pod stuck in Init.",
			spec:   fixture.PerconaSpec(nil),
			want:   withFields(perconaStatefulSet()),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			podFieldsSpec(&tc.spec)
			got := build.StatefulSet(fixture.DittoServer(tc.spec), fixture.Input(), "h")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.StatefulSet(ds, in, configHash): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPodFieldsRollByTemplateNotHash: the pod fields change the pod
// template (so the StatefulSet rolls) but never the config hash, which
// says what DittoFS reads at start; the rotation rule stays on it alone.
func TestPodFieldsRollByTemplateNotHash(t *testing.T) {
	base := compose(t, specRequest(t, fixture.MinimalSpec()))
	s := fixture.MinimalSpec()
	podFieldsSpec(&s)
	edited := compose(t, specRequest(t, s))
	if a, b := statusConfigHash(base), statusConfigHash(edited); a != b {
		t.Errorf("status.configHash moved with the pod fields: %q -> %q", a, b)
	}
	if a, b := templateConfigHash(t, base), templateConfigHash(t, edited); a != b {
		t.Errorf("the pod's config-hash moved with the pod fields: %q -> %q", a, b)
	}
	var before, after appsv1.StatefulSet
	desiredInto(t, base, keyStatefulSet, &before)
	desiredInto(t, edited, keyStatefulSet, &after)
	if cmp.Equal(before.Spec.Template, after.Spec.Template) {
		t.Error("the pod template did not change with the pod fields: the StatefulSet would not roll")
	}
	// imagePullSecrets are the kubelet's, read at pull: the function neither
	// requires nor hashes them.
	if diff := cmp.Diff(base.GetRequirements(), edited.GetRequirements(), protocmp.Transform()); diff != "" {
		t.Errorf("the pod fields changed what the function requires: -base, +edited:\n%s", diff)
	}
	if !cmp.Equal(before.Spec.Selector, after.Spec.Selector) {
		t.Errorf("the selector moved: %v -> %v", before.Spec.Selector, after.Spec.Selector)
	}
}

// TestNFSSidePorts: the portmapper and UDP in the container, the NFS
// Service and the NetworkPolicy, whole objects.
func TestNFSSidePorts(t *testing.T) {
	tcp := func(name string, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}
	}
	udp := func(name string, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: corev1.ProtocolUDP}
	}
	policy := func(ports ...corev1.ContainerPort) *networkingv1.NetworkPolicy {
		var np []networkingv1.NetworkPolicyPort
		for _, p := range ports {
			np = append(np, networkingv1.NetworkPolicyPort{Protocol: ptr.To(p.Protocol), Port: ptr.To(intstr.FromInt32(p.ContainerPort))})
		}
		return &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "files", Namespace: "storage", Labels: serverLabels},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: podSelector},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: np}},
			},
		}
	}
	udpSvc := func(name string, port, target int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target), Protocol: corev1.ProtocolUDP}
	}
	nfsService := func(ports ...corev1.ServicePort) *corev1.Service {
		return wantService("files-nfs", corev1.ServiceTypeLoadBalancer, nil, ports...)
	}
	api, nfs, smb := tcp("api", 8080), tcp("nfs", 12049), tcp("smb", 1445)
	cases := map[string]struct {
		reason        string
		nfs           v1alpha1.AdapterSpec
		wantContainer []corev1.ContainerPort
		wantService   *corev1.Service
	}{
		"OffByDefault": {
			reason:        "Without the portmapper or UDP the NFS Service is one TCP port, so no cluster gets ports it did not ask for.",
			wantContainer: []corev1.ContainerPort{api, nfs, smb},
			wantService:   nfsService(tcpServicePort("nfs", 2049, 12049)),
		},
		"Portmapper": {
			reason:        "The portmapper hands out 12049, so the Service serves 12049 too: a client that asks rpcbind for NFS dials the port it is told.",
			nfs:           v1alpha1.AdapterSpec{Portmapper: &v1alpha1.PortmapperSpec{Enabled: true}},
			wantContainer: []corev1.ContainerPort{api, nfs, tcp("portmap", 10111), udp("portmap-udp", 10111), smb},
			wantService: nfsService(tcpServicePort("nfs", 2049, 12049), tcpServicePort("nfs-rpc", 12049, 12049),
				tcpServicePort("portmap", 111, 10111), udpSvc("portmap-udp", 111, 10111)),
		},
		"UDP": {
			reason:        "NFS over UDP needs a UDP port on the container, the Service and the policy; missing any one drops every UDP client.",
			nfs:           v1alpha1.AdapterSpec{UDP: &v1alpha1.UDPSpec{Enabled: true}},
			wantContainer: []corev1.ContainerPort{api, nfs, udp("nfs-udp", 12049), smb},
			wantService:   nfsService(tcpServicePort("nfs", 2049, 12049), udpSvc("nfs-rpc-udp", 12049, 12049)),
		},
		"BothOnOwnPorts": {
			reason:        "With every port moved each listener's own port is used on every side; a default left anywhere would send traffic where nothing listens.",
			nfs:           v1alpha1.AdapterSpec{Port: 20049, Portmapper: &v1alpha1.PortmapperSpec{Enabled: true, Port: 20111, ServicePort: 1111}, UDP: &v1alpha1.UDPSpec{Enabled: true}},
			wantContainer: []corev1.ContainerPort{api, tcp("nfs", 20049), udp("nfs-udp", 20049), tcp("portmap", 20111), udp("portmap-udp", 20111), smb},
			wantService: nfsService(tcpServicePort("nfs", 2049, 20049), tcpServicePort("nfs-rpc", 20049, 20049), udpSvc("nfs-rpc-udp", 20049, 20049),
				tcpServicePort("portmap", 1111, 20111), udpSvc("portmap-udp", 1111, 20111)),
		},
		"ServicePortIsThePort": {
			reason:        "When clients already dial the port DittoFS listens on, a second nfs-rpc entry on the same port would be a duplicate the API server refuses.",
			nfs:           v1alpha1.AdapterSpec{ServicePort: 12049, Portmapper: &v1alpha1.PortmapperSpec{Enabled: true}},
			wantContainer: []corev1.ContainerPort{api, nfs, tcp("portmap", 10111), udp("portmap-udp", 10111), smb},
			wantService:   nfsService(tcpServicePort("nfs", 12049, 12049), tcpServicePort("portmap", 111, 10111), udpSvc("portmap-udp", 111, 10111)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.Adapters = &v1alpha1.AdaptersSpec{NFS: &tc.nfs}
			ds := fixture.DittoServer(s)
			if diff := cmp.Diff(tc.wantContainer, build.StatefulSet(ds, fixture.Input(), "h").Spec.Template.Spec.Containers[0].Ports); diff != "" {
				t.Errorf("%s\nbuild.StatefulSet(ds, in, configHash): container ports: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantService, build.AdapterService(ds, ds.NFSServiceName(), build.PortNFS, ds.Spec.Adapters.NFS)); diff != "" {
				t.Errorf("%s\nbuild.AdapterService(ds, ...): NFS Service: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(policy(tc.wantContainer...), build.NetworkPolicy(ds)); diff != "" {
				t.Errorf("%s\nbuild.NetworkPolicy(ds): -want, +got:\n%s", tc.reason, diff)
			}
			if errs := spec.Validate(ds, fixture.Input()); len(errs) > 0 {
				t.Errorf("%s\nspec.Validate(ds, in): %v", tc.reason, errs)
			}
		})
	}
}

// labeledXRRequest is xrRequest with labels on the XR.
func labeledXRRequest(t *testing.T, spec string, xrLabels map[string]string) *fnv1.RunFunctionRequest {
	t.Helper()
	req := xrRequest(spec)
	b, err := json.Marshal(xrLabels)
	if err != nil {
		t.Fatal(err)
	}
	xr := strings.Replace(testXR, `"uid":"uid-1"}`, `"uid":"uid-1","labels":`+string(b)+`}`, 1)
	req.Observed.Composite.Resource = resource.MustStructJSON(strings.Replace(xr, "%s", spec, 1))
	return req
}

// TestPropagatedLabelsOnEveryObject: through RunFunction, every composed
// object of a Percona server with backups and metrics carries exactly the
// listed XR labels that the XR has, the pods too, and no listed key ever
// replaces the function's own label.
func TestPropagatedLabelsOnEveryObject(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true,"serviceMonitor":{"enabled":true}},` +
		`"propagateLabels":["cost-center","team","absent"],` +
		`"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`
	xrLabels := map[string]string{"cost-center": "cc-42", "team": "storage", "not-listed": "x"}
	req := withRequired(labeledXRRequest(t, spec, xrLabels), "s3-credentials", awsKeys)
	req = withObserved(req, "percona-cluster", readyCluster)
	rsp := compose(t, req)
	keys := desiredKeys(rsp)
	for _, k := range []string{"statefulset", "percona-cluster", "pgbackrest-s3-secret", "service-nfs", "networkpolicy", "servicemonitor", "usage-statefulset-database"} {
		if !slices.Contains(keys, k) {
			t.Fatalf("no %s composed: %v", k, keys)
		}
	}
	want := map[string]string{"cost-center": "cc-42", "team": "storage"}
	for _, k := range keys {
		obj := desiredMap(t, rsp, resource.Name(k))
		got := labelsAt(obj, "metadata", "labels")
		for lk, lv := range want {
			if got[lk] != lv {
				t.Errorf("%s: label %s = %q, want %q (labels %v)", k, lk, got[lk], lv, got)
			}
		}
		if _, ok := got["not-listed"]; ok {
			t.Errorf("%s carries the XR label not-listed, which propagateLabels does not name", k)
		}
		if obj["kind"] != "Usage" && got["app.kubernetes.io/managed-by"] != "function-dittofs" {
			t.Errorf("%s lost the function's own labels: %v", k, got)
		}
	}
	for k, path := range map[string][]string{"statefulset": {"spec", "template", "metadata", "labels"}, "percona-cluster": {"spec", "metadata", "labels"}} {
		got := labelsAt(desiredMap(t, rsp, resource.Name(k)), path...)
		for lk, lv := range want {
			if got[lk] != lv {
				t.Errorf("%s %s: label %s = %q, want %q", k, strings.Join(path, "."), lk, got[lk], lv)
			}
		}
	}
}

func labelsAt(obj map[string]any, path ...string) map[string]string {
	var cur any = obj
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	out := map[string]string{}
	m, _ := cur.(map[string]any)
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}
