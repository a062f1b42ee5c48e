package fn

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/marmos91/dittofs/pkg/apiclient"
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/reconciler"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestReconcilerAgreesWithGuards runs every file-service transition of
// TestFileServiceGuards through both halves: the function, then the
// reconciler's Plan on what reaches the pod, against a DittoFS where the
// reconciler created everything the old declaration held (so the Ledger
// owns it all: the case where a removal deletes).
//
//   - When the function composes, the ConfigMap it desires (an empty
//     declaration when it desires none: the pod would read no file) is
//     what the reconciler plans from. The shares and stores it deletes are
//     exactly the ones the spec removed and authorizeRemoval names.
//   - When the function refuses, the ConfigMap does not change. Should the
//     declaration reach the pod anyway (an edit of the ConfigMap, a guard
//     that missed it), the reconciler still deletes only what is
//     authorized: every removal the function refused is kept by the
//     reconciler too.
func TestReconcilerAgreesWithGuards(t *testing.T) {
	for name, tc := range fileServiceTransitions() {
		if tc.was == nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			was := renderedDeclaration(t, *tc.was)
			req := withObserved(specRequest(t, tc.spec), string(keyFileService), observedFileService(t, *tc.was))
			rsp := compose(t, req)
			refusedByFunction := len(fileServiceOutcomeOf(rsp).Fatal) > 0

			var now *declared.Config
			if refusedByFunction {
				now = renderedDeclaration(t, tc.spec) // as if it reached the pod regardless
			} else {
				now = &declared.Config{APIVersion: declared.APIVersion, Kind: declared.Kind}
				if _, ok := rsp.GetDesired().GetResources()[string(keyFileService)]; ok {
					var cm corev1.ConfigMap
					desiredInto(t, rsp, keyFileService, &cm)
					parsed, err := declared.Parse([]byte(cm.Data[spec.DeclaredConfigKey]))
					if err != nil {
						t.Fatalf("the reconciler cannot read the desired ConfigMap: %v", err)
					}
					now = parsed
				}
			}

			observed, ledger := appliedBy(was)
			actions, problems := reconciler.Plan(&reconciler.Desired{Config: *now}, observed, ledger)
			// What the function lets through, the reconciler applies; what it
			// refuses, the reconciler refuses too (or, for a removal, keeps).
			// A spec that declares nothing has no reconciler: the empty
			// declaration here only shows it would delete no share or store.
			declaresNothing := !refusedByFunction && now.Shares == nil && now.MetadataStores == nil && now.BlockStores == nil && now.AuthorizeRemoval.Empty()
			switch {
			case !refusedByFunction && !declaresNothing && len(problems) > 0:
				t.Errorf("%s\nthe function composes, and the reconciler refuses: %v", tc.reason, problems)
			case refusedByFunction && len(problems) == 0:
				t.Errorf("%s\nthe function refuses, and the reconciler would apply it all: %v", tc.reason, actions)
			}
			deleted := dataDeletions(actions)
			want := authorizedRemovals(was, now)
			if diff := cmp.Diff(want, deleted); diff != "" {
				t.Errorf("%s\nfunction refused: %v; shares and stores the reconciler deletes (-authorized removals +planned deletions):\n%s",
					tc.reason, refusedByFunction, diff)
			}
			if refusedByFunction && len(deleted) > 0 {
				for _, d := range deleted {
					if slices.Contains(refusedRemovals(was, now), d) {
						t.Errorf("%s\nthe reconciler deletes %s, whose removal the function refused", tc.reason, d)
					}
				}
			}
		})
	}
}

// renderedDeclaration is the declaration the function renders for s.
func renderedDeclaration(t *testing.T, s v1alpha1.DittoServerSpec) *declared.Config {
	t.Helper()
	cm, err := build.FileServiceConfigMap(fixture.DittoServer(s))
	if err != nil {
		t.Fatal(err)
	}
	if cm == nil {
		return &declared.Config{APIVersion: declared.APIVersion, Kind: declared.Kind}
	}
	c, err := declared.Parse([]byte(cm.Data[spec.DeclaredConfigKey]))
	if err != nil {
		t.Fatalf("the rendered declaration does not parse: %v", err)
	}
	return c
}

// appliedBy is DittoFS once the reconciler applied c from nothing: every
// store, share, user and group exists, and the Ledger owns them all.
func appliedBy(c *declared.Config) (*reconciler.Observed, *reconciler.Ledger) {
	o := &reconciler.Observed{
		MetadataStores: map[string]apiclient.MetadataStore{}, BlockStores: map[string]apiclient.BlockStore{},
		Shares: map[string]reconciler.ObservedShare{}, Users: map[string]apiclient.User{}, Groups: map[string]apiclient.Group{},
		Policies: map[string]apiclient.SnapshotPolicy{}, PasswordStale: map[string]bool{},
	}
	l := &reconciler.Ledger{Salt: "00"}
	for _, m := range c.MetadataStores {
		o.MetadataStores[m.Name] = apiclient.MetadataStore{ID: "meta-" + m.Name, Name: m.Name, Type: m.Type, Config: storeConfig(m.Badger, m.Postgres)}
		l.MetadataStores = append(l.MetadataStores, m.Name)
	}
	for _, b := range c.BlockStores {
		key := b.Kind + "/" + b.Name
		o.BlockStores[key] = apiclient.BlockStore{ID: key, Name: b.Name, Kind: b.Kind, Type: b.Type, Config: blockConfig(b)}
		l.BlockStores = append(l.BlockStores, key)
	}
	for _, s := range c.Shares {
		sh := apiclient.Share{Name: s.Name, MetadataStoreID: "meta-" + s.MetadataStore, LocalBlockStoreID: declared.KindLocal + "/" + s.LocalBlockStore}
		if s.RemoteBlockStore != "" {
			id := declared.KindRemote + "/" + s.RemoteBlockStore
			sh.RemoteBlockStoreID = &id
		}
		o.Shares[s.Name] = reconciler.ObservedShare{Share: sh}
		l.Shares = append(l.Shares, s.Name)
	}
	for _, u := range c.Users {
		o.Users[u.Username] = apiclient.User{Username: u.Username}
		l.Users = append(l.Users, u.Username)
	}
	for _, g := range c.Groups {
		o.Groups[g.Name] = apiclient.Group{Name: g.Name}
		l.Groups = append(l.Groups, g.Name)
	}
	slices.Sort(l.MetadataStores)
	slices.Sort(l.BlockStores)
	slices.Sort(l.Shares)
	return o, l
}

// storeConfig is a metadata store's config as DittoFS returns it, for the
// keys that say where its data is (the reconciler compares those).
func storeConfig(b *declared.BadgerStore, pg *declared.PostgresStore) json.RawMessage {
	switch {
	case b != nil:
		return mustJSON(map[string]any{"path": b.Path})
	case pg != nil:
		return mustJSON(map[string]any{"host": "", "port": 0, "database": pg.Database})
	}
	return nil
}

func blockConfig(b declared.BlockStore) json.RawMessage {
	switch {
	case b.FS != nil:
		return mustJSON(map[string]any{"path": b.FS.Path})
	case b.S3 != nil:
		cfg := map[string]any{"bucket": b.S3.Bucket}
		for k, v := range map[string]string{"endpoint": b.S3.Endpoint, "prefix": b.S3.Prefix} {
			if v != "" {
				cfg[k] = v
			}
		}
		return mustJSON(cfg)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// dataDeletions are the planned deletes of shares and stores that exist.
func dataDeletions(actions []reconciler.Action) []string {
	out := []string{}
	for _, a := range actions {
		if a.Op == reconciler.OpDelete && a.Note != reconciler.Gone &&
			(a.Kind == reconciler.KindShare || a.Kind == reconciler.KindMetadataStore || a.Kind == reconciler.KindBlockStore) {
			out = append(out, a.Kind+" "+a.Name)
		}
	}
	slices.Sort(out)
	return out
}

// removals are the shares and stores of was that now no longer declares,
// split by whether now authorizes their removal.
func removals(was, now *declared.Config) (authorized, refused []string) {
	add := func(ok bool, name string) {
		if ok {
			authorized = append(authorized, name)
		} else {
			refused = append(refused, name)
		}
	}
	r := now.AuthorizeRemoval
	for _, s := range was.Shares {
		if !slices.ContainsFunc(now.Shares, func(n declared.Share) bool { return n.Name == s.Name }) {
			add(r.ShareAuthorized(s.Name), reconciler.KindShare+" "+s.Name)
		}
	}
	for _, m := range was.MetadataStores {
		if !slices.ContainsFunc(now.MetadataStores, func(n declared.MetadataStore) bool { return n.Name == m.Name }) {
			add(r.MetadataStoreAuthorized(m.Name), reconciler.KindMetadataStore+" "+m.Name)
		}
	}
	for _, b := range was.BlockStores {
		if !slices.ContainsFunc(now.BlockStores, func(n declared.BlockStore) bool { return n.Kind == b.Kind && n.Name == b.Name }) {
			add(r.BlockStoreAuthorized(b.Kind, b.Name), reconciler.KindBlockStore+" "+b.Kind+"/"+b.Name)
		}
	}
	slices.Sort(authorized)
	slices.Sort(refused)
	if authorized == nil {
		authorized = []string{}
	}
	return authorized, refused
}

func authorizedRemovals(was, now *declared.Config) []string {
	a, _ := removals(was, now)
	return a
}

func refusedRemovals(was, now *declared.Config) []string {
	_, r := removals(was, now)
	return r
}
