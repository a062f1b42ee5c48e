package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// TestServerMajorBinds: an Input whose default DittoFS image moves to
// another major leaves a live server on the major it runs, with a warning
// saying how to upgrade; within the major the Input's image rolls; an image
// the user writes is the upgrade itself and applies.
func TestServerMajorBinds(t *testing.T) {
	const (
		sqlite    = `{"storage":{"metadataSize":"10Gi"}}`
		written   = `{"image":"docker.io/marmos91c/dittofs:v1.0.0","storage":{"metadataSize":"10Gi"}}`
		v029      = `"images":{"dittofs":"docker.io/marmos91c/dittofs:v0.29.0"}`
		v0291     = `"images":{"dittofs":"docker.io/marmos91c/dittofs:v0.29.1"}`
		v100      = `"images":{"dittofs":"docker.io/marmos91c/dittofs:v1.0.0"}`
		warnMajor = "spec.image: the Composition's Input offers DittoFS docker.io/marmos91c/dittofs:v1.0.0, another major than the docker.io/marmos91c/dittofs:v0.29.0 this server runs"
	)
	cases := map[string]struct {
		reason    string
		spec      string
		input     string
		edited    string
		wantImage string
		wantWarn  bool
	}{
		"InputWithinMajorRolls": {
			reason:    "a new image of the same major from the Input is the upgrade path and applies",
			spec:      sqlite,
			input:     v0291,
			wantImage: "docker.io/marmos91c/dittofs:v0.29.1",
		},
		"InputOtherMajorBinds": {
			reason:    "another major from the Input does not roll a live server: it keeps what it runs, and a warning says how to upgrade",
			spec:      sqlite,
			input:     v100,
			wantImage: "docker.io/marmos91c/dittofs:v0.29.0",
			wantWarn:  true,
		},
		"EditedStatefulSetIsDrift": {
			reason:    "an image of another repository in the observed StatefulSet is someone's edit, not this server's major: the composed image restores it",
			spec:      sqlite,
			input:     v029,
			edited:    "registry.invalid/tampered:1",
			wantImage: "docker.io/marmos91c/dittofs:v0.29.0",
		},
		"WrittenOtherMajorApplies": {
			reason:    "an image the user writes is an explicit upgrade and applies",
			spec:      written,
			input:     v029,
			wantImage: "docker.io/marmos91c/dittofs:v1.0.0",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			running, _ := liveServer(t, sqlite, v029)
			if tc.edited != "" {
				sts := running.GetObserved().GetResources()[string(keyStatefulSet)].GetResource()
				ctr := sts.GetFields()["spec"].GetStructValue().GetFields()["template"].GetStructValue().
					GetFields()["spec"].GetStructValue().GetFields()["containers"].GetListValue().GetValues()[0].GetStructValue()
				ctr.Fields["image"] = structpb.NewStringValue(tc.edited)
			}
			rsp := compose(t, later(running, tc.spec, tc.input))
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nunexpected Fatal: %s", tc.reason, msg)
			}
			sts := composedObjects(rsp)[string(keyStatefulSet)]
			containers := sts.GetFields()["spec"].GetStructValue().GetFields()["template"].GetStructValue().
				GetFields()["spec"].GetStructValue().GetFields()["containers"].GetListValue().GetValues()
			got := containers[0].GetStructValue().GetFields()["image"].GetStringValue()
			if diff := cmp.Diff(tc.wantImage, got); diff != "" {
				t.Errorf("%s\nDittoFS image: -want, +got:\n%s", tc.reason, diff)
			}
			warned := false
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING && strings.HasPrefix(r.GetMessage(), warnMajor) {
					warned = true
				}
			}
			if warned != tc.wantWarn {
				t.Errorf("%s\nwarning about the major: want %v, got %v (results %v)", tc.reason, tc.wantWarn, warned, rsp.GetResults())
			}
		})
	}
}

func TestImageMajor(t *testing.T) {
	cases := map[string]struct {
		reason string
		image  string
		want   string
	}{
		"SemverWithV":    {reason: "DittoFS tags are v-prefixed semver", image: "docker.io/marmos91c/dittofs:v0.29.0", want: "0"},
		"Percona":        {reason: "Percona's tags start with the major", image: "docker.io/percona/percona-distribution-postgresql:17.9-1", want: "17"},
		"RegistryPort":   {reason: "a registry's port is not a tag", image: "registry.local:5000/dittofs", want: ""},
		"DigestPinned":   {reason: "a digest after the tag keeps the tag", image: "registry.local:5000/dittofs:v1.2.3@sha256:abc", want: "1"},
		"NoTagNoMajor":   {reason: "an image without a tag has no major to compare", image: "dittofs", want: ""},
		"WordTagNoMajor": {reason: "a tag that is not a version has no major", image: "dittofs:latest", want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, spec.ImageMajor(tc.image)); diff != "" {
				t.Errorf("%s\nimageMajor(%q): -want, +got:\n%s", tc.reason, tc.image, diff)
			}
		})
	}
}
