package fn

import (
	"testing"
)

// TestReconcilerClientCertIsNoPodInput: the reconciler's client certificate
// (spec.controlPlane.reconcilerClientCertSecretName) is read by the
// reconciler alone, which reloads it on each pass: like the declaration's
// Secrets it is no podSecret, so it neither rolls DittoFS when renewed nor
// holds a roll back while missing, and the function does not even fetch it.
// The server's certificate and client CA, which DittoFS reads at start,
// stay inputs.
func TestReconcilerClientCertIsNoPodInput(t *testing.T) {
	const mtls = `{"storage":{"metadataSize":"10Gi"},` +
		`"controlPlane":{"certSecretName":"api-tls","clientCASecretName":"api-clients","reconcilerClientCertSecretName":"reconciler-client-tls"},` +
		`"fileService":{"metadataStores":[{"name":"main","type":"badger"}],"blockStores":[{"name":"main","kind":"local","type":"memory"}],"shares":[{"name":"/export","metadataStore":"main","localBlockStore":"main"}]}}`
	c, err := newComposer(xrRequest(mtls), nil)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]bool{}
	for _, s := range podSecrets(c.ds) {
		inputs[s.Secret] = true
	}
	if inputs["reconciler-client-tls"] {
		t.Error("podSecrets lists the reconciler's client certificate: renewing it would roll DittoFS")
	}
	if !inputs["api-tls"] || !inputs["api-clients"] {
		t.Errorf("podSecrets lost the server certificate or client CA: %v", inputs)
	}
	rsp := compose(t, xrRequest(mtls))
	fetched := map[string]bool{}
	for _, sel := range rsp.GetRequirements().GetResources() {
		fetched[sel.GetMatchName()] = true
	}
	if fetched["reconciler-client-tls"] {
		t.Error("the function fetches the reconciler's client certificate")
	}
	if !fetched["api-clients"] {
		t.Errorf("the function does not fetch the client CA DittoFS reads at start: %v", fetched)
	}
}
