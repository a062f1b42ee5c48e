package security

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
)

// minSecretLength keeps short values ("true", "1") from matching by chance.
const minSecretLength = 8

// TestNoSecretInOutput runs every corpus request, and variants whose S3
// credentials Secret is unusable (so the function explains what is wrong
// with it), with a debug logger, and looks for every secret value of the
// request and response (the required Secrets', the observed Secrets', the
// generated ones') in the logs, the results (Crossplane's events), the
// conditions, the XR status and every composed object that is not a Secret
// (ConfigMaps, the StatefulSet's env, the PerconaPGCluster...).
func TestNoSecretInOutput(t *testing.T) {
	reqs := corpusRequests(t)
	reqs = append(reqs, unusableCredentials(t, reqs)...)
	for _, r := range reqs {
		t.Run(r.Name, func(t *testing.T) {
			var mu sync.Mutex
			var logs strings.Builder
			log := logging.NewLogrLogger(funcr.New(func(prefix, args string) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintln(&logs, prefix, args)
			}, funcr.Options{Verbosity: 1}))
			rsp, err := fn.NewFunction(log).RunFunction(context.Background(), r.Req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), `"level"=1`) && fatal(rsp) == "" {
				t.Fatalf("no debug line was logged; is the logger at debug level?\n%s", logs.String())
			}
			secrets := secretValues(r.Req, rsp)
			if len(secrets) == 0 && len(rsp.GetDesired().GetResources()) > 0 {
				t.Log("no secret values in this request or response")
			}
			for where, text := range outputs(t, rsp, logs.String()) {
				for _, s := range secrets {
					if strings.Contains(text, s.value) {
						t.Errorf("%s holds %s", where, s.from)
					}
				}
			}
		})
	}
}

type secretValue struct{ value, from string }

// secretValues are the values of every Secret in the request (observed,
// required) and response (desired), decoded and as base64, but for the keys
// that are not secret: usernames, endpoints, URLs and database coordinates.
func secretValues(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) []secretValue {
	var out []secretValue
	add := func(from string, o *structpb.Struct) {
		f := o.GetFields()
		if f["kind"].GetStringValue() != "Secret" {
			return
		}
		name := f["metadata"].GetStructValue().GetFields()["name"].GetStringValue()
		for key, v := range f["data"].GetStructValue().GetFields() {
			if b, err := base64.StdEncoding.DecodeString(v.GetStringValue()); err == nil {
				out = append(out, values(fmt.Sprintf("%s Secret %s key %s", from, name, key), key, string(b))...)
			}
		}
		for key, v := range f["stringData"].GetStructValue().GetFields() {
			out = append(out, values(fmt.Sprintf("%s Secret %s key %s", from, name, key), key, v.GetStringValue())...)
		}
	}
	for _, r := range req.GetObserved().GetResources() {
		add("the observed", r.GetResource())
	}
	for _, rs := range req.GetRequiredResources() {
		for _, r := range rs.GetItems() {
			add("the required", r.GetResource())
		}
	}
	for _, r := range rsp.GetDesired().GetResources() {
		add("the desired", r.GetResource())
	}
	return out
}

// values is a Secret key's value as it could leak: whole, as base64, and
// for a pgBackRest file each value of its key options.
func values(from, key, v string) []secretValue {
	// A database Secret's coordinates (the Percona user Secret's host, or
	// its pgbouncer-host through PgBouncer, is in status.database.host) are
	// not secret; its password, uri, jdbc-uri and pgbouncer-uri are.
	switch key {
	case "host", "port", "dbname", "database", "user", "pgbouncer-host", "pgbouncer-port":
		return nil
	}
	if key == "username" || strings.HasSuffix(key, "-username") || strings.HasSuffix(key, "-url") || strings.HasSuffix(key, "-endpoint") {
		return nil
	}
	candidates := []string{v}
	if strings.HasSuffix(key, ".conf") {
		for _, line := range strings.Split(v, "\n") {
			if k, val, ok := strings.Cut(line, "="); ok && strings.Contains(k, "key") {
				candidates = append(candidates, strings.TrimSpace(val))
			}
		}
	}
	var out []secretValue
	for _, c := range candidates {
		if len(c) >= minSecretLength {
			out = append(out, secretValue{c, from}, secretValue{base64.StdEncoding.EncodeToString([]byte(c)), from + " (base64)"})
		}
	}
	return out
}

// outputs are the places secret values must not reach, by name.
func outputs(t *testing.T, rsp *fnv1.RunFunctionResponse, logs string) map[string]string {
	t.Helper()
	out := map[string]string{"the logs": logs}
	for i, r := range rsp.GetResults() {
		out[fmt.Sprintf("result %d", i)] = r.GetMessage() + " " + r.GetReason()
	}
	for _, c := range rsp.GetConditions() {
		out["condition "+c.GetType()] = c.GetMessage() + " " + c.GetReason()
	}
	out["the XR"] = jsonOf(t, rsp.GetDesired().GetComposite().GetResource())
	for name, r := range rsp.GetDesired().GetResources() {
		if r.GetResource().GetFields()["kind"].GetStringValue() != "Secret" {
			out["composed "+name] = jsonOf(t, r.GetResource())
		}
	}
	return out
}

func jsonOf(t *testing.T, s *structpb.Struct) string {
	t.Helper()
	b, err := json.Marshal(s.AsMap())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fatal(rsp *fnv1.RunFunctionResponse) string {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage()
		}
	}
	return ""
}

// unusableCredentials are the steady requests with an S3 credentials
// Secret the function must explain without quoting: unknown keys only, one
// key of a pair missing, a pgBackRest file without the key options.
func unusableCredentials(t *testing.T, reqs []request) []request {
	t.Helper()
	secrets := map[string]map[string]any{
		"UnknownKeys":     {"aws_key": "unknown-key-value-1", "aws_secret": "unknown-secret-value-2"},
		"HalfAPair":       {"AWS_ACCESS_KEY_ID": "half-a-pair-key-id", "secretAccessKey": "half-a-pair-secret"},
		"ConfWithoutKeys": {"s3.conf": "[global]\nrepo1-s3-region=eu-west-1\nrepo1-s3-token=conf-token-value-3\n"},
	}
	var out []request
	for _, r := range reqs {
		if r.Name != "percona-backup/steady" {
			continue
		}
		for name, data := range secrets {
			req := proto.Clone(r.Req).(*fnv1.RunFunctionRequest)
			s, err := structpb.NewStruct(map[string]any{
				"apiVersion": "v1", "kind": "Secret",
				"metadata":   map[string]any{"name": "backup-s3", "namespace": "storage"},
				"stringData": data,
			})
			if err != nil {
				t.Fatal(err)
			}
			req.RequiredResources = map[string]*fnv1.Resources{"s3-credentials": {Items: []*fnv1.Resource{{Resource: s}}}}
			out = append(out, request{"percona-backup/" + name, req})
		}
	}
	if len(out) != len(secrets) {
		t.Fatal("no percona-backup/steady request to vary")
	}
	return out
}
