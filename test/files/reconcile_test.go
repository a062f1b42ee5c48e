package files

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marmos91/dittofs/pkg/apiclient"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/reconciler"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

const (
	jwtSecret      = "test-jwt-secret-0123456789abcdef0123456789"
	adminPassword  = "Adm1n-Initial-Pass!"
	alicePassword  = "alice-Pass-1"
	bobPassword    = "bob-Pass-1"
	aliceUID       = 1000
	handMadeShare  = "/handmade"
	handMadeMeta   = "handmade-meta"
	handMadeLocal  = "handmade-local"
	staffGID       = 2000
	snapshotPolicy = "1h"
)

// pod is one DittoFS pod's worth of real processes and mounted volumes.
type pod struct {
	t          *testing.T
	in         realdfs.BootInput
	dfs        *realdfs.DittoFS
	root       string // host dir of the volumes
	declared   string // the mounted ConfigMap (config.yaml)
	secrets    string // the mounted Secrets (admin, alice, bob)
	nfs, smb   int    // adapter ports
	adminPass  string // what the admin Secret holds now
	reconciler *reconciler.Reconciler
	log        *bytes.Buffer
	apiOpts    []apiclient.ClientOption // TLS to dfs's API, when it serves HTTPS
}

func startPod(t *testing.T) *pod {
	t.Helper()
	return startPodOn(t, nil)
}

// startPodOn starts dfs with its control plane on SQLite (pg nil) or in a
// database of its own on pg, TLS-only like Percona's.
func startPodOn(t *testing.T, pg *realdfs.PGServer) *pod {
	t.Helper()
	realdfs.SkipShort(t)
	for _, bin := range []string{"nfs-cp", "nfs-cat", "nfs-ls", "smbclient"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (Debian libnfs-utils and smbclient; .ci/run installs them)", bin)
		}
	}
	root := t.TempDir()
	mounts := map[string]string{}
	for _, c := range []string{"/config", "/data/controlplane", "/data/store/metadata", "/data/store/block"} {
		mounts[c] = filepath.Join(root, strings.ReplaceAll(strings.Trim(c, "/"), "/", "-"))
	}
	apiPort := realdfs.FreePort(t)
	config := fmt.Sprintf(`logging: {level: INFO, format: json, output: stdout}
shutdown_timeout: 30s
database: {type: sqlite, sqlite: {path: /data/controlplane/controlplane.db}}
controlplane: {host: 127.0.0.1, port: %d}
snapshot: {scheduler_poll_interval: %s}
`, apiPort, schedulerPollInterval)
	p := &pod{
		t: t, root: root, adminPass: adminPassword,
		declared: filepath.Join(root, "declared"), secrets: filepath.Join(root, "secrets"),
		in: realdfs.BootInput{
			ConfigYAML: []byte(config), Mounts: mounts, AdminPassword: adminPassword,
			Env: map[string]string{"DITTOFS_CONTROLPLANE_SECRET": jwtSecret, "DITTOFS_ADMIN_INITIAL_PASSWORD": adminPassword},
		},
	}
	if pg != nil {
		db := pg.CreateDatabase(t, "dittofs", "dittofs")
		user := pg.PerconaUserSecret(db)
		p.in.ConfigYAML = []byte(strings.Replace(config, "{type: sqlite, sqlite: {path: /data/controlplane/controlplane.db}}", "{type: postgres}", 1))
		for k, v := range map[string]string{
			"HOST": user["host"], "PORT": user["port"], "DATABASE": user["dbname"], "USER": user["user"],
			"PASSWORD": user["password"], "SSLMODE": "require",
		} {
			p.in.Env["DITTOFS_DATABASE_POSTGRES_"+k] = v
		}
		p.in.Env["PGCONNECT_TIMEOUT"] = "10"
	}
	p.startDfs()
	p.moveAdapters()
	p.writeSecrets(alicePassword)
	return p
}

func (p *pod) startDfs() {
	p.t.Helper()
	d, err := realdfs.StartDittoFS(p.t, p.in)
	if err != nil {
		p.t.Fatal(err)
	}
	p.dfs = d
}

// admin is an API client logged in with the admin Secret's password.
func (p *pod) admin() *apiclient.Client {
	p.t.Helper()
	c := apiclient.New(p.dfs.Base, p.apiOpts...)
	tok, err := c.Login("admin", p.adminPass)
	if err != nil {
		p.t.Fatalf("admin login: %v", err)
	}
	return c.WithToken(tok.AccessToken)
}

// moveAdapters puts NFS and SMB on free ports (DittoFS's 12049 and 1445
// may be taken by another test on this machine) and waits until they listen.
func (p *pod) moveAdapters() {
	p.t.Helper()
	c := p.admin()
	p.nfs, p.smb = realdfs.FreePort(p.t), realdfs.FreePort(p.t)
	for typ, port := range map[string]int{"nfs": p.nfs, "smb": p.smb} {
		if _, err := c.UpdateAdapter(typ, &apiclient.UpdateAdapterRequest{Port: &port}); err != nil {
			p.t.Fatalf("move the %s adapter to port %d: %v", typ, port, err)
		}
	}
	p.waitAdapters()
}

// waitAdapters waits until the adapters listen on their ports: after a
// move, and after a restart of dfs, which starts them after its API.
func (p *pod) waitAdapters() {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !realdfs.PortInUse(p.nfs) || !realdfs.PortInUse(p.smb) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the adapters do not listen on %d (nfs) and %d (smb)", p.nfs, p.smb)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *pod) writeSecrets(alice string) {
	p.t.Helper()
	projectVolume(p.t, p.secrets, map[string]string{"admin": p.adminPass, "alice": alice, "bob": bobPassword})
}

func (p *pod) declare(c declared.Config) {
	p.t.Helper()
	c.APIVersion, c.Kind = declared.APIVersion, declared.Kind
	if errs := c.Validate(); len(errs) > 0 {
		p.t.Fatalf("the test's declaration is invalid: %v", errs)
	}
	raw, err := yaml.Marshal(c)
	if err != nil {
		p.t.Fatal(err)
	}
	projectVolume(p.t, p.declared, map[string]string{"config.yaml": string(raw)})
}

// newReconciler starts a reconciler process afresh (nothing in memory).
func (p *pod) newReconciler() {
	p.log = &bytes.Buffer{}
	p.reconciler = reconciler.New(reconciler.Options{
		ConfigPath: filepath.Join(p.declared, "config.yaml"), APIURL: p.dfs.Base,
		AdminPasswordFile: filepath.Join(p.secrets, "admin"),
		Poll:              100 * time.Millisecond, MinBackoff: 100 * time.Millisecond,
		Log: slog.New(slog.NewJSONHandler(p.log, nil)),
	})
}

// pass runs one pass and requires it to succeed.
func (p *pod) pass() reconciler.PassResult {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := p.reconciler.Pass(ctx)
	if err := res.Err(); err != nil {
		p.t.Fatalf("pass: %v\nlog:\n%s", err, p.log)
	}
	for _, a := range res.Actions {
		p.t.Logf("  %s", a)
	}
	return res
}

// declaration is the test's file service; change edits it.
func (p *pod) declaration(change func(*declared.Config)) declared.Config {
	store := filepath.Join(p.in.Mounts["/data/store/metadata"], "main")
	blocks := filepath.Join(p.in.Mounts["/data/store/block"], "main")
	c := declared.Config{
		MetadataStores: []declared.MetadataStore{{Name: "main", Type: declared.MetadataBadger, Badger: &declared.BadgerStore{Path: store}}},
		BlockStores:    []declared.BlockStore{{Name: "main", Kind: declared.KindLocal, Type: declared.BlockFS, FS: &declared.FSBlockStore{Path: blocks}}},
		Groups:         []declared.Group{{Name: "staff", GID: ptr[uint32](staffGID), Description: "the staff"}},
		Users: []declared.User{
			{Username: "alice", PasswordFile: filepath.Join(p.secrets, "alice"), UID: ptr[uint32](aliceUID), GID: ptr[uint32](aliceUID), Groups: []string{"staff"}},
			{Username: "bob", PasswordFile: filepath.Join(p.secrets, "bob"), UID: ptr[uint32](1001), GID: ptr[uint32](1001)},
		},
		Shares: []declared.Share{
			{
				Name: "/data", MetadataStore: "main", LocalBlockStore: "main", DefaultPermission: declared.PermissionNone,
				NFS: &declared.ShareNFS{Squash: declared.SquashRootToGuest},
				Permissions: []declared.SharePermission{
					{User: "alice", Level: declared.PermissionReadWrite},
					{Group: "staff", Level: declared.PermissionRead},
				},
			},
			{
				Name: "/ro", MetadataStore: "main", LocalBlockStore: "main", ReadOnly: true, DefaultPermission: declared.PermissionReadWrite,
				Permissions: []declared.SharePermission{{User: "alice", Level: declared.PermissionReadWrite}},
			},
		},
		SnapshotPolicies: []declared.SnapshotPolicy{{Share: "/data", Interval: snapshotPolicy, KeepLast: 3, NamePrefix: "declared"}},
	}
	if change != nil {
		change(&c)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// makeHandMadeShare is what a person did with dfsctl before declaring
// anything: its own stores and a share, which the reconciler never owns.
func (p *pod) makeHandMadeShare() {
	p.t.Helper()
	c := p.admin()
	if _, err := c.CreateMetadataStore(&apiclient.CreateStoreRequest{Name: handMadeMeta, Type: "memory"}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := c.CreateBlockStore("local", &apiclient.CreateStoreRequest{Name: handMadeLocal, Type: "memory"}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := c.CreateShare(&apiclient.CreateShareRequest{Name: handMadeShare, MetadataStoreID: handMadeMeta, LocalBlockStore: handMadeLocal}); err != nil {
		p.t.Fatal(err)
	}
}

func TestDeclaredFileService(t *testing.T) {
	p := startPod(t)
	p.makeHandMadeShare()
	p.declare(p.declaration(nil))
	p.newReconciler()

	t.Run("first pass creates everything and is ready", func(t *testing.T) {
		srv := httptest.NewServer(p.reconciler.Handler())
		defer srv.Close()
		if code := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz before the first pass: %d, want 503", code)
		}
		res := p.pass()
		if res.Writes == 0 {
			t.Fatal("the first pass wrote nothing")
		}
		if code := get(t, srv.URL+"/readyz"); code != http.StatusOK {
			t.Errorf("/readyz after the first pass: %d, want 200", code)
		}
		c := p.admin()
		share, err := c.GetShare("/data")
		if err != nil {
			t.Fatal(err)
		}
		if share.DefaultPermission != "none" || share.ReadOnly {
			t.Errorf("/data: default_permission %q read_only %v, want none false", share.DefaultPermission, share.ReadOnly)
		}
		if ro, err := c.GetShare("/ro"); err != nil || !ro.ReadOnly {
			t.Errorf("/ro: %+v, %v; want read-only", ro, err)
		}
		nfs, err := c.GetShareNFSConfig("/data")
		if err != nil || nfs.Squash != declared.SquashRootToGuest {
			t.Errorf("/data NFS squash: %+v, %v; want root_to_guest", nfs, err)
		}
		wantPerms(t, c, "/data", map[string]string{"user/alice": "read-write", "group/staff": "read"})
		alice, err := c.GetUser("alice")
		if err != nil || alice.UID == nil || *alice.UID != aliceUID || !slices.Contains(alice.Groups, "staff") {
			t.Errorf("alice: %+v, %v; want uid %d in staff", alice, err, aliceUID)
		}
		pol, err := c.GetSnapshotPolicy("/data")
		if err != nil || pol.KeepLast != 3 || !pol.Enabled {
			t.Errorf("snapshot policy of /data: %+v, %v; want keep_last 3, enabled", pol, err)
		}
		metrics := getBody(t, srv.URL+"/metrics")
		for _, want := range []string{`dittofs_reconciler_api_writes_total{kind="share",op="create"} 2`, "dittofs_reconciler_ready 1", `dittofs_reconciler_passes_total{result="success"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q:\n%s", want, metrics)
			}
		}
		for _, secret := range []string{adminPassword, alicePassword, bobPassword} {
			if strings.Contains(p.log.String(), secret) {
				t.Errorf("the reconciler logged a secret")
			}
		}
	})

	t.Run("second pass writes nothing", func(t *testing.T) {
		if res := p.pass(); res.Writes != 0 {
			t.Errorf("an unchanged declaration made %d writes: %v", res.Writes, res.Actions)
		}
	})

	t.Run("clients use the shares as the declared users", func(t *testing.T) {
		content := "declared share, written over NFS\n"
		nfsWrite(t, p, "/data", "hello.txt", content, aliceUID)
		if got := nfsRead(t, p, "/data", "hello.txt", aliceUID); got != content {
			t.Errorf("nfs-cat /data/hello.txt: %q, want %q", got, content)
		}
		smbContent := "written over SMB by alice\n"
		if out, err := smb(t, p, "data", "alice", alicePassword, fmt.Sprintf("put %s smb.txt", localFile(t, smbContent))); err != nil {
			t.Fatalf("smbclient put as alice: %v\n%s", err, out)
		}
		if got := nfsRead(t, p, "/data", "smb.txt", aliceUID); got != smbContent {
			t.Errorf("the file alice wrote over SMB reads %q over NFS, want %q", got, smbContent)
		}
		if out, err := smb(t, p, "data", "alice", "wrong-password", "ls"); err == nil {
			t.Errorf("smbclient with a wrong password was let in:\n%s", out)
		}
		// bob has no grant on /data and its default is none.
		if out, err := nfsCp(t, p, "/data", "bob.txt", "x", 1001); err == nil {
			t.Errorf("uid 1001 (bob, no grant) wrote to /data over NFS:\n%s", out)
		}
		if out, err := smb(t, p, "data", "bob", bobPassword, fmt.Sprintf("put %s bob.txt", localFile(t, "x"))); err == nil && !strings.Contains(out, "NT_STATUS_") {
			t.Errorf("bob (no grant) wrote to /data over SMB:\n%s", out)
		}
		// The read-only share: alice may list it, but neither client writes.
		if out, err := smb(t, p, "ro", "alice", alicePassword, "ls"); err != nil {
			t.Errorf("smbclient ls of the read-only share as alice: %v\n%s", err, out)
		}
		out, err := smb(t, p, "ro", "alice", alicePassword, fmt.Sprintf("put %s nope.txt", localFile(t, "x")))
		t.Logf("smbclient put to the read-only share: %v\n%s", err, out)
		if err == nil && !strings.Contains(out, "NT_STATUS_") {
			t.Errorf("a write to the read-only share over SMB succeeded:\n%s", out)
		}
		out, err = nfsCp(t, p, "/ro", "nope.txt", "x", aliceUID)
		t.Logf("nfs-cp to the read-only share: %v\n%s", err, out)
		if err == nil {
			t.Errorf("a write to the read-only share over NFS succeeded:\n%s", out)
		}
		if out, err := run(t, "nfs-ls", nfsURL(p, "/ro", "", aliceUID)); err != nil || strings.Contains(out, "nope.txt") {
			t.Errorf("nfs-ls of the read-only share: %v\n%s", err, out)
		}
		if out, err := run(t, "nfs-ls", nfsURL(p, "/data", "", aliceUID)); err != nil || !strings.Contains(out, "hello.txt") || !strings.Contains(out, "smb.txt") {
			t.Errorf("nfs-ls of the read-only share: %v\n%s", err, out)
		}
	})

	t.Run("the declared policy takes snapshots by itself, and keepLast prunes them", func(t *testing.T) {
		testPolicySnapshots(t, p)
	})

	t.Run("restarted reconciler owns what it created and writes nothing", func(t *testing.T) {
		p.newReconciler()
		if res := p.pass(); res.Writes != 0 {
			t.Errorf("a fresh reconciler made %d writes on an applied declaration: %v", res.Writes, res.Actions)
		}
	})

	t.Run("restarted DittoFS, then reconciler: nothing to write", func(t *testing.T) {
		if err := p.dfs.Stop(); err != nil {
			t.Fatal(err)
		}
		p.startDfs()
		p.waitAdapters()
		p.newReconciler()
		if res := p.pass(); res.Writes != 0 {
			t.Errorf("after restarting both, the pass made %d writes: %v", res.Writes, res.Actions)
		}
		if got := nfsRead(t, p, "/data", "hello.txt", aliceUID); got == "" {
			t.Error("the file written before the restart is gone")
		}
	})

	t.Run("changes converge; only owned objects are removed", func(t *testing.T) {
		p.writeSecrets("alice-Pass-2")
		p.declare(p.declaration(func(c *declared.Config) {
			c.Shares[0].Permissions = []declared.SharePermission{{User: "alice", Level: declared.PermissionRead}, {Group: "staff", Level: declared.PermissionReadWrite}}
			c.Users[1].UID = ptr[uint32](1101)
			c.Shares = slices.Delete(c.Shares, 1, 2) // remove /ro
			c.AuthorizeRemoval = &declared.Removals{Shares: []string{"/ro"}}
			c.Shares = append(c.Shares, declared.Share{Name: "/extra", MetadataStore: "main", LocalBlockStore: "main"})
		}))
		res := p.pass()
		c := p.admin()
		wantPerms(t, c, "/data", map[string]string{"user/alice": "read", "group/staff": "read-write"})
		if bob, err := c.GetUser("bob"); err != nil || bob.UID == nil || *bob.UID != 1101 {
			t.Errorf("bob: %+v, %v; want uid 1101", bob, err)
		}
		if _, err := c.GetShare("/ro"); err == nil {
			t.Error("the owned share /ro is still there after it was removed from the declaration")
		}
		if _, err := c.GetShare("/extra"); err != nil {
			t.Errorf("the added share /extra: %v", err)
		}
		if _, err := c.GetShare(handMadeShare); err != nil {
			t.Errorf("the hand-made share was touched: %v", err)
		}
		if !slices.ContainsFunc(res.Actions, func(a reconciler.Action) bool { return a.Kind == reconciler.KindUserPassword && a.Name == "alice" }) {
			t.Errorf("alice's rotated password was not applied: %v", res.Actions)
		}
		if out, err := smb(t, p, "data", "alice", "alice-Pass-2", "ls"); err != nil || !strings.Contains(out, "hello.txt") {
			t.Errorf("alice with her rotated password: %v\n%s", err, out)
		}
		if out, err := smb(t, p, "data", "alice", alicePassword, "ls"); err == nil {
			t.Errorf("alice's old password still works:\n%s", out)
		}
		if res := p.pass(); res.Writes != 0 {
			t.Errorf("after converging, a pass made %d writes: %v", res.Writes, res.Actions)
		}
	})

	t.Run("the admin Secret rotates: the server's admin password follows", func(t *testing.T) {
		old := p.adminPass
		p.adminPass = "Adm1n-Rotated-Pass!"
		p.writeSecrets("alice-Pass-2")
		p.pass()
		if _, err := apiclient.New(p.dfs.Base).Login("admin", p.adminPass); err != nil {
			t.Errorf("admin cannot log in with the rotated password: %v", err)
		}
		if _, err := apiclient.New(p.dfs.Base).Login("admin", old); err == nil {
			t.Error("the old admin password still logs in")
		}
	})

	t.Run("a changed mounted ConfigMap is applied by the running reconciler", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.reconciler.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		p.declare(p.declaration(func(c *declared.Config) {
			c.Shares = slices.Delete(c.Shares, 1, 2)
			c.Shares = append(c.Shares, declared.Share{Name: "/extra", MetadataStore: "main", LocalBlockStore: "main"})
			c.Groups = append(c.Groups, declared.Group{Name: "auditors", GID: ptr[uint32](2001)})
		}))
		c := p.admin()
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := c.GetGroup("auditors"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the group added by a ConfigMap swap did not appear within 30s; status %+v\nlog:\n%s", p.reconciler.Status(), p.log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a write DittoFS refuses is reported and retried; the rest is applied", func(t *testing.T) {
		srv := httptest.NewServer(p.reconciler.Handler())
		defer srv.Close()
		// uid 65532 cannot create a directory under /proc: DittoFS refuses
		// the store, and so the share on it.
		broken := func(path string) func(*declared.Config) {
			return func(c *declared.Config) {
				c.Shares = slices.Delete(c.Shares, 1, 2)
				c.AuthorizeRemoval = &declared.Removals{Shares: []string{"/extra"}}
				c.MetadataStores = append(c.MetadataStores, declared.MetadataStore{Name: "second", Type: declared.MetadataBadger, Badger: &declared.BadgerStore{Path: path}})
				c.Shares = append(c.Shares, declared.Share{Name: "/second", MetadataStore: "second", LocalBlockStore: "main"})
				c.Groups = append(c.Groups, declared.Group{Name: "ops"})
			}
		}
		p.declare(p.declaration(broken("/proc/declared-store")))
		res := p.reconciler.Pass(context.Background())
		if res.Err() == nil {
			t.Fatalf("a metadata store under /proc was not refused: %v", res.Actions)
		}
		t.Logf("reported: %v", res.Err())
		if _, err := p.admin().GetGroup("ops"); err != nil {
			t.Errorf("the group declared beside the refused store was not applied: %v", err)
		}
		if _, err := p.admin().GetShare("/data"); err != nil {
			t.Errorf("a failed pass undid /data: %v", err)
		}
		if code := get(t, srv.URL+"/readyz"); code != http.StatusOK {
			t.Errorf("/readyz after a later failure: %d, want 200 (ready is kept once applied)", code)
		}
		if m := getBody(t, srv.URL+"/metrics"); !strings.Contains(m, "dittofs_reconciler_last_pass_errors 2") {
			t.Errorf("/metrics does not count the 2 refused writes (store, share):\n%s", m)
		}
		p.declare(p.declaration(broken(filepath.Join(p.in.Mounts["/data/store/metadata"], "second"))))
		p.pass()
		if _, err := p.admin().GetShare("/second"); err != nil {
			t.Errorf("after the fix, the share /second: %v", err)
		}
		// Moving /data onto another metadata store would orphan its files:
		// refused, reported, nothing written.
		p.declare(p.declaration(func(c *declared.Config) {
			broken(filepath.Join(p.in.Mounts["/data/store/metadata"], "second"))(c)
			c.Shares[0].MetadataStore = "second"
		}))
		res = p.pass()
		if res.Writes != 0 || len(res.Refused) != 1 || !strings.Contains(res.Refused[0].String(), "metadataStore") {
			t.Errorf("moving /data to another store: %d writes, refused %v; want 0 writes and one refusal naming metadataStore", res.Writes, res.Refused)
		}
	})

	t.Run("declaring nothing without an authorization removes users and groups, and keeps the shares and stores", func(t *testing.T) {
		p.declare(declared.Config{})
		res := p.pass()
		c := p.admin()
		for _, share := range []string{"/data", "/second"} {
			if _, err := c.GetShare(share); err != nil {
				t.Errorf("the owned share %s, removed without an authorization, was deleted: %v", share, err)
			}
		}
		if _, err := c.GetMetadataStore("main"); err != nil {
			t.Errorf("the owned metadata store main, removed without an authorization, was deleted: %v", err)
		}
		if _, err := c.GetUser("alice"); err == nil {
			t.Error("the owned user alice is still there")
		}
		var refused []string
		for _, r := range res.Refused {
			refused = append(refused, r.Kind+" "+r.Name)
		}
		want := []string{"share /data", "share /second", "block store local/main", "metadata store main", "metadata store second"}
		if !slices.Equal(refused, want) {
			t.Errorf("refused %v, want %v", refused, want)
		}
	})

	t.Run("declaring nothing, with the removals authorized, removes what the reconciler made, and only that", func(t *testing.T) {
		p.declare(declared.Config{AuthorizeRemoval: &declared.Removals{
			Shares: []string{"/data", "/second"}, MetadataStores: []string{"main", "second"}, LocalBlockStores: []string{"main"},
		}})
		p.pass()
		c := p.admin()
		shares, err := c.ListShares()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range shares {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, []string{handMadeShare}) {
			t.Errorf("shares left: %v, want only %s", names, handMadeShare)
		}
		for _, u := range []string{"alice", "bob"} {
			if _, err := c.GetUser(u); err == nil {
				t.Errorf("the owned user %s is still there", u)
			}
		}
		if _, err := c.GetMetadataStore("main"); err == nil {
			t.Error("the owned metadata store main is still there")
		}
		if _, err := c.GetMetadataStore(handMadeMeta); err != nil {
			t.Errorf("the hand-made metadata store: %v", err)
		}
		if _, err := c.GetBlockStore("local", handMadeLocal); err != nil {
			t.Errorf("the hand-made block store: %v", err)
		}
	})
}

func wantPerms(t *testing.T, c *apiclient.Client, share string, want map[string]string) {
	t.Helper()
	perms, err := c.ListSharePermissions(share)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range perms {
		got[p.Type+"/"+p.Name] = p.Level
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: permission %s is %q, want %q (all: %v)", share, k, got[k], v, got)
		}
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func localFile(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "local.txt")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// nfsURL is a libnfs URL for NFSv3 with MOUNT on DittoFS's one port.
func nfsURL(p *pod, share, file string, uid int) string {
	if file != "" {
		file = "/" + file
	}
	return fmt.Sprintf("nfs://127.0.0.1%s%s?nfsport=%d&mountport=%d&version=3&uid=%d&gid=%d", share, file, p.nfs, p.nfs, uid, uid)
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func nfsCp(t *testing.T, p *pod, share, file, content string, uid int) (string, error) {
	t.Helper()
	return run(t, "nfs-cp", localFile(t, content), nfsURL(p, share, file, uid))
}

func nfsWrite(t *testing.T, p *pod, share, file, content string, uid int) {
	t.Helper()
	if out, err := nfsCp(t, p, share, file, content, uid); err != nil {
		t.Fatalf("nfs-cp to %s/%s as uid %d: %v\n%s", share, file, uid, err, out)
	}
}

func nfsRead(t *testing.T, p *pod, share, file string, uid int) string {
	t.Helper()
	out, err := run(t, "nfs-cat", nfsURL(p, share, file, uid))
	if err != nil {
		t.Errorf("nfs-cat %s/%s as uid %d: %v\n%s", share, file, uid, err, out)
		return ""
	}
	return out
}

func smb(t *testing.T, p *pod, share, user, password, command string) (string, error) {
	t.Helper()
	return run(t, "smbclient", "//127.0.0.1/"+share, "-p", fmt.Sprint(p.smb), "-U", user+"%"+password, "-m", "SMB3", "-c", command)
}
