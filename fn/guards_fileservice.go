package fn

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
)

// The file-service guards compare the declaration with the one the server
// was last given: the observed ConfigMap <xr>-fileservice, which the in-pod
// reconciler applies (docs/fileservice.md, "Removing and changing what
// holds data"). They refuse, with nothing applied:
//   - a share or a store that the observed declaration held and the spec
//     no longer declares, unless spec.fileService.authorizeRemoval names it:
//     deleting a share wipes its snapshots and strands its files;
//   - a share moved onto other stores, a store's type changed, and a store
//     that a declared share uses moved to another place (directory,
//     database, Secret, bucket, prefix, endpoint): DittoFS would open the
//     share on other, usually empty, data. These have no opt-in: a new
//     share or store under another name is the way.
//
// Users, groups, grants and snapshot policies hold no file data (files
// keep their uid and gid; a policy's snapshots stay when it goes), so
// removing them is applied as declared.

// fileServiceGuards refuses what the declaration would drop or rebind
// without an authorization. A spec that declares nothing gets no
// reconciler, so nothing is deleted: that is only a Warning.
func (c *composer) fileServiceGuards() (field.ErrorList, error) {
	was, err := c.observedDeclaration()
	if err != nil || was == nil {
		return nil, err
	}
	now := c.ds.Declared()
	if now == nil {
		if held := heldData(was); len(held) > 0 {
			response.Warning(c.rsp, errors.Errorf(
				"spec.fileService declares nothing any more: the reconciler leaves the pod and deletes nothing, so %s stay in DittoFS, unmanaged. "+
					"To delete them instead, keep spec.fileService with authorizeRemoval naming them", strings.Join(held, ", "))).TargetCompositeAndClaim()
		}
		return nil, nil
	}
	p := field.NewPath("spec", "fileService")
	var errs field.ErrorList
	errs = append(errs, removedShares(p, was, now)...)
	errs = append(errs, removedMetadataStores(p, was, now)...)
	errs = append(errs, removedBlockStores(p, was, now)...)
	errs = append(errs, movedShares(p, was, now)...)
	errs = append(errs, movedMetadataStores(p, was, now)...)
	errs = append(errs, movedBlockStores(p, was, now)...)
	return errs, nil
}

// observedDeclaration is the declaration in the observed ConfigMap, or nil
// when none is observed. It is decoded leniently (a field this version does
// not know is ignored): only names, stores and places are compared. One
// that does not decode at all fails the call, as any unreadable observed
// object does: the guards could not check a change against it.
func (c *composer) observedDeclaration() (*declared.Config, error) {
	data, ok := c.observedFields(keyFileService, []string{"data", spec.DeclaredConfigKey})["data"].(map[string]any)
	if !ok {
		return nil, nil
	}
	raw, _ := data[spec.DeclaredConfigKey].(string)
	var was declared.Config
	if err := yaml.Unmarshal([]byte(raw), &was); err != nil {
		return nil, unreadableObservedError{
			Kind: "ConfigMap", Namespace: c.ds.Namespace, Name: c.ds.FileServiceConfigMapName(), Key: keyFileService,
			At: "data." + spec.DeclaredConfigKey, Err: err,
		}
	}
	return &was, nil
}

// heldData names the shares and stores of a declaration.
func heldData(c *declared.Config) []string {
	var held []string
	for _, s := range c.Shares {
		held = append(held, "share "+s.Name)
	}
	for _, m := range c.MetadataStores {
		held = append(held, "metadata store "+m.Name)
	}
	for _, b := range c.BlockStores {
		held = append(held, b.Kind+" block store "+b.Name)
	}
	return held
}

// shareAt, metadataStoreAt and blockStoreAt name a list item by its key,
// not its index: the index is the new spec's, the item the old one's.
func shareAt(p *field.Path, name string) *field.Path {
	return p.Child("shares").Key("name=" + name)
}

func metadataStoreAt(p *field.Path, name string) *field.Path {
	return p.Child("metadataStores").Key("name=" + name)
}

func blockStoreAt(p *field.Path, kind, name string) *field.Path {
	return p.Child("blockStores").Key("kind=" + kind + ",name=" + name)
}

// counterpart is the item of now that is was under its identity (same),
// and whether there is one: what the removal and move checks compare.
func counterpart[T any](now []T, was T, same func(a, b T) bool) (T, bool) {
	for _, n := range now {
		if same(n, was) {
			return n, true
		}
	}
	var none T
	return none, false
}

func sameShare(a, b declared.Share) bool { return a.Name == b.Name }

func sameMetadataStore(a, b declared.MetadataStore) bool { return a.Name == b.Name }

func sameBlockStore(a, b declared.BlockStore) bool { return a.Kind == b.Kind && a.Name == b.Name }

// removalRefused is the message of a removal that is not authorized.
func removalRefused(what, consequence string, authorize *field.Path, name string) string {
	return fmt.Sprintf("%s is declared on the running server and would be deleted from DittoFS: %s. "+
		"To delete it, also list %q in %s (remove it from that list once it is gone); to keep it, declare it again",
		what, consequence, name, authorize)
}

func removedShares(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, s := range was.Shares {
		if _, kept := counterpart(now.Shares, s, sameShare); kept || now.AuthorizeRemoval.ShareAuthorized(s.Name) {
			continue
		}
		errs = append(errs, field.Forbidden(shareAt(p, s.Name), removalRefused("share "+s.Name,
			"DittoFS deletes its snapshots, grants and snapshot policy, and its files stay behind in metadata store "+s.MetadataStore+
				" where no share reaches them (and where DittoFS's block GC may reclaim their content)",
			p.Child("authorizeRemoval", "shares"), s.Name)))
	}
	return errs
}

func removedMetadataStores(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, m := range was.MetadataStores {
		if _, kept := counterpart(now.MetadataStores, m, sameMetadataStore); kept || now.AuthorizeRemoval.MetadataStoreAuthorized(m.Name) {
			continue
		}
		errs = append(errs, field.Forbidden(metadataStoreAt(p, m.Name), removalRefused("metadata store "+m.Name,
			"DittoFS forgets where its metadata is (the data itself stays, with nothing pointing at it)",
			p.Child("authorizeRemoval", "metadataStores"), m.Name)))
	}
	return errs
}

func removedBlockStores(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, b := range was.BlockStores {
		if _, kept := counterpart(now.BlockStores, b, sameBlockStore); kept || now.AuthorizeRemoval.BlockStoreAuthorized(b.Kind, b.Name) {
			continue
		}
		errs = append(errs, field.Forbidden(blockStoreAt(p, b.Kind, b.Name), removalRefused(b.Kind+" block store "+b.Name,
			"DittoFS forgets where its content is (the content itself stays, with nothing pointing at it)",
			p.Child("authorizeRemoval", b.Kind+"BlockStores"), b.Name)))
	}
	return errs
}

// movedShares refuses a share declared on other stores than it was: its
// files are in the stores it has (the reconciler refuses the move too).
func movedShares(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, s := range was.Shares {
		n, kept := counterpart(now.Shares, s, sameShare)
		if !kept {
			continue
		}
		for _, f := range []struct{ field, was, now string }{
			{"metadataStore", s.MetadataStore, n.MetadataStore},
			{"localBlockStore", s.LocalBlockStore, n.LocalBlockStore},
			{"remoteBlockStore", s.RemoteBlockStore, n.RemoteBlockStore},
		} {
			if f.was != f.now {
				errs = append(errs, field.Forbidden(shareAt(p, s.Name).Child(f.field), fmt.Sprintf(
					"share %s keeps its files in %s %s, declared %s: DittoFS would serve the share from the other store, without its files. "+
						"Keep %s; to move the files, declare a new share (another name) on the new store, copy them over NFS or SMB, then remove %s with authorizeRemoval",
					s.Name, f.field, orNone(f.was), orNone(f.now), orNone(f.was), s.Name)))
			}
		}
	}
	return errs
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// usedBy names the shares of a declaration on a store.
func usedBy(c *declared.Config, uses func(declared.Share) bool) []string {
	var names []string
	for _, s := range c.Shares {
		if uses(s) {
			names = append(names, s.Name)
		}
	}
	return names
}

// place is one field that says where a store's data is, as the XR writes it.
type place struct{ field, was, now string }

func metadataPlaces(was, now declared.MetadataStore) []place {
	var ps []place
	if was.Badger != nil && now.Badger != nil {
		ps = append(ps, place{"badger.directory", strings.TrimPrefix(was.Badger.Path, spec.MetadataStorePath+"/"), strings.TrimPrefix(now.Badger.Path, spec.MetadataStorePath+"/")})
	}
	if was.Postgres != nil && now.Postgres != nil {
		ps = append(ps,
			place{"postgres.database", was.Postgres.Database, now.Postgres.Database},
			place{"postgres.secretName", strings.TrimPrefix(was.Postgres.SecretDir, spec.DeclaredSecretsPath+"/"), strings.TrimPrefix(now.Postgres.SecretDir, spec.DeclaredSecretsPath+"/")})
	}
	return ps
}

func blockPlaces(was, now declared.BlockStore) []place {
	var ps []place
	if was.FS != nil && now.FS != nil {
		ps = append(ps, place{"fs.directory", strings.TrimPrefix(was.FS.Path, spec.BlockStorePath+"/"), strings.TrimPrefix(now.FS.Path, spec.BlockStorePath+"/")})
	}
	if was.S3 != nil && now.S3 != nil {
		ps = append(ps,
			place{"s3.bucket", was.S3.Bucket, now.S3.Bucket},
			place{"s3.prefix", was.S3.Prefix, now.S3.Prefix},
			place{"s3.endpoint", was.S3.Endpoint, now.S3.Endpoint})
	}
	return ps
}

// storeMoved refuses a store's new type, and a new place for a store that
// declared shares use.
func storeMoved(at *field.Path, what, wasType, nowType string, places []place, shares []string) field.ErrorList {
	var errs field.ErrorList
	if wasType != nowType {
		errs = append(errs, field.Forbidden(at.Child("type"), fmt.Sprintf(
			"%s is a %s store, declared %s: a store's type is not changed in place (DittoFS would open an empty store of the new type). Keep %s; declare a new store under another name",
			what, wasType, nowType, wasType)))
		return errs
	}
	if len(shares) == 0 {
		return nil
	}
	for _, pl := range places {
		if pl.was != pl.now {
			errs = append(errs, field.Forbidden(at.Child(pl.field), fmt.Sprintf(
				"%s holds the data of share %s at %s %s, declared %s: DittoFS would open the store there from its next start and serve the share without its files. "+
					"Keep %s; to move the data, declare a new store and a new share on it, copy the files, then remove the old ones with authorizeRemoval",
				what, strings.Join(shares, ", "), pl.field, orNone(pl.was), orNone(pl.now), orNone(pl.was))))
		}
	}
	return errs
}

func movedMetadataStores(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, m := range was.MetadataStores {
		n, kept := counterpart(now.MetadataStores, m, sameMetadataStore)
		if !kept {
			continue
		}
		shares := usedBy(was, func(s declared.Share) bool { return s.MetadataStore == m.Name })
		errs = append(errs, storeMoved(metadataStoreAt(p, m.Name), "metadata store "+m.Name, m.Type, n.Type, metadataPlaces(m, n), shares)...)
	}
	return errs
}

func movedBlockStores(p *field.Path, was, now *declared.Config) field.ErrorList {
	var errs field.ErrorList
	for _, b := range was.BlockStores {
		n, kept := counterpart(now.BlockStores, b, sameBlockStore)
		if !kept {
			continue
		}
		shares := usedBy(was, func(s declared.Share) bool {
			if b.Kind == declared.KindLocal {
				return s.LocalBlockStore == b.Name
			}
			return s.RemoteBlockStore == b.Name
		})
		errs = append(errs, storeMoved(blockStoreAt(p, b.Kind, b.Name), b.Kind+" block store "+b.Name, b.Type, n.Type, blockPlaces(b, n), shares)...)
	}
	return errs
}
