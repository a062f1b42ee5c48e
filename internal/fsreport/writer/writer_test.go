package writer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

// The API server itself is in the e2e (a real kube-apiserver, a token of
// the reconciler's ServiceAccount); this pins the request's shape.
func TestWriteIsAServerSideApplyOfOneKey(t *testing.T) {
	type seen struct {
		Method, Path, ContentType, Auth, FieldManager, Force string
		Body                                                 map[string]any
	}
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{
			Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"),
			FieldManager: r.URL.Query().Get("fieldManager"), Force: r.URL.Query().Get("force"),
		}
		_ = json.Unmarshal(b, &got.Body)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{"data":{"report.json":"{\"version\":1}"}}`))
			return
		}
		if got.Body["data"].(map[string]any)["report.json"] == "forbidden" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","message":"configmaps \"x\" is forbidden"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	w, err := New(&rest.Config{Host: srv.URL, BearerToken: "tok"}, "storage", "files-fileservice-status")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), `{"version":1}`); err != nil {
		t.Fatal(err)
	}
	want := seen{
		Method: http.MethodPatch, Path: "/api/v1/namespaces/storage/configmaps/files-fileservice-status",
		ContentType: "application/apply-patch+yaml", Auth: "Bearer tok", FieldManager: "dittofs-fileservice-reconciler", Force: "true",
		Body: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "files-fileservice-status", "namespace": "storage"},
			"data":     map[string]any{"report.json": `{"version":1}`},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	err = w.Write(context.Background(), "forbidden")
	var st *APIStatusError
	if !errors.As(err, &st) || st.Code != http.StatusForbidden || st.Message != `apply ConfigMap storage/files-fileservice-status: 403 Forbidden: configmaps "x" is forbidden` {
		t.Errorf("a refusal: %v", err)
	}
	if r, err := w.Read(context.Background()); err != nil || r != `{"version":1}` {
		t.Errorf("Read = %q, %v", r, err)
	}
}
