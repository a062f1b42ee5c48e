package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestS3CredentialsFrom(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	conf := []byte("[global]\nrepo1-s3-key=AKIA\nrepo1-s3-key-secret=s3cr3t\n")
	missing := func(opts, files string) string {
		return "the S3 credentials Secret storage/backup-s3 does not set " + opts + " in " + files +
			": pgBackRest authenticates to S3 with repo1-s3-key and repo1-s3-key-secret (repo index 1: the cluster's only repository is repo1), unless repo1-s3-key-type says otherwise (web-id, pod-id or auto). It is projected as it is"
	}
	cases := map[string]struct {
		reason string
		data   map[string][]byte
		want   s3Credentials
	}{
		"ConfFileIsProjectedAsItIs": {
			reason: "A Secret with a *.conf key is the user's pgBackRest file and is projected unchanged; `key = value` with spaces counts as set, as pgBackRest reads it.",
			data:   map[string][]byte{"cloud.conf": []byte("[global]\nrepo1-s3-key=x\nrepo1-s3-key-secret = y\n")},
			want:   s3Credentials{Projected: "backup-s3"},
		},
		"ConfFilesTogetherSetBothKeys": {
			reason: "pgBackRest loads every conf.d/*.conf: the keys may be in two files, and in a stanza section.",
			data:   map[string][]byte{"a.conf": []byte("[global]\nrepo1-s3-key=x\n"), "b.conf": []byte("# the secret\n[db]\nrepo1-s3-key-secret=y\n")},
			want:   s3Credentials{Projected: "backup-s3"},
		},
		"ConfWithoutKeySecretWarnsNamingIt": {
			reason: "Projected, but the user is told which option is missing; no value appears.",
			data:   map[string][]byte{"cloud.conf": []byte("[global]\nrepo1-s3-key=AKIAEXAMPLE\n")},
			want:   s3Credentials{Projected: "backup-s3", Warning: missing("repo1-s3-key-secret", "cloud.conf")},
		},
		"ConfOfAnotherRepoIndexWarnsNamingBoth": {
			reason: "repo2-* keys authenticate no repo of this cluster, whose only one is repo1; a key not ending in .conf (README) is no pgBackRest file and is not named.",
			data:   map[string][]byte{"s3.conf": []byte("[global]\nrepo2-s3-key=x\nrepo2-s3-key-secret=y\n"), "README": []byte("x")},
			want:   s3Credentials{Projected: "backup-s3", Warning: missing("repo1-s3-key and repo1-s3-key-secret", "s3.conf")},
		},
		"ConfWithWebIdentityNeedsNoKeys": {
			reason: "IRSA: repo1-s3-key-type web-id authenticates without keys.",
			data:   map[string][]byte{"s3.conf": []byte("[global]\nrepo1-s3-key-type=web-id\n")},
			want:   s3Credentials{Projected: "backup-s3"},
		},
		"ConfWithSharedKeyTypeStillNeedsKeys": {
			reason: "repo1-s3-key-type=shared is the type that authenticates with the keys, so a missing secret key is still warned about.",
			data:   map[string][]byte{"s3.conf": []byte("[global]\nrepo1-s3-key-type=shared\nrepo1-s3-key=x\n")},
			want:   s3Credentials{Projected: "backup-s3", Warning: missing("repo1-s3-key-secret", "s3.conf")},
		},
		"NewlineInsideAKeyIsRefusedNamingTheKey": {
			reason: "A newline inside a value would inject an option into s3.conf; the message names Secret and key, never the value.",
			data:   map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA"), "AWS_SECRET_ACCESS_KEY": []byte("s3cr3t\nrepo1-path=/elsewhere")},
			want: s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 cannot become pgBackRest's s3.conf: key AWS_SECRET_ACCESS_KEY holds a line feed (LF) inside its value, " +
				"which would start a line of s3.conf of its own (pgBackRest reads such a line as another option); write the key without it (a trailing newline is fine: it is trimmed)"},
		},
		"CarriageReturnAndNULBothNamed": {
			reason: "Every bad key is named, each with what it holds.",
			data:   map[string][]byte{"accessKeyId": []byte("AK\rIA"), "secretAccessKey": []byte("s3\x00cr3t")},
			want: s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 cannot become pgBackRest's s3.conf: " +
				"key accessKeyId holds a carriage return (CR) inside its value, which would start a line of s3.conf of its own (pgBackRest reads such a line as another option); write the key without it (a trailing newline is fine: it is trimmed); " +
				"key secretAccessKey holds the control character U+0000 inside its value, which would start a line of s3.conf of its own (pgBackRest reads such a line as another option); write the key without it (a trailing newline is fine: it is trimmed)"},
		},
		"WhitespaceOnlyKeyIsRefused": {
			reason: "Trimmed, nothing is left to authenticate with.",
			data:   map[string][]byte{"AWS_ACCESS_KEY_ID": []byte(" \n"), "AWS_SECRET_ACCESS_KEY": []byte("s3cr3t")},
			want:   s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 cannot become pgBackRest's s3.conf: key AWS_ACCESS_KEY_ID is empty"},
		},
		"ProviderCharactersAreKept": {
			reason: "Secret keys hold +, / and =; only control characters are refused.",
			data:   map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA EX"), "AWS_SECRET_ACCESS_KEY": []byte("wJal/rXU+tnF=EMI#K7;MDENG")},
			want:   s3Credentials{Projected: "files-pgbackrest-s3", Conf: []byte("[global]\nrepo1-s3-key=AKIA EX\nrepo1-s3-key-secret=wJal/rXU+tnF=EMI#K7;MDENG\n")},
		},
		"AWSKeysBecomeS3Conf": {
			reason: "Plain AWS keys become an s3.conf for repo1 in the composed <xr>-pgbackrest-s3, which the cluster projects instead of the user's Secret.",
			data:   map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA"), "AWS_SECRET_ACCESS_KEY": []byte("s3cr3t")},
			want:   s3Credentials{Projected: "files-pgbackrest-s3", Conf: conf},
		},
		"CamelCaseKeysBecomeS3ConfTrimmed": {
			reason: "The camelCase names many S3 tools write work too, and the newline `kubectl create secret --from-file` keeps is trimmed: the same s3.conf.",
			data:   map[string][]byte{"accessKeyId": []byte("AKIA\n"), "secretAccessKey": []byte(" s3cr3t\n")},
			want:   s3Credentials{Projected: "files-pgbackrest-s3", Conf: conf},
		},
		"HalfAKeyPairIsAProblemNamingKeysNotValues": {
			reason: "An access key without its secret key is neither shape; the message lists the Secret's keys so the user sees what is missing, and never a value.",
			data:   map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIA"), "password": []byte("hunter2")},
			want:   s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 holds neither shape (it has keys AWS_ACCESS_KEY_ID, password); " + s3CredentialsHelp},
		},
		"EmptySecret": {
			reason: "An empty Secret is neither shape, and the message says it has no keys rather than listing nothing.",
			data:   map[string][]byte{},
			want:   s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 holds neither shape (it has keys none); " + s3CredentialsHelp},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := s3CredentialsFrom(ds, "backup-s3", tc.data)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ns3CredentialsFrom(ds, \"backup-s3\", data): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReadS3Credentials(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	secret := resource.MustStructJSON(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"backup-s3","namespace":"storage"},"data":{"s3.conf":"W2dsb2JhbF0KcmVwbzEtczMta2V5PXgKcmVwbzEtczMta2V5LXNlY3JldD15Cg=="}}`)
	cases := map[string]struct {
		reason   string
		required map[string]*fnv1.Resources
		want     s3Credentials
	}{
		"NotFetchedYetWaits": {
			reason: "Until Crossplane answers the requirement the Secret is unknown, not missing: a wait naming it, no warning.",
			want:   s3Credentials{Waiting: "waiting for Crossplane to fetch the S3 credentials Secret storage/backup-s3"},
		},
		"FetchedButAbsentIsAProblem": {
			reason:   "Crossplane answered with nothing: the Secret does not exist, and the problem names it, its field and the shapes it may take.",
			required: map[string]*fnv1.Resources{requiredS3Credentials: {}},
			want:     s3Credentials{Problem: "the S3 credentials Secret storage/backup-s3 (spec.percona.backup.credentialsSecretRef) does not exist; " + s3CredentialsHelp},
		},
		"Found": {
			reason:   "A fetched Secret's data is base64 in the request and is decoded before it is read: undecoded, its s3.conf would set no option and draw a warning.",
			required: map[string]*fnv1.Resources{requiredS3Credentials: {Items: []*fnv1.Resource{{Resource: secret}}}},
			want:     s3Credentials{Projected: "backup-s3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := readS3Credentials(&fnv1.RunFunctionRequest{RequiredResources: tc.required}, ds)
			if err != nil {
				t.Fatalf("%s\nreadS3Credentials(req, ds): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nreadS3Credentials(req, ds): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPgBackRestS3Secret(t *testing.T) {
	ds := fixture.DittoServer(fixture.PerconaSpec(fixture.S3Backup()))
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "files-pgbackrest-s3", Namespace: "storage", Labels: ds.Labels(spec.ComponentBackup)},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"s3.conf": []byte("conf")},
	}
	if diff := cmp.Diff(want, build.PGBackRestS3Secret(ds, []byte("conf"))); diff != "" {
		t.Errorf("build.PGBackRestS3Secret(ds, conf): -want, +got:\n%s", diff)
	}
}
