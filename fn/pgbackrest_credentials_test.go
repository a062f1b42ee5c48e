package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

func TestS3CredentialsFrom(t *testing.T) {
	ds := testDittoServer(perconaSpec(s3Backup()))
	conf := []byte("[global]\nrepo1-s3-key=AKIA\nrepo1-s3-key-secret=s3cr3t\n")
	cases := map[string]struct {
		data map[string][]byte
		want s3Credentials
	}{
		"ConfFileIsProjectedAsItIs": {
			data: map[string][]byte{"cloud.conf": []byte("[global]\nrepo1-s3-key=x\n")},
			want: s3Credentials{Projected: "backup-s3"},
		},
		"AWSKeysBecomeS3Conf": {
			data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA"), "AWS_SECRET_ACCESS_KEY": []byte("s3cr3t")},
			want: s3Credentials{Projected: "files-pgbackrest-s3", Conf: conf},
		},
		"CamelCaseKeysBecomeS3ConfTrimmed": {
			data: map[string][]byte{"accessKeyId": []byte("AKIA\n"), "secretAccessKey": []byte(" s3cr3t\n")},
			want: s3Credentials{Projected: "files-pgbackrest-s3", Conf: conf},
		},
		"HalfAKeyPairIsAProblemNamingKeysNotValues": {
			data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA"), "password": []byte("hunter2")},
			want: s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 holds neither shape (it has keys AWS_ACCESS_KEY_ID, password); " + s3CredentialsHelp},
		},
		"EmptySecret": {
			data: map[string][]byte{},
			want: s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 holds neither shape (it has keys none); " + s3CredentialsHelp},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := s3CredentialsFrom(ds, "backup-s3", tc.data)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("s3CredentialsFrom(): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestReadS3Credentials(t *testing.T) {
	ds := testDittoServer(perconaSpec(s3Backup()))
	secret := resource.MustStructJSON(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"backup-s3","namespace":"storage"},"data":{"s3.conf":"W2dsb2JhbF0K"}}`)
	cases := map[string]struct {
		required map[string]*fnv1.Resources
		want     s3Credentials
	}{
		"NotFetchedYetWaits": {
			want: s3Credentials{Waiting: "waiting for Crossplane to fetch the S3 credentials Secret storage/backup-s3"},
		},
		"FetchedButAbsentIsAProblem": {
			required: map[string]*fnv1.Resources{requiredS3Credentials: {}},
			want:     s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 (spec.percona.backup.credentialsSecretRef) does not exist; " + s3CredentialsHelp},
		},
		"Found": {
			required: map[string]*fnv1.Resources{requiredS3Credentials: {Items: []*fnv1.Resource{{Resource: secret}}}},
			want:     s3Credentials{Projected: "backup-s3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := readS3Credentials(&fnv1.RunFunctionRequest{RequiredResources: tc.required}, ds)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("readS3Credentials(): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestPgBackRestS3Secret(t *testing.T) {
	ds := testDittoServer(perconaSpec(s3Backup()))
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "files-pgbackrest-s3", Namespace: "storage", Labels: labels(ds, componentBackup)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"s3.conf": []byte("conf")},
	}
	if diff := cmp.Diff(want, pgBackRestS3Secret(ds, []byte("conf"))); diff != "" {
		t.Errorf("pgBackRestS3Secret(): -want, +got:\n%s", diff)
	}
}
