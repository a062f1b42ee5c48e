// Package writer stores the file service reconciler's report
// (internal/fsreport) into its ConfigMap: one data key, by server-side
// apply under the reconciler's own field manager, with nothing but the
// Kubernetes REST API and a client config (in the pod, the projected
// service account token). The e2e drives this same code with a token
// minted for the reconciler's ServiceAccount.
package writer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/dittofs/function-dittofs/internal/fsreport"
)

// ConfigMap writes the report into one existing ConfigMap's data key
// fsreport.Key by server-side apply under fsreport.FieldManager: a PATCH,
// the only verb (with get) its Role allows. It never creates the ConfigMap
// (the function composes it), and owns no other field.
type ConfigMap struct {
	client          *http.Client
	host            string
	namespace, name string
}

// New makes a writer from a client config (in the pod:
// rest.InClusterConfig, from the projected token).
func New(cfg *rest.Config, namespace, name string) (*ConfigMap, error) {
	if namespace == "" || name == "" {
		return nil, errors.New("the status ConfigMap needs a namespace and a name")
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for the Kubernetes API: %w", err)
	}
	return &ConfigMap{client: hc, host: strings.TrimSuffix(cfg.Host, "/"), namespace: namespace, name: name}, nil
}

func (w *ConfigMap) url() string {
	return w.host + "/api/v1/namespaces/" + url.PathEscape(w.namespace) + "/configmaps/" + url.PathEscape(w.name)
}

// Write applies data[fsreport.Key] = encoded.
func (w *ConfigMap) Write(ctx context.Context, encoded string) error {
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]string{"name": w.name, "namespace": w.namespace},
		"data":       map[string]string{fsreport.Key: encoded},
	})
	if err != nil {
		return err
	}
	q := url.Values{"fieldManager": {fsreport.FieldManager}, "force": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, w.url()+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/apply-patch+yaml")
	req.Header.Set("Accept", "application/json")
	return w.do(req)
}

// Read returns the stored report ("" when there is none yet).
func (w *ConfigMap) Read(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("get ConfigMap %s/%s: %w", w.namespace, w.name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("get ConfigMap %s/%s: %s: %s", w.namespace, w.name, resp.Status, apiMessage(b))
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(b, &cm); err != nil {
		return "", fmt.Errorf("get ConfigMap %s/%s: %w", w.namespace, w.name, err)
	}
	return cm.Data[fsreport.Key], nil
}

func (w *ConfigMap) do(req *http.Request) error {
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("apply ConfigMap %s/%s: %w", w.namespace, w.name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return &APIStatusError{Code: resp.StatusCode, Message: fmt.Sprintf("apply ConfigMap %s/%s: %s: %s", w.namespace, w.name, resp.Status, apiMessage(b))}
	}
	return nil
}

// APIStatusError is a refusal by the Kubernetes API.
type APIStatusError struct {
	Code    int
	Message string
}

func (e *APIStatusError) Error() string { return e.Message }

// apiMessage is a Kubernetes Status's message, or the body's start.
func apiMessage(b []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &st) == nil && st.Message != "" {
		return st.Message
	}
	return fsreport.Truncate(string(b), 200)
}
