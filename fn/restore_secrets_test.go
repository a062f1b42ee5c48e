package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

const sourcePassphrase = "the source's passphrase"

// rawEncrypted is spec.percona.restore from the raw coordinates of an
// encrypted repository behind a private CA: sourceXR's repository, read
// with the backups' credentials.
const rawEncrypted = `{"from":{"repoPath":"` + sourceRepoPath + `","bucket":"old-bucket","endpoint":"s3.old.example.com","region":"us-east-1","uriStyle":"host","verifyTLS":false,` +
	`"caSecretRef":{"name":"old-ca"},"encryption":{"passphraseSecretRef":{"name":"old-pass"}},"adminSecretRef":{"name":"old-admin"}}}`

// sourceCipherConf is the cipher.conf of the source's passphrase.
var sourceCipherConf = "[global]\nrepo1-cipher-pass=" + sourcePassphrase + "\n"

func TestRunFunctionRestoreRawSecrets(t *testing.T) {
	ca := secretJSON("old-ca", map[string]string{"ca.crt": testCAPEM(t)}, nil)
	pass := secretJSON("old-pass", map[string]string{"passphrase": sourcePassphrase + "\n"}, nil)
	cases := map[string]struct {
		reason    string
		required  map[string][]string
		wantKeys  []string
		condition string // RestoreReady
		warning   string
	}{
		"EncryptedBehindAPrivateCA": {
			reason:    "the CA Secret is projected as the restore's CA file, the passphrase copied into <xr>-pgbackrest-restore-cipher and projected",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreCA: {ca}, requiredRestorePassphrase: {pass}},
			wantKeys:  []string{"percona-cluster", "pgbackrest-restore-cipher-secret", "pgbackrest-s3-secret", "usage-database-s3-credentials"},
			condition: "STATUS_CONDITION_FALSE/Restoring",
		},
		"CANotFetchedYet": {
			reason:    "no cluster until the CA can be read: the restore Job could not verify the endpoint",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestorePassphrase: {pass}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/WaitingForSourceCA",
		},
		"CAMissing": {
			reason:    "a CA Secret that does not exist: no cluster, and the user is told which field names it",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreCA: {}, requiredRestorePassphrase: {pass}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/InvalidSourceCA",
			warning:   "the source's S3 CA Secret storage/old-ca (spec.percona.restore.from.caSecretRef) does not exist",
		},
		"CANotPEM": {
			reason:    "a CA Secret without a certificate",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreCA: {secretJSON("old-ca", map[string]string{"ca.crt": "not a certificate"}, nil)}, requiredRestorePassphrase: {pass}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/InvalidSourceCA",
			warning:   "key ca.crt of the source's S3 CA Secret storage/old-ca (spec.percona.restore.from.caSecretRef) holds no PEM certificate",
		},
		"PassphraseNotFetchedYet": {
			reason:    "no cluster until the passphrase can be read: the restore Job could not read the repository",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreCA: {ca}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/WaitingForSourcePassphrase",
		},
		"PassphraseKeyMissing": {
			reason:    "a passphrase Secret without the key: named, with the keys it has, never a value",
			required:  map[string][]string{requiredS3Credentials: {awsKeys}, requiredRestoreCA: {ca}, requiredRestorePassphrase: {secretJSON("old-pass", map[string]string{"pass": sourcePassphrase}, nil)}},
			wantKeys:  []string{"pgbackrest-s3-secret"},
			condition: "STATUS_CONDITION_FALSE/InvalidSourcePassphrase",
			warning:   "the source's encryption passphrase Secret storage/old-pass (spec.percona.restore.from.encryption.passphraseSecretRef) has no key passphrase (it has keys pass)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(restoreSpecJSON(rawEncrypted))
			for n, objs := range tc.required {
				req = addRequired(req, n, objs...)
			}
			rsp := compose(t, req)
			if msg, fatal := fatalResult(rsp); fatal {
				t.Fatalf("%s\nFatal: %s", tc.reason, msg)
			}
			for _, want := range []string{requiredRestoreCA, requiredRestorePassphrase} {
				if _, ok := rsp.GetRequirements().GetResources()[want]; !ok {
					t.Errorf("%s\n%s is not required", tc.reason, want)
				}
			}
			if diff := cmp.Diff(tc.wantKeys, desiredKeys(rsp)); diff != "" {
				t.Errorf("%s\ndesired (-want +got):\n%s", tc.reason, diff)
			}
			if got := condition(rsp, conditionRestoreReady); got != tc.condition {
				t.Errorf("%s\nRestoreReady = %s, want %s", tc.reason, got, tc.condition)
			}
			results := strings.Join(resultStrings(rsp), "\n")
			if tc.warning != "" && !strings.Contains(results, "WARNING: "+tc.warning) {
				t.Errorf("%s\nno warning with %q in %v", tc.reason, tc.warning, resultStrings(rsp))
			}
			if strings.Contains(results, sourcePassphrase) {
				t.Errorf("%s\nthe passphrase is in a result: %v", tc.reason, resultStrings(rsp))
			}
			if tc.condition != "STATUS_CONDITION_FALSE/Restoring" {
				return
			}
			var s corev1.Secret
			desiredInto(t, rsp, keyRestoreCipher, &s)
			if s.Name != "files-pgbackrest-restore-cipher" || string(s.Data["cipher.conf"]) != sourceCipherConf {
				t.Errorf("%s\n<xr>-pgbackrest-restore-cipher is %s holding %d bytes of cipher.conf", tc.reason, s.Name, len(s.Data["cipher.conf"]))
			}
		})
	}
}

// TestRestoreRawMatchesDittoServer: a restore from the raw coordinates,
// CA and passphrase of a repository gives the restore Job the same
// pgBackRest configuration as a restore from the DittoServer that writes
// that repository: the same options, and the same files in its conf.d (the
// passphrase's cipher.conf comes from <xr>-pgbackrest-restore-cipher
// instead of the source's <source>-pgbackrest-cipher, with the same
// content).
func TestRestoreRawMatchesDittoServer(t *testing.T) {
	caPEM := testCAPEM(t)
	ca := secretJSON("old-ca", map[string]string{"ca.crt": caPEM}, nil)
	pass := secretJSON("old-pass", map[string]string{"passphrase": sourcePassphrase}, nil)
	// The source DittoServer: its CA Secret is old-ca, its repository
	// encrypted, and its function composed old-pgbackrest-cipher.
	source := strings.Replace(sourceXR, `"verifyTLS":false}`, `"verifyTLS":false,"caSecretRef":{"name":"old-ca"},"encryption":{"passphraseSecretRef":{"name":"old-pass"}}}`, 1)
	source = strings.Replace(source, `"region":"us-east-1"}`, `"region":"us-east-1","encrypted":true}`, 1)
	sourceCipher := build.PGBackRestCipherSecret(spec.DittoServer{Name: "old", Namespace: "storage"}, build.PGBackRestCipherConf([]byte(sourcePassphrase)))
	userSecrets := map[string]map[string]string{
		"old-ca":                {"ca.crt": caPEM},
		"old-pgbackrest-cipher": {"cipher.conf": string(sourceCipher.Data["cipher.conf"])},
	}

	fromDittoServer := compose(t, addRequired(addRequired(xrRequest(restoreSpecJSON(`{"from":{"dittoServer":"old"}}`)),
		requiredS3Credentials, awsKeys), requiredRestoreSource, source))
	req := xrRequest(restoreSpecJSON(rawEncrypted))
	for n, o := range map[string]string{requiredS3Credentials: awsKeys, requiredRestoreCA: ca, requiredRestorePassphrase: pass} {
		req = addRequired(req, n, o)
	}
	fromRaw := compose(t, req)

	type job struct {
		Repo    crunchyv1beta1.PGBackRestRepo
		Global  map[string]string
		Options []string
		ConfD   map[string]string
	}
	jobOf := func(rsp *fnv1.RunFunctionResponse) job {
		t.Helper()
		if msg, fatal := fatalResult(rsp); fatal {
			t.Fatal(msg)
		}
		var pc pgv2.PerconaPGCluster
		desiredInto(t, rsp, keyPerconaCluster, &pc)
		if pc.Spec.DataSource == nil || pc.Spec.DataSource.PGBackRest == nil {
			t.Fatalf("no dataSource composed (%v)", resultStrings(rsp))
		}
		d := pc.Spec.DataSource.PGBackRest
		secrets := map[string]map[string]string{}
		for k, v := range userSecrets {
			secrets[k] = v
		}
		for key := range rsp.GetDesired().GetResources() {
			if desiredMap(t, rsp, resource.Name(key))["kind"] != "Secret" {
				continue
			}
			var s corev1.Secret
			desiredInto(t, rsp, resource.Name(key), &s)
			data := map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
			secrets[s.Name] = data
		}
		return job{Repo: d.Repo, Global: d.Global, Options: d.Options, ConfD: projected(t, d.Configuration, secrets)}
	}
	dj, rj := jobOf(fromDittoServer), jobOf(fromRaw)
	if diff := cmp.Diff(dj, rj); diff != "" {
		t.Errorf("the restore Job's pgBackRest configuration from raw coordinates differs from the one from the DittoServer (-dittoServer +raw):\n%s", diff)
	}
	if dj.Global["repo1-cipher-type"] != "aes-256-cbc" || dj.ConfD["restore-storage-ca.crt"] != caPEM || dj.ConfD["restore-cipher.conf"] != sourceCipherConf {
		t.Errorf("the compositions agree, but not on an encrypted repository behind the CA: %v, conf.d %v", dj.Global, dj.ConfD)
	}
}

// projected is what Kubernetes writes into the restore Job's conf.d from
// the Secret projections sources: each item's key at its path, or every
// key at its own name.
func projected(t *testing.T, sources []corev1.VolumeProjection, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, p := range sources {
		data, ok := secrets[p.Secret.Name]
		if !ok {
			t.Fatalf("the dataSource projects Secret %s, which is neither composed nor given", p.Secret.Name)
		}
		if len(p.Secret.Items) == 0 {
			for k, v := range data {
				files[k] = v
			}
			continue
		}
		for _, item := range p.Secret.Items {
			v, ok := data[item.Key]
			if !ok {
				t.Fatalf("the dataSource projects key %s of Secret %s, which it does not hold", item.Key, p.Secret.Name)
			}
			files[item.Path] = v
		}
	}
	return files
}

// TestRestoreSecretsKeptWhileProjected: the restore's composed Secrets
// outlive the reconcile that first observes the cluster (Percona's restore
// Job runs after it is created and mounts them), as they were, without
// their sources read again.
func TestRestoreSecretsKeptWhileProjected(t *testing.T) {
	raw := strings.Replace(rawEncrypted, `"adminSecretRef"`, `"credentialsSecretRef":{"name":"old-s3"},"adminSecretRef"`, 1)
	req := xrRequest(restoreSpecJSON(raw))
	for n, o := range map[string]string{
		requiredS3Credentials: awsKeys, requiredRestoreCredentials: otherKeys,
		requiredRestoreCA:         secretJSON("old-ca", map[string]string{"ca.crt": testCAPEM(t)}, nil),
		requiredRestorePassphrase: secretJSON("old-pass", map[string]string{"passphrase": sourcePassphrase}, nil),
	} {
		req = addRequired(req, n, o)
	}
	first := compose(t, req)
	keys := []resource.Name{keyRestoreS3, keyRestoreCipher}
	for _, k := range keys {
		if _, ok := first.GetDesired().GetResources()[string(k)]; !ok {
			t.Fatalf("%s not composed: %v", k, desiredKeys(first))
		}
	}
	next := observeDesired(xrRequest(restoreSpecJSON(raw)), first)
	next = addRequired(next, requiredS3Credentials, awsKeys)
	rsp := compose(t, next)
	for _, k := range keys {
		if diff := cmp.Diff(desiredMap(t, first, k)["data"], desiredMap(t, rsp, k)["data"]); diff != "" {
			t.Errorf("%s is not kept as it was once the cluster is observed (-first +now):\n%s", k, diff)
		}
	}
	for _, n := range []string{requiredRestoreCA, requiredRestorePassphrase, requiredRestoreCredentials} {
		if _, ok := rsp.GetRequirements().GetResources()[n]; ok {
			t.Errorf("%s is still required once the cluster exists", n)
		}
	}
}
