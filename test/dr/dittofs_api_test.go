package dr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// dfsAPI talks to a running DittoFS server's REST API as one user.
type dfsAPI struct {
	base, user, token string
	password          string // to log in again, on a restored server
	client            *http.Client
}

// loginAs logs in to the API at base (POST /api/v1/auth/login).
func loginAs(base, user, password string) (*dfsAPI, error) {
	a := &dfsAPI{base: base, user: user, password: password, client: &http.Client{Timeout: 30 * time.Second}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.call(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": password}, http.StatusOK, &tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("login as %s: no access token", user)
	}
	a.token = tok.AccessToken
	return a, nil
}

// call sends body (JSON) and wants status; out, when non-nil, receives the
// JSON answer.
func (a *dfsAPI) call(method, path string, body any, status int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s as %s: %w", method, path, a.user, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s as %s: %s %s, want %d", method, path, a.user, resp.Status, raw, status)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w in %s", method, path, err, raw)
		}
	}
	return nil
}

// createUser makes a user with role user.
func (a *dfsAPI) createUser(name, password string) error {
	return a.call(http.MethodPost, "/api/v1/users", map[string]any{
		"username": name, "password": password, "role": "user",
	}, http.StatusCreated, nil)
}

// createStores makes the metadata and local block stores the drill's shares
// use. They are in memory: what the drill restores is the control-plane
// database, which records the stores and shares; the stores' contents live
// on the pod's volumes, which pgBackRest does not back up.
func (a *dfsAPI) createStores() error {
	if err := a.call(http.MethodPost, "/api/v1/store/metadata", map[string]string{"name": "meta", "type": "memory"}, http.StatusCreated, nil); err != nil {
		return err
	}
	return a.call(http.MethodPost, "/api/v1/store/block/local", map[string]string{"name": "blocks", "type": "memory"}, http.StatusCreated, nil)
}

func (a *dfsAPI) createShare(name string) error {
	return a.createShareOn(name, "meta")
}

// createShareOn makes share name on the metadata store named by store,
// with the blocks store.
func (a *dfsAPI) createShareOn(name, store string) error {
	return a.call(http.MethodPost, "/api/v1/shares", map[string]string{
		"name": name, "metadata_store_id": store, "local_block_store": "blocks",
	}, http.StatusCreated, nil)
}

// createPostgresStore makes the postgres metadata store name with config
// cfg, as the reconciler does for a declared one (its metadataConfig).
func (a *dfsAPI) createPostgresStore(name string, cfg map[string]any) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return a.call(http.MethodPost, "/api/v1/store/metadata", map[string]string{"name": name, "type": "postgres", "config": string(b)}, http.StatusCreated, nil)
}

// metadataStoreConfig is the config DittoFS records for metadata store
// name (its secrets redacted).
func (a *dfsAPI) metadataStoreConfig(name string) (map[string]any, error) {
	var s struct {
		Config map[string]any `json:"config"`
	}
	if err := a.call(http.MethodGet, "/api/v1/store/metadata/"+name, nil, http.StatusOK, &s); err != nil {
		return nil, err
	}
	return s.Config, nil
}

// shares lists the share names, sorted.
func (a *dfsAPI) shares() ([]string, error) {
	var list []struct {
		Name string `json:"name"`
	}
	if err := a.call(http.MethodGet, "/api/v1/shares", nil, http.StatusOK, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list))
	for _, s := range list {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names, nil
}

// me is who the token belongs to (GET /api/v1/auth/me).
func (a *dfsAPI) me() (string, error) {
	var u struct {
		Username string `json:"username"`
	}
	if err := a.call(http.MethodGet, "/api/v1/auth/me", nil, http.StatusOK, &u); err != nil {
		return "", err
	}
	return u.Username, nil
}
