package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestConnectionDetails(t *testing.T) {
	cases := map[string]struct {
		reason    string
		endpoints v1alpha1.EndpointsStatus
		password  []byte
		want      resource.ConnectionDetails
	}{
		"EverythingWithGeneratedPassword": {
			reason:    "A client gets every address it dials and the generated admin login, and no metrics URL: scraping is not how a client connects.",
			endpoints: v1alpha1.EndpointsStatus{API: "http://a:8080", NFS: "n:2049", SMB: "s:445", Metrics: "http://m:9090/metrics"},
			password:  []byte("pw"),
			want: resource.ConnectionDetails{
				"api-url": []byte("http://a:8080"), "nfs-endpoint": []byte("n:2049"), "smb-endpoint": []byte("s:445"),
				"admin-username": []byte("admin"), "admin-password": []byte("pw"),
			},
		},
		"UserPasswordIsNotCopied": {
			reason:    "A password the user supplied (none passed in) is not copied: they already hold it, and every copy is one more place it can leak from.",
			endpoints: v1alpha1.EndpointsStatus{API: "https://a:8080", NFS: "n:2049"},
			want: resource.ConnectionDetails{
				"api-url": []byte("https://a:8080"), "nfs-endpoint": []byte("n:2049"), "admin-username": []byte("admin"),
			},
		},
		"AdaptersOff": {
			reason:    "An adapter that is off has no key at all, not an empty one, so a client never dials an address nothing listens on.",
			endpoints: v1alpha1.EndpointsStatus{API: "http://a:8080"},
			password:  []byte("pw"),
			want: resource.ConnectionDetails{
				"api-url": []byte("http://a:8080"), "admin-username": []byte("admin"), "admin-password": []byte("pw"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := build.ConnectionDetails(tc.endpoints, tc.password)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.ConnectionDetails(endpoints, password): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestConnectionSecret(t *testing.T) {
	ds := fixture.DittoServer(fixture.MinimalSpec())
	got := build.ConnectionSecret(ds, resource.ConnectionDetails{"api-url": []byte("http://a:8080"), "admin-password": []byte("pw")})
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "files-connection", Namespace: "storage", Labels: serverLabels},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"api-url": []byte("http://a:8080"), "admin-password": []byte("pw")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("build.ConnectionSecret(ds, details): -want, +got:\n%s", diff)
	}
}

// TestConnectionSecretComposed: the composed Secret of a modern XR carries
// the endpoints and the generated admin password.
func TestConnectionSecretComposed(t *testing.T) {
	rsp := compose(t, xrRequest(`{"storage":{"metadataSize":"10Gi"},"controlPlane":{"certSecretName":"api-tls"},"adapters":{"smb":{"enabled":false}}}`))
	got := &corev1.Secret{}
	desiredInto(t, rsp, keyConnection, got)
	want := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "files-connection", Namespace: "storage", Labels: serverLabels},
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"api-url":        []byte("https://files-api.storage.svc.cluster.local:8080"),
			"nfs-endpoint":   []byte("files-nfs.storage.svc.cluster.local:2049"),
			"admin-username": []byte("admin"),
			"admin-password": []byte(base64RawURL(counting(32, 18))),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RunFunction(): desired connection Secret: -want, +got:\n%s", diff)
	}
}
