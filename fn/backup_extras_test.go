package fn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// extrasSpec is backupSpec with a CA reference and encryption.
const extrasSpec = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"minio.storage.svc:9000",` +
	`"caSecretRef":{"name":"s3-ca"},"encryption":{"passphraseSecretRef":{"name":"repo-pass"}}}}}`

// testCAPEM is a CA certificate, as a user's CA Secret holds it.
func testCAPEM(t *testing.T) string {
	t.Helper()
	ca, err := testpki.NewCA("s3 private CA")
	if err != nil {
		t.Fatal(err)
	}
	return string(ca.CertPEM)
}

// withSecrets hands req the required Secrets by requirement name; a nil
// object is a Secret that does not exist. Names not given are not fetched.
func withSecrets(req *fnv1.RunFunctionRequest, objs map[string]*string) *fnv1.RunFunctionRequest {
	if req.RequiredResources == nil {
		req.RequiredResources = map[string]*fnv1.Resources{}
	}
	for name, o := range objs {
		rs := &fnv1.Resources{}
		if o != nil {
			rs.Items = append(rs.Items, &fnv1.Resource{Resource: resource.MustStructJSON(*o)})
		}
		req.RequiredResources[name] = rs
	}
	return req
}

// extrasSecrets are the three Secrets extrasSpec names, each overridable.
func extrasSecrets(t *testing.T, override map[string]*string) map[string]*string {
	t.Helper()
	ca := secretJSON("s3-ca", map[string]string{"ca.crt": testCAPEM(t)}, nil)
	pass := secretJSON("repo-pass", map[string]string{"passphrase": "correct horse battery staple\n"}, nil)
	creds := awsKeys
	out := map[string]*string{requiredS3Credentials: &creds, requiredBackupCA: &ca, requiredBackupPassphrase: &pass}
	for k, v := range override {
		out[k] = v
	}
	return out
}

// TestBackupCAAndEncryption: the CA is projected from the user's Secret and
// named by repo1-storage-ca-file; the passphrase is copied into
// <xr>-pgbackrest-cipher's cipher.conf and projected, never in the cluster;
// a port stays in the endpoint (Percona copies it into repo1-s3-endpoint
// verbatim and pgBackRest dials it).
func TestBackupCAAndEncryption(t *testing.T) {
	req := withSecrets(xrRequest(extrasSpec), extrasSecrets(t, nil))
	rsp := compose(t, req)
	if msg, fatal := fatalResult(rsp); fatal {
		t.Fatal(msg)
	}
	var cluster pgv2.PerconaPGCluster
	desiredInto(t, rsp, keyPerconaCluster, &cluster)
	want := pgv2.PGBackRestArchive{
		Image: "docker.io/percona/percona-pgbackrest:2.58.0-1",
		Global: map[string]string{
			"repo1-cipher-type":         "aes-256-cbc",
			"repo1-path":                "/pgbackrest/storage/files-4a49acf8/repo1",
			"repo1-retention-full":      "7",
			"repo1-retention-full-type": "time",
			"repo1-s3-uri-style":        "path",
			"repo1-storage-ca-file":     "/etc/pgbackrest/conf.d/repo1-storage-ca.crt",
			"repo1-storage-verify-tls":  "y",
		},
		Configuration: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-s3"}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "s3-ca"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "repo1-storage-ca.crt"}}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "files-pgbackrest-cipher"}, Items: []corev1.KeyToPath{{Key: "cipher.conf", Path: "cipher.conf"}}}},
		},
		Repos: []crunchyv1beta1.PGBackRestRepo{{
			Name:            "repo1",
			S3:              &crunchyv1beta1.RepoS3{Bucket: "b", Endpoint: "minio.storage.svc:9000", Region: "eu-west-1"},
			BackupSchedules: &crunchyv1beta1.PGBackRestBackupSchedules{Full: ptr.To("0 2 * * *"), Incremental: ptr.To("0 * * * *")},
		}},
	}
	if diff := cmp.Diff(want, cluster.Spec.Backups.PGBackRest); diff != "" {
		t.Errorf("spec.backups.pgbackrest (-want +got):\n%s", diff)
	}
	var cipher corev1.Secret
	desiredInto(t, rsp, keyPGBackRestCipher, &cipher)
	wantCipher := corev1.Secret{
		TypeMeta:   cipher.TypeMeta,
		ObjectMeta: cipher.ObjectMeta,
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"cipher.conf": []byte("[global]\nrepo1-cipher-pass=correct horse battery staple\n")},
	}
	if diff := cmp.Diff(wantCipher, cipher); diff != "" {
		t.Errorf("files-pgbackrest-cipher (-want +got):\n%s", diff)
	}
	if cipher.Name != "files-pgbackrest-cipher" || cipher.Namespace != "storage" || cipher.Labels["app.kubernetes.io/component"] != "backup" {
		t.Errorf("files-pgbackrest-cipher metadata: %+v", cipher.ObjectMeta)
	}
	usage := desiredMap(t, rsp, keyUsageCipher)
	if got := usage["spec"].(map[string]any)["of"].(map[string]any)["resourceRef"].(map[string]any)["name"]; got != "files-pgbackrest-cipher" {
		t.Errorf("the cipher Usage protects %v", got)
	}
	clusterJSON := desiredMap(t, rsp, keyPerconaCluster)
	if b, _ := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource().MarshalJSON(); strings.Contains(string(b), "correct horse") {
		t.Errorf("the passphrase is in the PerconaPGCluster: %v", clusterJSON)
	}
	for _, r := range rsp.GetResults() {
		if strings.Contains(r.GetMessage(), "correct horse") {
			t.Errorf("the passphrase is in a result: %s", r.GetMessage())
		}
	}
	if st := backupStatusOf(t, rsp); !st.Encrypted {
		t.Errorf("status.database.backup.encrypted is false: %+v", st)
	}
}

// TestBackupExtrasAwaited: a CA or passphrase Secret that is not fetched
// yet, missing or malformed holds a new cluster back (its pgBackRest would
// project what does not exist) and says why in BackupReady; an existing
// cluster keeps its backups block and cipher Secret exactly as observed.
func TestBackupExtrasAwaited(t *testing.T) {
	notPEM := secretJSON("s3-ca", map[string]string{"ca.crt": "not a certificate"}, nil)
	wrongKey := secretJSON("s3-ca", map[string]string{"tls.crt": "x"}, nil)
	newline := secretJSON("repo-pass", map[string]string{"passphrase": "correct horse\nrepo1-path=/elsewhere"}, nil)
	empty := secretJSON("repo-pass", map[string]string{"passphrase": " \n"}, nil)
	cases := map[string]struct {
		reason   string
		override map[string]*string
		drop     string // a requirement not answered yet
		want     string // BackupReady
		message  string
	}{
		"CANotFetched": {
			reason: "Until Crossplane fetched the CA Secret the function cannot know it is fine: a new cluster waits, and the condition says for what.",
			drop:   requiredBackupCA, want: "FALSE WaitingForCA",
			message: "waiting for Crossplane to fetch the S3 CA Secret storage/s3-ca",
		},
		"CAMissing": {
			reason:   "A CA Secret that does not exist would leave pgBackRest's projected volume missing, so the cluster never starts; the message names the field to fix.",
			override: map[string]*string{requiredBackupCA: nil}, want: "FALSE InvalidCA",
			message: "the S3 CA Secret storage/s3-ca (spec.percona.backup.caSecretRef) does not exist",
		},
		"CAKeyMissing": {
			reason:   "A CA under another key is a common mistake (tls.crt for ca.crt); the message lists the keys there are, so the fix is obvious.",
			override: map[string]*string{requiredBackupCA: &wrongKey}, want: "FALSE InvalidCA",
			message: "the S3 CA Secret storage/s3-ca (spec.percona.backup.caSecretRef) has no key ca.crt (it has keys tls.crt)",
		},
		"CANotPEM": {
			reason:   "A key that holds no certificate would fail every TLS handshake with S3 much later; the message says what it must hold.",
			override: map[string]*string{requiredBackupCA: &notPEM}, want: "FALSE InvalidCA",
			message: "key ca.crt of the S3 CA Secret storage/s3-ca (spec.percona.backup.caSecretRef) holds no PEM certificate: it needs the CA that signed the S3 endpoint's certificate, -----BEGIN CERTIFICATE----- …",
		},
		"PassphraseNotFetched": {
			reason: "An encrypted repository cannot be created before its passphrase is known: waiting, and saying so, beats a repository with the wrong key.",
			drop:   requiredBackupPassphrase, want: "FALSE WaitingForEncryptionPassphrase",
			message: "waiting for Crossplane to fetch the encryption passphrase Secret storage/repo-pass",
		},
		"PassphraseWithALineBreak": {
			reason:   "A line feed would end the cipher-pass line and let the rest inject another pgBackRest option (repo1-path here); refused without echoing the value.",
			override: map[string]*string{requiredBackupPassphrase: &newline}, want: "FALSE InvalidEncryptionPassphrase",
			message: "key passphrase of the encryption passphrase Secret storage/repo-pass (spec.percona.backup.encryption.passphraseSecretRef) holds a line feed (LF) inside its value",
		},
		"PassphraseEmpty": {
			reason:   "An empty passphrase would encrypt with nothing secret; refused rather than trimmed to empty.",
			override: map[string]*string{requiredBackupPassphrase: &empty}, want: "FALSE InvalidEncryptionPassphrase",
			message: "key passphrase of the encryption passphrase Secret storage/repo-pass (spec.percona.backup.encryption.passphraseSecretRef) is empty",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			secrets := extrasSecrets(t, tc.override)
			delete(secrets, tc.drop)
			rsp := compose(t, withSecrets(xrRequest(extrasSpec), secrets))
			if _, ok := rsp.GetDesired().GetResources()[string(keyPerconaCluster)]; ok {
				t.Errorf("%s\nRunFunction(): a new cluster was composed while a Secret its pgBackRest projects cannot be read", tc.reason)
			}
			if got := conditionOf(rsp, conditionBackupReady); got != tc.want {
				t.Errorf("%s\nRunFunction(): BackupReady %q, want %q", tc.reason, got, tc.want)
			}
			if got := conditionMessage(rsp, conditionBackupReady); !strings.HasPrefix(got, tc.message) {
				t.Errorf("%s\nRunFunction(): BackupReady message %q, want one starting %q", tc.reason, got, tc.message)
			}
			if got := conditionOf(rsp, conditionDatabaseReady); got != "FALSE WaitingForBackupCredentials" {
				t.Errorf("%s\nRunFunction(): DatabaseReady %q, want FALSE WaitingForBackupCredentials", tc.reason, got)
			}

			// The same Secret trouble under a live encrypted cluster.
			live, _ := liveServerFrom(t, withSecrets(xrRequest(extrasSpec), extrasSecrets(t, nil)))
			live = withSecrets(live, secrets)
			if tc.drop != "" {
				delete(live.GetRequiredResources(), tc.drop)
			}
			rsp = compose(t, live)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatal(msg)
			}
			observed := live.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["spec"].GetStructValue().GetFields()["backups"]
			desired := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["spec"].GetStructValue().GetFields()["backups"]
			if diff := cmp.Diff(observed.AsInterface(), desired.AsInterface()); diff != "" {
				t.Errorf("%s\nRunFunction(): the live cluster's backups changed: -observed, +desired:\n%s", tc.reason, diff)
			}
			for _, key := range []resource.Name{keyPGBackRestCipher, keyUsageCipher} {
				if _, ok := rsp.GetDesired().GetResources()[string(key)]; !ok {
					t.Errorf("%s\nRunFunction(): %s was dropped", tc.reason, key)
				}
			}
		})
	}
}

func conditionMessage(rsp *fnv1.RunFunctionResponse, typ string) string {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == typ {
			return c.GetMessage()
		}
	}
	return ""
}

// TestEncryptionGuard: encryption is fixed once the repository exists:
// added, removed, or with another passphrase, the change is a Fatal naming
// the field, and nothing is applied.
func TestEncryptionGuard(t *testing.T) {
	plain := strings.Replace(extrasSpec, `,"encryption":{"passphraseSecretRef":{"name":"repo-pass"}}`, "", 1)
	other := secretJSON("repo-pass", map[string]string{"passphrase": "a-different-one-42"}, nil)
	sameElsewhere := secretJSON("repo-pass-2", map[string]string{"passphrase": "correct horse battery staple"}, nil)
	cases := map[string]struct {
		reason   string
		was, now string
		secrets  map[string]*string
		want     string // "" applies
	}{
		"EncryptionAdded": {
			reason: "The repository exists unencrypted: turning encryption on would make pgBackRest unable to read the backups already there.",
			was:    plain, now: extrasSpec,
			want: "spec.percona.backup.encryption: Forbidden: unsafe change: the pgBackRest repository of PerconaPGCluster files-postgres (s3://b/pgbackrest/storage/files-4a49acf8/repo1) is not encrypted",
		},
		"EncryptionRemoved": {
			reason: "The repository exists encrypted: turning encryption off would lose access to every backup in it.",
			was:    extrasSpec, now: plain,
			want: "spec.percona.backup.encryption: Forbidden: unsafe change: the pgBackRest repository of PerconaPGCluster files-postgres (s3://b/pgbackrest/storage/files-4a49acf8/repo1) is encrypted (repo1-cipher-type aes-256-cbc)",
		},
		"PassphraseChanged": {
			reason: "Another passphrase cannot decrypt the existing repository; the change is refused before it is applied, naming the Secret that holds the one in use.",
			was:    extrasSpec, now: extrasSpec, secrets: map[string]*string{requiredBackupPassphrase: &other},
			want: "spec.percona.backup.encryption.passphraseSecretRef: Forbidden: unsafe change: key passphrase of Secret storage/repo-pass holds another passphrase than the one the pgBackRest repository of PerconaPGCluster files-postgres is encrypted with (kept in Secret files-pgbackrest-cipher)",
		},
		"SamePassphraseInAnotherSecret": {
			reason: "Moving the same passphrase to another Secret changes nothing pgBackRest sees, so it must apply: the guard compares passphrases, not Secret names.",
			was:    extrasSpec, now: strings.Replace(extrasSpec, `"name":"repo-pass"`, `"name":"repo-pass-2"`, 1),
			secrets: map[string]*string{requiredBackupPassphrase: &sameElsewhere},
		},
		"Unchanged": {
			reason: "An encrypted cluster reconciled as it is must not trip its own guard.",
			was:    extrasSpec, now: extrasSpec,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live, _ := liveServerFrom(t, withSecrets(xrRequest(tc.was), extrasSecrets(t, nil)))
			next := withSecrets(later(live, tc.now, ""), extrasSecrets(t, tc.secrets))
			rsp := compose(t, next)
			msg, fatal := fatalResult(rsp)
			switch {
			case tc.want == "" && fatal:
				t.Errorf("%s\nRunFunction(): refused: %s", tc.reason, msg)
			case tc.want != "" && (!fatal || !strings.Contains(msg, tc.want)):
				t.Errorf("%s\nRunFunction(): result %q (fatal %v), want one containing %q", tc.reason, msg, fatal, tc.want)
			case tc.want != "" && len(rsp.GetDesired().GetResources()) != 0:
				t.Errorf("%s\nRunFunction(): a refused change desired %v", tc.reason, desiredKeys(rsp))
			}
			if strings.Contains(msg, "correct horse") || strings.Contains(msg, "a-different-one-42") {
				t.Errorf("%s\nRunFunction(): a passphrase is in the result: %s", tc.reason, msg)
			}
		})
	}
}

// TestCAUnreadableKeepsDerivedCredentials: while the CA cannot be read the
// live cluster keeps its backups block, which projects the derived
// <xr>-pgbackrest-s3; that Secret stays composed as observed even when the
// credentials Secret now holds a *.conf (which needs no derived Secret),
// or pgBackRest would project a Secret Crossplane deletes.
func TestCAUnreadableKeepsDerivedCredentials(t *testing.T) {
	live, _ := liveServerFrom(t, withSecrets(xrRequest(extrasSpec), extrasSecrets(t, nil)))
	observed := live.GetObserved().GetResources()[string(keyPGBackRestS3)]
	if observed == nil {
		t.Fatal("the live server has no derived S3 Secret")
	}
	conf := secretJSON("backup-s3", map[string]string{"s3.conf": "[global]\nrepo1-s3-key=AKIA\nrepo1-s3-key-secret=secret\n"}, nil)
	rsp := compose(t, withSecrets(live, extrasSecrets(t, map[string]*string{requiredS3Credentials: &conf, requiredBackupCA: nil})))
	if msg, fatal := fatalResult(rsp); fatal {
		t.Fatal(msg)
	}
	cluster := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource().AsMap()
	projected, _ := cluster["spec"].(map[string]any)["backups"].(map[string]any)["pgbackrest"].(map[string]any)["configuration"].([]any)[0].(map[string]any)["secret"].(map[string]any)["name"].(string)
	if projected != "files-pgbackrest-s3" {
		t.Fatalf("the kept backups block projects %q", projected)
	}
	got := rsp.GetDesired().GetResources()[string(keyPGBackRestS3)]
	if got == nil {
		t.Fatal("files-pgbackrest-s3 is no longer desired while the kept backups block projects it")
	}
	if diff := cmp.Diff(observed.GetResource().AsMap()["data"], got.GetResource().AsMap()["data"]); diff != "" {
		t.Errorf("files-pgbackrest-s3 changed (-observed +desired):\n%s", diff)
	}
}

// TestEncryptionAfterBackupsOff: with backups off (authorized) the bucket
// keeps the encrypted repository, at the path backups go on at again, so
// <xr>-pgbackrest-cipher stays composed; backups on again without
// encryption, or with another passphrase, are refused, and with the same
// one applied (found by the transition test).
func TestEncryptionAfterBackupsOff(t *testing.T) {
	offSpec := strings.Replace(extrasSpec, `"backup":{"enabled":true,`, `"backup":{"enabled":false,"authorizeRemoval":true,`, 1)
	plain := strings.Replace(extrasSpec, `,"encryption":{"passphraseSecretRef":{"name":"repo-pass"}}`, "", 1)
	other := secretJSON("repo-pass", map[string]string{"passphrase": "a-different-one-42"}, nil)

	live, _ := liveServerFrom(t, withSecrets(xrRequest(extrasSpec), extrasSecrets(t, nil)))
	off := withSecrets(later(live, offSpec, ""), extrasSecrets(t, nil))
	rsp := compose(t, off)
	if msg, fatal := fatalResult(rsp); fatal {
		t.Fatalf("backups off: %s", msg)
	}
	for _, key := range []resource.Name{keyPGBackRestCipher, keyUsageCipher} {
		if _, ok := rsp.GetDesired().GetResources()[string(key)]; !ok {
			t.Errorf("backups off: %s is no longer desired", key)
		}
	}
	// What Crossplane applies: the desired state, the rest deleted.
	off.Observed.Resources = map[string]*fnv1.Resource{}
	observeDesired(off, rsp)

	cases := map[string]struct {
		spec    string
		secrets map[string]*string
		want    string // "" applies
	}{
		"OnWithoutEncryption": {spec: plain, want: "spec.percona.backup.encryption: Forbidden: unsafe change: the pgBackRest repository of PerconaPGCluster files-postgres (s3://b/pgbackrest/storage/files-4a49acf8/repo1) is encrypted"},
		"OnWithAnotherPassphrase": {
			spec: extrasSpec, secrets: map[string]*string{requiredBackupPassphrase: &other},
			want: "spec.percona.backup.encryption.passphraseSecretRef: Forbidden: unsafe change",
		},
		"OnAsBefore": {spec: extrasSpec},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, withSecrets(later(off, tc.spec, ""), extrasSecrets(t, tc.secrets)))
			msg, fatal := fatalResult(rsp)
			switch {
			case tc.want == "" && fatal:
				t.Errorf("refused: %s", msg)
			case tc.want != "" && (!fatal || !strings.Contains(msg, tc.want)):
				t.Errorf("result %q (fatal %v), want one containing %q", msg, fatal, tc.want)
			}
		})
	}
}

// TestPlainRepositoryAfterBackupsOff: the same the other way. With backups
// off the bucket keeps the plain repository at the path backups go on at
// again, and the cluster's record of it (annotationPlainRepository) is what
// refuses encryption then; a cluster composed before the record existed
// gets it when backups go off.
func TestPlainRepositoryAfterBackupsOff(t *testing.T) {
	plain := strings.Replace(extrasSpec, `,"encryption":{"passphraseSecretRef":{"name":"repo-pass"}}`, "", 1)
	offSpec := strings.Replace(plain, `"backup":{"enabled":true,`, `"backup":{"enabled":false,"authorizeRemoval":true,`, 1)
	const repo = "/pgbackrest/storage/files-4a49acf8/repo1"

	live, _ := liveServerFrom(t, withSecrets(xrRequest(plain), extrasSecrets(t, nil)))
	unrecorded := proto.Clone(live).(*fnv1.RunFunctionRequest)
	delete(unrecorded.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["metadata"].GetStructValue().GetFields(), "annotations")

	cases := map[string]struct {
		reason string
		live   *fnv1.RunFunctionRequest
		on     string
		want   string // "" applies
	}{
		"OnWithEncryption": {
			reason: "The plain repository is still in the bucket at the path backups go on at: pgBackRest with a cipher could not read it or archive into it.",
			live:   live, on: extrasSpec,
			want: "spec.percona.backup.encryption: Forbidden: unsafe change: the pgBackRest repository of PerconaPGCluster files-postgres (s3://b" + repo + ") is not encrypted",
		},
		"OnWithEncryptionRecordedAtOff": {
			reason: "A cluster composed before the record existed gets it from its plain repository when backups go off.",
			live:   unrecorded, on: extrasSpec,
			want: "spec.percona.backup.encryption: Forbidden: unsafe change",
		},
		"OnPlainAgain": {
			reason: "Backups on again as they were write on into the same plain repository.",
			live:   live, on: plain,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			off := withSecrets(later(tc.live, offSpec, ""), extrasSecrets(t, nil))
			rsp := compose(t, off)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nbackups off: %s", tc.reason, msg)
			}
			cluster := rsp.GetDesired().GetResources()[string(keyPerconaCluster)].GetResource()
			got := cluster.GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()[annotationPlainRepository].GetStringValue()
			if got != repo {
				t.Errorf("%s\nbackups off: annotation %s = %q, want %q", tc.reason, annotationPlainRepository, got, repo)
			}
			// What Crossplane applies: the desired state, the rest deleted.
			off.Observed.Resources = map[string]*fnv1.Resource{}
			observeDesired(off, rsp)
			rsp = compose(t, withSecrets(later(off, tc.on, ""), extrasSecrets(t, nil)))
			wantRefusal(t, tc.reason, "backups on again", rsp, tc.want)
		})
	}
}

// TestKeptRepositoryStatus: while backups are off, the XR's status keeps
// the repository left in the bucket (path, bucket, encrypted), taken from
// status.database.backup on the call that turns them off and carried on
// from then. It is what refuses backups turned on again with the other
// encryption when the cluster's own records of it, the plain repository's
// annotation or the kept cipher Secret, were removed by hand.
func TestKeptRepositoryStatus(t *testing.T) {
	encrypted := extrasSpec
	plain := strings.Replace(extrasSpec, `,"encryption":{"passphraseSecretRef":{"name":"repo-pass"}}`, "", 1)
	off := func(spec string) string {
		return strings.Replace(spec, `"backup":{"enabled":true,`, `"backup":{"enabled":false,"authorizeRemoval":true,`, 1)
	}
	const repo = "/pgbackrest/storage/files-4a49acf8/repo1"

	cases := map[string]struct {
		reason string
		from   string // the spec backups ran with
		on     string // the spec they are turned on again with
		// handRemoved drops the cluster's own records before backups go on.
		handRemoved bool
		// noStatus drops the XR's status record too.
		noStatus bool
		want     *v1alpha1.KeptRepositoryStatus
		refused  string // "" applies
	}{
		"PlainAnnotationRemoved": {
			reason: "The annotation removed by hand, the status still says the repository is plain: encryption is refused.",
			from:   plain, on: encrypted, handRemoved: true,
			want:    &v1alpha1.KeptRepositoryStatus{RepoPath: repo, Bucket: "b"},
			refused: "is not encrypted",
		},
		"EncryptedCipherSecretRemoved": {
			reason: "The kept cipher Secret deleted by hand, the status still says the repository is encrypted: a plain one is refused.",
			from:   encrypted, on: plain, handRemoved: true,
			want:    &v1alpha1.KeptRepositoryStatus{RepoPath: repo, Bucket: "b", Encrypted: true},
			refused: "is encrypted",
		},
		"EncryptedAgain": {
			reason: "Backups on again as they were, records removed or not, apply.",
			from:   encrypted, on: encrypted, handRemoved: true,
			want: &v1alpha1.KeptRepositoryStatus{RepoPath: repo, Bucket: "b", Encrypted: true},
		},
		"WithoutAnyRecord": {
			reason: "With every record gone the function cannot know, and applies: the status record is what refuses above.",
			from:   plain, on: encrypted, handRemoved: true, noStatus: true,
			want: &v1alpha1.KeptRepositoryStatus{RepoPath: repo, Bucket: "b"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live, rsp := liveServerFrom(t, withSecrets(xrRequest(tc.from), extrasSecrets(t, nil)))
			if tc.want.Encrypted {
				// Carried from status.database.backup (TestPassphraseDigest).
				tc.want.PassphraseDigest = passphraseDigestOf(rsp)
			}
			req := observeXRStatus(live, rsp)
			// Backups go off, and a second call keeps what the first wrote.
			for call := range 2 {
				next := withSecrets(later(req, off(tc.from), ""), extrasSecrets(t, nil))
				next.Observed.Composite.Resource.Fields["status"] = req.GetObserved().GetComposite().GetResource().GetFields()["status"]
				rsp = compose(t, next)
				if msg, fatal := fatalResult(rsp); fatal {
					t.Fatalf("%s\nbackups off (call %d): %s", tc.reason, call+1, msg)
				}
				next.Observed.Resources = map[string]*fnv1.Resource{}
				req = observeXRStatus(observeDesired(next, rsp), rsp)
				if diff := cmp.Diff(tc.want, keptRepositoryOf(t, rsp)); diff != "" {
					t.Errorf("%s\nbackups off (call %d): status.database.keptRepository: -want, +got:\n%s", tc.reason, call+1, diff)
				}
			}
			if tc.handRemoved {
				delete(req.GetObserved().GetResources(), string(keyPGBackRestCipher))
				delete(req.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["metadata"].GetStructValue().GetFields(), "annotations")
			}
			if tc.noStatus {
				delete(req.GetObserved().GetComposite().GetResource().GetFields(), "status")
			}
			// A reconcile while backups are still off, after the removal:
			// the status carries the record on by itself.
			next := withSecrets(later(req, off(tc.from), ""), extrasSecrets(t, nil))
			if st := req.GetObserved().GetComposite().GetResource().GetFields()["status"]; st != nil {
				next.Observed.Composite.Resource.Fields["status"] = st
			}
			rsp = compose(t, next)
			wantAfter := tc.want
			if tc.noStatus {
				wantAfter = nil
			}
			if diff := cmp.Diff(wantAfter, keptRepositoryOf(t, rsp)); diff != "" {
				t.Errorf("%s\nbackups off, records removed: status.database.keptRepository: -want, +got:\n%s", tc.reason, diff)
			}
			next.Observed.Resources = map[string]*fnv1.Resource{}
			req = observeXRStatus(observeDesired(next, rsp), rsp)
			status := req.GetObserved().GetComposite().GetResource().GetFields()["status"]
			on := withSecrets(later(req, tc.on, ""), extrasSecrets(t, nil))
			if status != nil {
				on.Observed.Composite.Resource.Fields["status"] = status
			}
			wantRefusal(t, tc.reason, "backups on again", compose(t, on), tc.refused)
		})
	}
}

// wantRefusal fails t unless rsp is a Fatal whose message holds refused,
// or, with refused "", no Fatal.
func wantRefusal(t *testing.T, reason, what string, rsp *fnv1.RunFunctionResponse, refused string) {
	t.Helper()
	msg, fatal := fatalResult(rsp)
	switch {
	case refused == "" && fatal:
		t.Errorf("%s\n%s: refused: %s", reason, what, msg)
	case refused != "" && (!fatal || !strings.Contains(msg, refused)):
		t.Errorf("%s\n%s: result %q (fatal %v), want one containing %q", reason, what, msg, fatal, refused)
	}
}

// passphraseDigestOf is the desired XR's
// status.database.backup.passphraseDigest.
func passphraseDigestOf(rsp *fnv1.RunFunctionResponse) string {
	db := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["database"].GetStructValue()
	return db.GetFields()["backup"].GetStructValue().GetFields()["passphraseDigest"].GetStringValue()
}

// observeXRStatus gives req's observed XR the status rsp desired, as
// Crossplane writes it and hands it back.
func observeXRStatus(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) *fnv1.RunFunctionRequest {
	if st, ok := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]; ok {
		req.Observed.Composite.Resource.Fields["status"] = proto.Clone(st).(*structpb.Value)
	}
	return req
}

// keptRepositoryOf is the desired XR's status.database.keptRepository.
func keptRepositoryOf(t *testing.T, rsp *fnv1.RunFunctionResponse) *v1alpha1.KeptRepositoryStatus {
	t.Helper()
	db := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["database"].GetStructValue()
	kept := db.GetFields()["keptRepository"].GetStructValue()
	if kept == nil {
		return nil
	}
	b, err := protojson.Marshal(kept)
	if err != nil {
		t.Fatal(err)
	}
	out := &v1alpha1.KeptRepositoryStatus{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPassphraseDigest: an encrypted repository's status records a digest
// of its passphrase (never the passphrase), carried from call to call; with
// the cipher Secret deleted by hand, a changed passphrase is refused by
// that digest, and the same passphrase applies.
func TestPassphraseDigest(t *testing.T) {
	live, rsp := liveServerFrom(t, withSecrets(xrRequest(extrasSpec), extrasSecrets(t, nil)))
	recorded := passphraseDigestOf(rsp)
	if !strings.HasPrefix(recorded, "pbkdf2-sha256:10000:") || strings.Contains(recorded, "correct horse") {
		t.Fatalf("status.database.backup.passphraseDigest = %q, want a PBKDF2 digest without the passphrase", recorded)
	}
	// Carried: the next call, its status observed, writes the same.
	again := compose(t, withSecrets(observeXRStatus(proto.Clone(live).(*fnv1.RunFunctionRequest), rsp), extrasSecrets(t, nil)))
	if got := passphraseDigestOf(again); got != recorded {
		t.Errorf("the digest carried to the next call is %q, want %q", got, recorded)
	}

	changed := secretJSON("repo-pass", map[string]string{"passphrase": "rotated-by-mistake-7"}, nil)
	cases := map[string]struct {
		reason     string
		passphrase map[string]*string
		dropStatus bool
		refused    string // "" applies
	}{
		"ChangedRefusedByTheDigest": {
			reason:     "The cipher Secret is gone, but the status's digest says the repository's passphrase is another one.",
			passphrase: map[string]*string{requiredBackupPassphrase: &changed},
			refused:    "whose digest the XR's status.database records",
		},
		"SameApplies": {
			reason: "The cipher Secret deleted by hand is composed again from the same passphrase.",
		},
		"NoRecordLeft": {
			reason:     "With the status gone too, nothing says which passphrase the repository has: it applies.",
			passphrase: map[string]*string{requiredBackupPassphrase: &changed},
			dropStatus: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := withSecrets(observeXRStatus(proto.Clone(live).(*fnv1.RunFunctionRequest), rsp), extrasSecrets(t, tc.passphrase))
			delete(req.GetObserved().GetResources(), string(keyPGBackRestCipher))
			if tc.dropStatus {
				delete(req.GetObserved().GetComposite().GetResource().GetFields(), "status")
			}
			rsp := compose(t, req)
			wantRefusal(t, tc.reason, "the cipher Secret gone", rsp, tc.refused)
			if msg, _ := fatalResult(rsp); strings.Contains(msg, "rotated-by-mistake") || strings.Contains(msg, "correct horse") {
				t.Errorf("%s\nthe message holds a passphrase: %s", tc.reason, msg)
			}
		})
	}
}
