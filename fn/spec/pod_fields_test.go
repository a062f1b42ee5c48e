package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestValidatePodFields: bad pod fields and propagated keys, each named.
func TestValidatePodFields(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   func(*v1alpha1.DittoServerSpec)
		want   []string
	}{
		"AllSetIsValid": {
			reason: "Every pod field set to a sensible value must pass: a false error would keep platform teams from placing and labelling the pod.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.PodLabels, s.PodAnnotations = map[string]string{"team": "storage"}, map[string]string{"example.com/a": "b"}
				s.PropagateLabels, s.ImagePullPolicy, s.PriorityClassName = []string{"team"}, corev1.PullAlways, "storage-critical"
				s.NodeSelector = map[string]string{"node.kubernetes.io/role": "storage"}
			},
		},
		"PodLabelsCannotSetTheFunctionsLabels": {
			reason: "The StatefulSet, Services and NetworkPolicy select the pod by these labels; a user value would detach the pod from its Services (or match another server's).",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.PodLabels = map[string]string{"app.kubernetes.io/instance": "other", "app.kubernetes.io/name": "x", "dittofs.io/metrics-service": "true", "ok": "fine"}
			},
			want: []string{
				"spec.podLabels[app.kubernetes.io/instance]: Forbidden: the function sets this label on the DittoFS pod (its StatefulSet, Services and NetworkPolicy select the pod by app.kubernetes.io/name and instance); use a key of your own",
				"spec.podLabels[app.kubernetes.io/name]: Forbidden: the function sets this label on the DittoFS pod (its StatefulSet, Services and NetworkPolicy select the pod by app.kubernetes.io/name and instance); use a key of your own",
				"spec.podLabels[dittofs.io/metrics-service]: Forbidden: the function sets this label on the DittoFS pod (its StatefulSet, Services and NetworkPolicy select the pod by app.kubernetes.io/name and instance); use a key of your own",
			},
		},
		"PodLabelSyntax": {
			reason: "A bad label key or value fails only at the API server, after the other objects applied; each is named with its path first.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.PodLabels = map[string]string{"bad key": "v", "k": "bad value!"} },
			want: []string{
				`spec.podLabels[bad key]: Invalid value: "bad key": must be a label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`spec.podLabels[k]: Invalid value: "bad value!": must be a label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			},
		},
		"PodAnnotationsCannotSetTheConfigHash": {
			reason: "A pinned config hash would stop the pod from rolling when config.yaml changes, leaving DittoFS on an old config.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.PodAnnotations = map[string]string{"dittofs.io/config-hash": "pinned"}
			},
			want: []string{"spec.podAnnotations[dittofs.io/config-hash]: Forbidden: dittofs.io/ annotations are the function's own (dittofs.io/config-hash rolls the pod); use a key of your own"},
		},
		"PropagateLabelsRefusesOwnedKeys": {
			reason: "Propagating a label the function or Crossplane sets would overwrite it on every object; the user's own keys (team) pass.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.PropagateLabels = []string{"team", "app.kubernetes.io/component", "crossplane.io/composite", "not a key"}
			},
			want: []string{
				`spec.propagateLabels[1]: Forbidden: app.kubernetes.io/component is a label the function sets on its objects; it cannot be propagated`,
				`spec.propagateLabels[2]: Forbidden: crossplane.io/composite is Crossplane's: it labels every composed object itself`,
				`spec.propagateLabels[3]: Invalid value: "not a key": must be a label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			},
		},
		"PullPolicyPriorityClassAndPullSecrets": {
			reason: "A bad pull policy, priority class or empty pull Secret name fails the StatefulSet at the API server; each is named first, with its path.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.ImagePullPolicy, s.PriorityClassName = "Sometimes", "Not_A_Name"
				s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: ""}}
			},
			want: []string{
				`spec.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
				`spec.priorityClassName: Invalid value: "Not_A_Name": must be a PriorityClass name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`spec.imagePullSecrets[0].name: Invalid value: "": must name a Secret of the XR's namespace: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		"PortmapperAndUDPAreNFSOnly": {
			reason: "DittoFS has a portmapper and UDP only for NFS: set on SMB they would silently do nothing, so the error points at the NFS field.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Adapters = &v1alpha1.AdaptersSpec{SMB: &v1alpha1.AdapterSpec{Portmapper: &v1alpha1.PortmapperSpec{Enabled: true}, UDP: &v1alpha1.UDPSpec{Enabled: true}}}
			},
			want: []string{
				"spec.adapters.smb.portmapper: Forbidden: the portmapper is DittoFS's NFS adapter's: set spec.adapters.nfs.portmapper",
				"spec.adapters.smb.udp: Forbidden: the UDP transport is DittoFS's NFS adapter's (MOUNT, NLM, NSM): set spec.adapters.nfs.udp",
			},
		},
		"PortmapperPortClashes": {
			reason: "Two listeners on one port, or two Service ports with one number, fail at start or apply; the clash names the other field.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Portmapper: &v1alpha1.PortmapperSpec{Enabled: true, Port: 1445, ServicePort: 2049}}}
			},
			want: []string{
				`spec.adapters.nfs.portmapper.port: Duplicate value: "1445 is also spec.adapters.smb.port"`,
				`spec.adapters.nfs.portmapper.servicePort: Duplicate value: "2049 is also spec.adapters.nfs.servicePort"`,
			},
		},
		"PortmapperServicePortIsTheNFSPort": {
			reason: "The NFS Service already serves the NFS port under its own number for the clients the portmapper sends there; the portmapper cannot take it.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Portmapper: &v1alpha1.PortmapperSpec{Enabled: true, ServicePort: 12049}}}
			},
			want: []string{`spec.adapters.nfs.portmapper.servicePort: Duplicate value: "12049 is also spec.adapters.nfs.port, which the NFS Service serves under its own number for the clients the portmapper sends there"`},
		},
		"PortmapperOffClashesWithNothing": {
			reason: "Ports of a portmapper that is off are not opened, so they cannot clash: refusing them would block for nothing.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Portmapper: &v1alpha1.PortmapperSpec{Port: 1445, ServicePort: 2049}}}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			tc.spec(&s)
			var got []string
			for _, e := range spec.Validate(fixture.DittoServer(s), fixture.Input()) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nspec.Validate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
