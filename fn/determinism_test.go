package fn

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// TestDeterministic: the same request gives the same response, byte for
// byte, however often it is asked.
func TestDeterministic(t *testing.T) {
	cases := map[string]func() *fnv1.RunFunctionRequest{
		"SQLiteEverythingOn": func() *fnv1.RunFunctionRequest {
			return xrRequest(`{"storage":{"metadataSize":"10Gi","contentSize":"1Ti"},"metrics":{"enabled":true,"bearerTokenSecret":{"name":"t"},"serviceMonitor":{"enabled":true,"labels":{"a":"1","b":"2","c":"3"}}},"service":{"annotations":{"x":"1","y":"2","z":"3"}},"identity":{"ldap":{"enabled":true,"url":"ldaps://dc","baseDN":"dc=x","bindDN":"cn=y","caCertSecretRef":{"name":"ca"}}}}`)
		},
		"PerconaWithBackupReady": func() *fnv1.RunFunctionRequest {
			return withObserved(withRequired(xrRequest(backupSpec), "s3-credentials", awsKeys), "percona-cluster", readyCluster)
		},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			marshal := func() []byte {
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(runWith(t, deterministicFunction(), req()))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			first := marshal()
			for i := range 20 {
				if again := marshal(); !bytes.Equal(again, first) {
					t.Fatalf("call %d gave a different response", i+2)
				}
			}
		})
	}
}
