package fn

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// requiredS3Credentials names the required resource through which Crossplane
// hands the function the Secret spec.percona.backup.credentialsSecretRef
// names.
const requiredS3Credentials = "s3-credentials"

// The key names a Secret with plain S3 access keys may use: the AWS
// environment names, or the camelCase names many S3 tools write.
var s3KeyPairs = [][2]string{
	{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
	{"accessKeyId", "secretAccessKey"},
}

// s3CredentialsSelector asks Crossplane for the credentials Secret.
func s3CredentialsSelector(ds spec.DittoServer) *fnv1.ResourceSelector {
	return &fnv1.ResourceSelector{
		ApiVersion: "v1",
		Kind:       "Secret",
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: ds.Spec.Percona.Backup.CredentialsSecretRef.Name},
		Namespace:  ptr.To(ds.Namespace),
	}
}

// s3Credentials is what the function made of the credentials Secret.
type s3Credentials struct {
	// Projected is the Secret pgBackRest's configuration projects: the user's
	// own when it holds a *.conf key, else <xr>-pgbackrest-s3. Empty while
	// it cannot be known.
	Projected string
	// Conf is the s3.conf to compose in <xr>-pgbackrest-s3, when the user's
	// Secret holds plain access keys. It is a secret value: never log it.
	Conf []byte
	// Waiting says what the function is waiting for, when Projected is empty.
	Waiting string
	// Problem says what is wrong with the Secret, for the user to fix.
	Problem string
	// Warning says what looks wrong with a Secret projected as it is.
	Warning string
}

// readS3Credentials interprets the required credentials Secret.
func readS3Credentials(req *fnv1.RunFunctionRequest, ds spec.DittoServer) (s3Credentials, error) {
	name := ds.Spec.Percona.Backup.CredentialsSecretRef.Name
	found, resolved, err := request.GetRequiredResource(req, requiredS3Credentials)
	if err != nil {
		return s3Credentials{}, errors.Wrapf(err, "cannot read required resource %q", requiredS3Credentials)
	}
	if !resolved {
		return s3Credentials{Waiting: fmt.Sprintf("waiting for Crossplane to fetch the S3 credentials Secret %s/%s", ds.Namespace, name)}, nil
	}
	if len(found) == 0 {
		return s3Credentials{Problem: fmt.Sprintf("the S3 credentials Secret %s/%s (spec.percona.backup.credentialsSecretRef) does not exist; %s", ds.Namespace, name, s3CredentialsHelp)}, nil
	}
	data, err := secretData(found[0])
	if err != nil {
		return s3Credentials{Problem: fmt.Sprintf("the S3 credentials Secret %s/%s (spec.percona.backup.credentialsSecretRef) cannot be read (%v); %s", ds.Namespace, name, err, s3CredentialsHelp)}, nil
	}
	return s3CredentialsFrom(ds, name, data), nil
}

const s3CredentialsHelp = "it needs either a pgBackRest file under a key ending in .conf ([global] with repo1-s3-key and repo1-s3-key-secret), or the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or accessKeyId and secretAccessKey)"

// s3CredentialsFrom decides how the Secret named name, holding data, becomes
// pgBackRest's configuration.
func s3CredentialsFrom(ds spec.DittoServer, name string, data map[string][]byte) s3Credentials {
	if keys := confKeys(data); len(keys) > 0 {
		return s3Credentials{Projected: name, Warning: confMissingKeysWarning(ds.Namespace, name, data, keys)}
	}
	for _, pair := range s3KeyPairs {
		id, secret := data[pair[0]], data[pair[1]]
		if len(id) > 0 && len(secret) > 0 {
			if problem := plainKeysProblem(ds.Namespace, name, pair, data); problem != "" {
				return s3Credentials{Problem: problem}
			}
			return s3Credentials{Projected: ds.PGBackRestS3SecretName(), Conf: build.PGBackRestS3Conf(string(id), string(secret))}
		}
	}
	return s3Credentials{Problem: fmt.Sprintf("the S3 credentials Secret %s/%s holds neither shape (it has keys %s); %s", ds.Namespace, name, keyList(data), s3CredentialsHelp)}
}

// secretData decodes a Secret's data (base64 in the unstructured object).
func secretData(r resource.Required) (map[string][]byte, error) {
	s := &corev1.Secret{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(r.Resource.Object, s); err != nil {
		return nil, err
	}
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	return data, nil
}

// keyList names a Secret's keys (never its values), sorted.
func keyList(data map[string][]byte) string {
	if len(data) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
