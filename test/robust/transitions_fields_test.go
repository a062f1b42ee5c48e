package robust

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
)

// The fields added since the transition test was first written, each with
// its generator (the edits and observed changes below, added to the
// generator's tables by init), its refusals (below) and the rules README's
// day-2 table gives it (transitions_fields_rules_test.go):
//
//   - service / adapterServices loadBalancerSourceRanges and
//     externalTrafficPolicy: applied in place to the Services, refused
//     where the defaulted type has no load balancer or takes no outside
//     traffic; DittoFS does not roll;
//   - networkPolicy.from: applied in place to the NetworkPolicy; DittoFS
//     does not roll;
//   - the DittoFS pod fields: roll the pod template, never the config hash;
//     the function's own label and annotation keys refused;
//   - propagateLabels: on every composed object, the pod and Percona's
//     spec.metadata.labels; never the hash;
//   - percona.restore: read only when the cluster is created, a warning on
//     a live one whose dataSource stays exactly as observed;
//   - percona.recovery: one PerconaPGRestore per id, ever; DittoFS at 0
//     while one is in flight, and stopped before one is composed;
//   - percona.backup.caSecretRef and encryption: the projection follows the
//     CA; encryption fixed once the repository exists (a Fatal otherwise),
//     its passphrase never in the cluster's spec;
//   - fileService: adds and edits applied to its ConfigMap, never the
//     config hash, never a roll of DittoFS; a declared share or metadata
//     store removed is refused (fileServiceRemovals), the file service
//     removed whole is applied.

// Names and values of the newer parts of the world.
const (
	caSecretName         = "minio-ca"
	passphraseSecretName = "backup-passphrase"
	sourceServerName     = "old-files"
	// latestRestorable is what Percona's WAL watcher writes on the
	// cluster's latest succeeded PerconaPGBackup, in its format.
	latestRestorable = "2026-12-01 10:00:00.000000+0000"
	reconcilerImage  = "registry.example.com/dittofs/function-dittofs:v0.1.0"

	recoveryKeyPrefix = "recovery-"
	fileServiceKey    = "fileservice-config"
	cipherKey         = "pgbackrest-cipher-secret"
	cipherUsageKey    = "usage-database-pgbackrest-cipher"
	reconcilerName    = "fileservice-reconciler"
	// sourceAdminSecretName holds the admin password of the server a raw
	// restore reads (restore.from.adminSecretRef, required with repoPath).
	sourceAdminSecretName = "old-admin"
	caFileOption          = "repo1-storage-ca-file"
	caFilePath            = "/etc/pgbackrest/conf.d/repo1-storage-ca.crt"
	cipherTypeOption      = "repo1-cipher-type"
)

// testCA is a PEM CA certificate (example/backup-private-s3's), what the
// function checks minio-ca holds.
const testCA = `-----BEGIN CERTIFICATE-----
MIIBmDCCAT2gAwIBAgIUM5JeP2xgnUkz2tLrCxD5BLwSTGcwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVZXhhbXBsZSBwcml2YXRlIFMzIENBMCAXDTI2MTIwMTIwMDU1
M1oYDzIxMjYxMTA3MjAwNTUzWjAgMR4wHAYDVQQDDBVleGFtcGxlIHByaXZhdGUg
UzMgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASlsPHJpj32PNCF3d//Tomo
NO2+3DeieocJ8/h9uB+neMQhVCEalUUdjEUHsZ7yclE0W+xZm4jyIAuowMPjl0we
o1MwUTAdBgNVHQ4EFgQUdtS/5w2bkM7o71zzWki8/ZpFXZYwHwYDVR0jBBgwFoAU
dtS/5w2bkM7o71zzWki8/ZpFXZYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNJADBGAiEAjWT2jy7yPizPj7omMemnWKZr90HS2t6WO/F/9XidhWgCIQC2xuvm
oqJv1bCFoFMXBpPYQ1osqmaBMIfEBtoaUSxULg==
-----END CERTIFICATE-----
`

// startLabels are the XR's metadata.labels: two a team would propagate,
// and one a GitOps tool put there, which must not spread unless listed.
func startLabels() map[string]any {
	return map[string]any{"team": "storage", "cost-center": "cc-42", "argocd.argoproj.io/instance": "files"}
}

type edit struct {
	path   string
	values []any
}

// Shared values: the Services' fields are tried on both.
var (
	sourceRanges   = []any{[]any{"203.0.113.0/24"}, []any{"10.0.0.0/8", "2001:db8::/32"}, []any{"203.0.113.0/33"}, nil}
	trafficPolicy  = []any{"Local", "Cluster", "Sideways", nil}
	serviceTypes   = []any{"ClusterIP", "NodePort", "LoadBalancer", nil}
	serviceFields  = []string{"service", "adapterServices"}
	serviceDefault = map[string]string{"service": "ClusterIP", "adapterServices": "LoadBalancer"}
	// serviceKeys are the composed Services each spec field shapes.
	serviceKeys = map[string][]string{"service": {"service-api"}, "adapterServices": {"service-nfs", "service-smb"}}
)

// newerSpecEdits are the newer fields' edits: valid values, and invalid
// ones the function must refuse naming the field.
var newerSpecEdits = []edit{
	{"service.type", serviceTypes},
	{"service.loadBalancerSourceRanges", sourceRanges},
	{"service.externalTrafficPolicy", trafficPolicy},
	{"adapterServices.type", serviceTypes},
	{"adapterServices.loadBalancerSourceRanges", sourceRanges},
	{"adapterServices.externalTrafficPolicy", trafficPolicy},
	{"networkPolicy.from", []any{
		[]any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "nfs-clients"}}}},
		[]any{
			map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "except": []any{"10.1.0.0/16"}}},
			map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app": "prometheus"}}},
		},
		nil,
	}},
	// The DittoFS pod's fields.
	{"affinity", []any{map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
		"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "storage", "operator": "In", "values": []any{"fast"}}}}},
	}}}, nil}},
	{"tolerations", []any{[]any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "storage", "effect": "NoSchedule"}}, nil}},
	{"nodeSelector", []any{map[string]any{"disktype": "ssd"}, map[string]any{"disktype": "not a value!"}, nil}},
	{"priorityClassName", []any{"storage-critical", "Not_A_Name", nil}},
	{"imagePullSecrets", []any{[]any{map[string]any{"name": "registry-creds"}}, []any{map[string]any{"name": "Bad_Name"}}, nil}},
	{"imagePullPolicy", []any{"Always", "IfNotPresent", "Sometimes", nil}},
	{"podLabels", []any{
		map[string]any{"tier": "files"},
		map[string]any{"team": "from-pod-labels"},
		map[string]any{"app.kubernetes.io/name": "other"},
		map[string]any{"dittofs.io/role": "x"},
		nil,
	}},
	{"podAnnotations", []any{map[string]any{"example.com/owner": "storage"}, map[string]any{"dittofs.io/config-hash": "0"}, nil}},
	{"propagateLabels", []any{
		[]any{"team"},
		[]any{"team", "cost-center", "absent-key"},
		[]any{"app.kubernetes.io/instance"},
		[]any{"crossplane.io/composite"},
		nil,
	}},
	// Disaster recovery.
	{"percona.restore", []any{
		map[string]any{"from": map[string]any{"dittoServer": sourceServerName}},
		map[string]any{"from": map[string]any{"repoPath": "/pgbackrest/storage/old-files/repo1", "bucket": "dittofs-backups", "endpoint": s3Endpoint, "adminSecretRef": map[string]any{"name": sourceAdminSecretName}}, "pointInTime": "2026-11-30T12:00:00Z"},
		map[string]any{"from": map[string]any{"dittoServer": xrName}}, // itself: refused
		nil,
	}},
	{"percona.recovery", []any{
		map[string]any{"id": "before-import", "pointInTime": "2026-12-01T09:00:00Z"},
		map[string]any{"id": "second", "pointInTime": "2026-12-01T09:30:00Z"},
		map[string]any{"id": "too-late", "pointInTime": "2026-12-01T11:00:00Z"}, // after the latest restorable time
		map[string]any{"id": "Bad_ID", "pointInTime": "2026-12-01T09:00:00Z"},
		nil,
	}},
	{"percona.recovery.pointInTime", []any{"2026-12-01T08:00:00Z", "yesterday"}},
	{"percona.backup.caSecretRef", []any{map[string]any{"name": caSecretName}, map[string]any{"name": caSecretName, "key": "ca.crt"}, map[string]any{"name": "absent-ca"}, nil}},
	{"percona.backup.encryption", []any{map[string]any{"passphraseSecretRef": map[string]any{"name": passphraseSecretName}}, nil}},
	// The declared file service, edited by operations (fileServiceOp), twice
	// as likely as one field: it has many.
	{"fileService", fileServiceOps},
	{"fileService", fileServiceOps},
}

// fileServiceOps are the edits of spec.fileService. remove-share and
// remove-store of what the server declares must be refused, undeclare
// applied (fileServiceRemovals).
var fileServiceOps = []any{
	"declare", "add-share", "edit-share", "add-store", "add-user", "add-share-unknown-store", "remove-share", "remove-store", "undeclare",
	// authorizeRemoval: a removal authorized by name is applied; a name
	// still listed when it is declared again is refused.
	"remove-share-authorized", "redeclare-authorized", "clear-authorizations",
	// A postgres metadata store on the cluster: the pre-start step comes
	// with it.
	"add-postgres-store",
}

var newerInputEdits = []edit{
	{"images.reconciler", []any{reconcilerImage, nil}},
}

// newerObservedChanges: the XR's labels edited (kubectl label), the
// encryption passphrase changed in its Secret, Percona's restore Job
// advancing, the latest restorable time reported or not, the cluster's
// records of its repository (the plain one's annotation, the kept cipher
// Secret) removed by hand.
var newerObservedChanges = []struct {
	knob   string
	values []any
}{
	{"xr-labels", []any{"relabelled"}},
	{"passphrase", []any{"original", "changed"}},
	{"recovery-restore", []any{"Running", "Succeeded", "Failed", "deleted"}},
	{"restorable", []any{"reported", "none"}},
	{"repository-records", []any{"removed-by-hand"}},
}

func init() {
	for _, e := range newerSpecEdits {
		specEdits = append(specEdits, struct {
			path   string
			values []any
		}{e.path, e.values})
	}
	for _, e := range newerInputEdits {
		inputEdits = append(inputEdits, struct {
			path   string
			values []any
		}{e.path, e.values})
	}
	observedChanges = append(observedChanges, newerObservedChanges...)
}

// newerKnobs are the parts of the newer world no reconcile decides.
type newerKnobs struct {
	// LabelRev counts edits of the XR's team label.
	LabelRev int
	// PassphraseChanged: the passphrase Secret holds another passphrase
	// than the one the world started with.
	PassphraseChanged bool
	// NoRestorableTime: Percona reports no latestRestorableTime.
	NoRestorableTime bool
}

// newerState is what the world remembers of the newer fields across
// reconciles (cloned with it).
type newerState struct {
	knobs newerKnobs
	// fsSerial numbers the shares, stores and users the file service
	// operations add.
	fsSerial int
	// restores counts, per XR UID and recovery id, the PerconaPGRestores
	// created (applied while not observed).
	restores map[string]int
	// ended are the recoveries (by XR UID and id) whose restore Percona
	// reported Succeeded or Failed: one in flight that was deleted may be
	// composed again (it may never have run), an ended one never.
	ended map[string]bool
	// repoCipher is, per pgBackRest repo path, the cipher.conf the
	// repository there was created with ("" for a plain one): the bucket
	// keeps it with backups off.
	repoCipher map[string]string
	// createdRestore is spec.percona.restore as it was when the observed
	// cluster was created.
	createdRestore any
}

func (n newerState) clone() newerState {
	out := n
	out.restores = make(map[string]int, len(n.restores))
	for k, v := range n.restores {
		out.restores[k] = v
	}
	out.ended = maps.Clone(n.ended)
	out.repoCipher = maps.Clone(n.repoCipher)
	out.createdRestore = deepCopyValue(n.createdRestore)
	return out
}

func deepCopyValue(v any) any {
	if v == nil {
		return nil
	}
	return deepCopy(map[string]any{"v": v})["v"]
}

// changeNewer makes an observed change of the newer knobs; false for a knob
// it does not know.
func (w *world) changeNewer(knob, value string) bool {
	switch knob {
	case "xr-labels":
		w.newer.knobs.LabelRev++
		w.labels["team"] = fmt.Sprintf("storage-%d", w.newer.knobs.LabelRev)
	case "passphrase":
		w.newer.knobs.PassphraseChanged = value == "changed"
	case "restorable":
		w.newer.knobs.NoRestorableTime = value == "none"
	case "repository-records":
		delete(w.observed, cipherKey)
		if meta, ok := w.observed[clusterKey]["metadata"].(map[string]any); ok {
			if a, ok := meta["annotations"].(map[string]any); ok {
				delete(a, "dittofs.io/plain-pgbackrest-repository")
			}
		}
	case "recovery-restore":
		for k, o := range w.observed {
			if !strings.HasPrefix(k, recoveryKeyPrefix) || restoreEnded(o) {
				continue
			}
			if value == "deleted" {
				delete(w.observed, k)
				continue
			}
			o["status"] = map[string]any{"state": value}
			if restoreEnded(o) {
				w.newer.ended[w.uid+"/"+strings.TrimPrefix(k, recoveryKeyPrefix)] = true
			}
		}
	default:
		return false
	}
	return true
}

func restoreEnded(o map[string]any) bool {
	st := getString(o, "status", "state")
	return st == "Succeeded" || st == "Failed"
}

// newerClusterObjects are the objects the newer fields' selectors find:
// the S3 CA, the passphrase, the source DittoServer of a restore, and the
// cluster's latest succeeded PerconaPGBackup.
func (w *world) newerClusterObjects() []*structpb.Struct {
	out := []*structpb.Struct{
		secret(caSecretName, nil, map[string]string{"ca.crt": testCA}),
		secret(passphraseSecretName, nil, map[string]string{"passphrase": w.passphrase()}),
		secret(sourceAdminSecretName, nil, map[string]string{"password": "the-source-admin-password"}),
		mustStruct(map[string]any{
			"apiVersion": "dittofs.dittofs.com/v1alpha1", "kind": "DittoServer",
			"metadata": map[string]any{"name": sourceServerName, "namespace": xrNamespace},
			"spec":     map[string]any{"percona": map[string]any{"enabled": true, "backup": map[string]any{"enabled": true}}},
			"status": map[string]any{"database": map[string]any{"backup": map[string]any{
				"repoPath": "/pgbackrest/storage/old-files-0a1b2c3d/repo1", "bucket": "dittofs-backups", "endpoint": s3Endpoint, "region": "eu-west-1",
			}}},
		}),
	}
	if w.observed[clusterKey] != nil && !w.newer.knobs.NoRestorableTime {
		out = append(out, mustStruct(map[string]any{
			"apiVersion": "pgv2.percona.com/v2", "kind": "PerconaPGBackup",
			"metadata": map[string]any{"name": xrName + "-postgres-repo1-full-abcde", "namespace": xrNamespace},
			"spec":     map[string]any{"pgCluster": xrName + "-postgres", "repoName": "repo1"},
			"status":   map[string]any{"state": "Succeeded", "latestRestorableTime": latestRestorable},
		}))
	}
	return out
}

func (w *world) passphrase() string {
	if w.newer.knobs.PassphraseChanged {
		return "another-passphrase"
	}
	return "the-passphrase"
}

// noteApplied records, before next becomes the observed state, the
// PerconaPGRestores created and what restore the cluster was created with.
func (w *world) noteApplied(next map[string]map[string]any) {
	for k := range next {
		if id, ok := strings.CutPrefix(k, recoveryKeyPrefix); ok && w.observed[k] == nil {
			w.newer.restores[w.uid+"/"+id]++
		}
	}
	if c := next[clusterKey]; c != nil && clusterBackups(c) && repoPath(c) != "" {
		if _, seen := w.newer.repoCipher[repoPath(c)]; !seen {
			w.newer.repoCipher[repoPath(c)] = repoCipherOf(c, next[cipherKey])
		}
	}
	if w.observed[clusterKey] == nil && next[clusterKey] != nil {
		r, _ := lookup(w.spec, "percona.restore")
		w.newer.createdRestore = deepCopyValue(r)
	}
}

// fileServiceOp edits spec.fileService. Every operation but
// add-share-unknown-store keeps the declaration valid.
func (w *world) fileServiceOp(op string) {
	fs, _ := w.spec["fileService"].(map[string]any)
	declare := func() map[string]any {
		if fs == nil {
			fs = map[string]any{
				"metadataStores": []any{map[string]any{"name": "main", "type": "badger"}},
				"blockStores":    []any{map[string]any{"name": "main", "kind": "local", "type": "fs"}},
				"shares":         []any{map[string]any{"name": "/export", "metadataStore": "main", "localBlockStore": "main"}},
			}
			w.spec["fileService"] = fs
		}
		return fs
	}
	list := func(k string) []any { l, _ := fs[k].([]any); return l }
	w.newer.fsSerial++
	n := w.newer.fsSerial
	switch op {
	case "declare":
		declare()
	case "add-share", "add-share-unknown-store":
		declare()
		store := "main"
		if op == "add-share-unknown-store" {
			store = "nowhere"
		}
		if !slices.ContainsFunc(list("metadataStores"), func(s any) bool { return getString(s.(map[string]any), "name") == "main" }) {
			fs["metadataStores"] = append(list("metadataStores"), map[string]any{"name": "main", "type": "badger"})
		}
		if !slices.ContainsFunc(list("blockStores"), func(s any) bool { return getString(s.(map[string]any), "name") == "main" }) {
			fs["blockStores"] = append(list("blockStores"), map[string]any{"name": "main", "kind": "local", "type": "fs"})
		}
		fs["shares"] = append(list("shares"), map[string]any{"name": fmt.Sprintf("/share-%d", n), "metadataStore": store, "localBlockStore": "main"})
	case "edit-share":
		if shares := list("shares"); len(shares) > 0 {
			s := shares[0].(map[string]any)
			ro, _ := s["readOnly"].(bool)
			s["readOnly"] = !ro
			s["nfs"] = map[string]any{"squash": map[bool]string{true: "root_to_guest", false: "none"}[ro]}
		}
	case "add-store":
		declare()
		fs["metadataStores"] = append(list("metadataStores"), map[string]any{"name": fmt.Sprintf("extra-%d", n), "type": "badger"})
	case "add-user":
		declare()
		if len(list("groups")) == 0 {
			fs["groups"] = []any{map[string]any{"name": "staff", "gid": 2000.0}}
		}
		fs["users"] = append(list("users"), map[string]any{
			"username": fmt.Sprintf("user-%d", n), "passwordSecretRef": map[string]any{"name": "file-users", "key": fmt.Sprintf("user-%d", n)},
			"uid": float64(1000 + n), "gid": float64(1000 + n), "groups": []any{"staff"},
		})
	case "remove-share":
		if shares := list("shares"); len(shares) > 0 {
			fs["shares"] = shares[:len(shares)-1]
		}
	case "remove-store":
		// Only a store no share uses: the declaration stays valid.
		stores := list("metadataStores")
		for i := len(stores) - 1; i >= 0; i-- {
			name := getString(stores[i].(map[string]any), "name")
			if !slices.ContainsFunc(list("shares"), func(s any) bool { return getString(s.(map[string]any), "metadataStore") == name }) {
				fs["metadataStores"] = slices.Delete(slices.Clone(stores), i, i+1)
				break
			}
		}
	case "add-postgres-store":
		declare()
		fs["metadataStores"] = append(list("metadataStores"), map[string]any{"name": fmt.Sprintf("pg-%d", n), "type": "postgres"})
	case "remove-share-authorized":
		if shares := list("shares"); len(shares) > 0 {
			name := getString(shares[len(shares)-1].(map[string]any), "name")
			fs["shares"] = shares[:len(shares)-1]
			auth, _ := fs["authorizeRemoval"].(map[string]any)
			if auth == nil {
				auth = map[string]any{}
				fs["authorizeRemoval"] = auth
			}
			if l := asSlice(auth["shares"]); !slices.Contains(l, any(name)) {
				auth["shares"] = append(l, name)
			}
		}
	case "redeclare-authorized":
		if l := asSlice(getMap(fs, "authorizeRemoval")["shares"]); len(l) > 0 && fs["metadataStores"] != nil && fs["blockStores"] != nil {
			fs["shares"] = append(list("shares"), map[string]any{"name": l[0], "metadataStore": "main", "localBlockStore": "main"})
		}
	case "clear-authorizations":
		if fs != nil {
			delete(fs, "authorizeRemoval")
		}
	case "undeclare":
		delete(w.spec, "fileService")
	}
}

// Refusals of the newer fields.

// newerRefusals are the newer fields whose value the rules refuse in w.
func newerRefusals(w *world) []string {
	spec := w.spec
	var refuse []string
	for _, svc := range serviceFields {
		refuse = append(refuse, serviceRefusals(spec, svc)...)
	}
	refuse = append(refuse, podFieldRefusals(spec)...)
	refuse = append(refuse, restoreRefusals(spec)...)
	refuse = append(refuse, encryptionRefusals(w)...)
	if fileServiceInvalid(spec) {
		refuse = append(refuse, "spec.fileService")
	}
	refuse = append(refuse, fileServiceRemovals(w)...)
	return refuse
}

// fileServiceRemovals: a share or metadata store that the server's
// declaration holds (the observed <xr>-fileservice) and the spec no longer
// declares must be refused, naming spec.fileService, unless authorizeRemoval
// names it (the generator never authorizes). Removing spec.fileService whole
// deletes nothing, so it is applied.
func fileServiceRemovals(w *world) []string {
	fs, ok := w.spec["fileService"].(map[string]any)
	if !ok {
		return nil
	}
	was := observedDeclaration(w)
	if was == nil {
		return nil
	}
	declaredNames := func(key string) []string {
		var out []string
		for _, o := range asSlice(fs[key]) {
			out = append(out, getString(o.(map[string]any), "name"))
		}
		return out
	}
	shares, stores := declaredNames("shares"), declaredNames("metadataStores")
	authorized := func(key, name string) bool {
		return slices.Contains(asSlice(getMap(fs, "authorizeRemoval")[key]), any(name))
	}
	for _, sh := range was.Shares {
		if !slices.Contains(shares, sh.Name) && !authorized("shares", sh.Name) {
			return []string{"spec.fileService"}
		}
	}
	for _, m := range was.MetadataStores {
		if !slices.Contains(stores, m.Name) && !authorized("metadataStores", m.Name) {
			return []string{"spec.fileService"}
		}
	}
	return nil
}

// observedDeclaration is the declaration of the observed <xr>-fileservice,
// nil when there is none.
func observedDeclaration(w *world) *declared.Config {
	cm := w.observed[fileServiceKey]
	if cm == nil {
		return nil
	}
	raw := getString(getMap(cm, "data"), spec.DeclaredConfigKey)
	c, err := declared.Parse([]byte(raw))
	if err != nil {
		return nil
	}
	return c
}

func serviceRefusals(spec map[string]any, svc string) []string {
	typ := serviceDefault[svc]
	if v, ok := lookup(spec, svc+".type"); ok {
		typ = fmt.Sprint(v)
	}
	var refuse []string
	if ranges, _ := get(spec, svc, "loadBalancerSourceRanges").([]any); len(ranges) > 0 {
		bad := typ != "LoadBalancer"
		for _, r := range ranges {
			bad = bad || !validCIDR(fmt.Sprint(r))
		}
		if bad {
			refuse = append(refuse, "spec."+svc+".loadBalancerSourceRanges")
		}
	}
	if v, ok := lookup(spec, svc+".externalTrafficPolicy"); ok {
		if (v != "Local" && v != "Cluster") || (typ != "NodePort" && typ != "LoadBalancer") {
			refuse = append(refuse, "spec."+svc+".externalTrafficPolicy")
		}
	}
	return refuse
}

var cidrPattern = regexp.MustCompile(`^[0-9a-f.:]+/([0-9]+)$`)

// validCIDR is what the generator's values need: the prefix within the
// address's length.
func validCIDR(s string) bool {
	m := cidrPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	bits := 32
	if strings.Contains(s, ":") {
		bits = 128
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n <= bits
}

// functionLabelKeys are the labels the function puts on its objects.
var functionLabelKeys = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/managed-by"}

func reservedLabel(k string) bool {
	return slices.Contains(functionLabelKeys, k) || strings.HasPrefix(k, "dittofs.io/")
}

var (
	labelValue   = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
)

func podFieldRefusals(spec map[string]any) []string {
	var refuse []string
	for k := range getMap(spec, "podLabels") {
		if reservedLabel(k) {
			refuse = append(refuse, "spec.podLabels")
			break
		}
	}
	for k := range getMap(spec, "podAnnotations") {
		if strings.HasPrefix(k, "dittofs.io/") {
			refuse = append(refuse, "spec.podAnnotations")
			break
		}
	}
	for _, v := range getMap(spec, "nodeSelector") {
		if !labelValue.MatchString(fmt.Sprint(v)) {
			refuse = append(refuse, "spec.nodeSelector")
			break
		}
	}
	if v, ok := lookup(spec, "priorityClassName"); ok && !dnsSubdomain.MatchString(fmt.Sprint(v)) {
		refuse = append(refuse, "spec.priorityClassName")
	}
	for _, s := range asSlice(get(spec, "imagePullSecrets")) {
		if !dnsSubdomain.MatchString(getString(s.(map[string]any), "name")) {
			refuse = append(refuse, "spec.imagePullSecrets")
			break
		}
	}
	if v, ok := lookup(spec, "imagePullPolicy"); ok && !slices.Contains([]any{"Always", "IfNotPresent", "Never"}, v) {
		refuse = append(refuse, "spec.imagePullPolicy")
	}
	for _, k := range asSlice(get(spec, "propagateLabels")) {
		if ks := fmt.Sprint(k); reservedLabel(ks) || strings.HasPrefix(ks, "crossplane.io/") {
			refuse = append(refuse, "spec.propagateLabels")
			break
		}
	}
	return refuse
}

var (
	recoveryID = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	rfc3339    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`)
)

func restoreRefusals(spec map[string]any) []string {
	var refuse []string
	if r := getMap(spec, "percona", "restore"); r != nil {
		if !isTrue(spec, "percona.enabled") || getString(r, "from", "dittoServer") == xrName {
			refuse = append(refuse, "spec.percona.restore")
		}
	}
	if r := getMap(spec, "percona", "recovery"); r != nil {
		if !isTrue(spec, "percona.backup.enabled") {
			refuse = append(refuse, "spec.percona.recovery")
		}
		if id := getString(r, "id"); !recoveryID.MatchString(id) || len(id) > 20 {
			refuse = append(refuse, "spec.percona.recovery.id")
		}
		if !rfc3339.MatchString(getString(r, "pointInTime")) {
			refuse = append(refuse, "spec.percona.recovery.pointInTime")
		}
	}
	return refuse
}

// encryptionRefusals: a live repository (the observed cluster's backups on,
// with a repo; or off, with the cipher Secret of the encrypted repository
// the bucket keeps, or a repository created at the path backups go on at)
// keeps its encryption and its passphrase.
func encryptionRefusals(w *world) []string {
	c := w.observed[clusterKey]
	if c == nil || !isTrue(w.spec, "percona.enabled") || !isTrue(w.spec, "percona.backup.enabled") {
		return nil
	}
	var was bool
	repo := xrRepoPath(w.uid)
	switch {
	case hasRepository(c):
		was, repo = encryptedCluster(c), repoPath(c)
	case w.observed[cipherKey] != nil:
		was = true
	default:
		// Backups off: the bucket keeps the repository created at the
		// path they go on at again.
		created, seen := w.newer.repoCipher[repo]
		if !seen {
			return nil
		}
		was = created != ""
	}
	_, now := lookup(w.spec, "percona.backup.encryption")
	// The passphrase the repository is encrypted with: the kept cipher
	// Secret's, or (that Secret deleted by hand) the one it was created
	// with, which the XR's status records the digest of.
	conf := decoded(w.observed[cipherKey], "cipher.conf")
	if created := w.newer.repoCipher[repo]; conf == "" && created != "encrypted" {
		conf = created
	}
	switch {
	case was != now:
		return []string{"spec.percona.backup.encryption"}
	case was && conf != "" && !strings.Contains(conf, "="+w.passphrase()+"\n"):
		return []string{"spec.percona.backup.encryption.passphraseSecretRef"}
	}
	return nil
}

// xrRepoPath is where the XR of uid keeps its repository, as the README
// says: /pgbackrest/<namespace>/<name>-<8 hex digits of the UID's
// SHA-256>/repo1, the same whenever backups go on.
func xrRepoPath(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return fmt.Sprintf("/pgbackrest/%s/%s-%x/repo1", xrNamespace, xrName, sum[:4])
}

// repoCipherOf is the cipher.conf a cluster's repository is written with:
// "" when it is plain, "encrypted" when no cipher Secret says with what.
func repoCipherOf(c, cipher map[string]any) string {
	if !encryptedCluster(c) {
		return ""
	}
	if conf := decoded(cipher, "cipher.conf"); conf != "" {
		return conf
	}
	return "encrypted"
}

// cipherWords says how a repository is encrypted without the passphrase.
func cipherWords(conf string) string {
	if conf == "" {
		return "plain"
	}
	sum := sha256.Sum256([]byte(conf))
	return fmt.Sprintf("encrypted (cipher.conf sha256 %x…)", sum[:4])
}

func encryptedCluster(c map[string]any) bool {
	return getString(c, "spec", "backups", "pgbackrest", "global", cipherTypeOption) != ""
}

func hasRepository(c map[string]any) bool {
	return get(c, "spec", "backups", "enabled") != false && len(asSlice(get(c, "spec", "backups", "pgbackrest", "repos"))) > 0
}

func decoded(o map[string]any, key string) string {
	b, _ := base64.StdEncoding.DecodeString(getString(o, "data", key))
	return string(b)
}

func fileServiceInvalid(spec map[string]any) bool {
	fs := getMap(spec, "fileService")
	stores := map[string]bool{}
	for _, s := range asSlice(fs["metadataStores"]) {
		stores[getString(s.(map[string]any), "name")] = true
	}
	authorized := asSlice(getMap(fs, "authorizeRemoval")["shares"])
	for _, s := range asSlice(fs["shares"]) {
		if !stores[getString(s.(map[string]any), "metadataStore")] || slices.Contains(authorized, any(getString(s.(map[string]any), "name"))) {
			return true
		}
	}
	return false
}

// encryptedStart is the steady state of a DittoServer created with a
// private S3 CA and an encrypted repository: the XR re-created with both,
// reconciled until DittoFS runs. Only a new cluster takes encryption, so
// without this start no sequence would reach a live encrypted repository.
func encryptedStart(t testing.TB, written *world) *world {
	t.Helper()
	w := written.clone()
	w.name = steadyCase + " re-created with a private CA and an encrypted repository"
	setPath(w.spec, "percona.backup.caSecretRef", map[string]any{"name": caSecretName})
	setPath(w.spec, "percona.backup.encryption", map[string]any{"passphraseSecretRef": map[string]any{"name": passphraseSecretName}})
	w.recreate()
	f := fn.NewFunction(nopLogger(), fn.WithSeededSecrets("transitions"))
	for range 3 { // the cluster, then DittoFS once it is ready
		w.settle(t, f)
	}
	if w.observed[cipherKey] == nil || w.observed[statefulSetKey] == nil {
		t.Fatalf("%s: no cipher Secret or StatefulSet after three reconciles", w.name)
	}
	return w
}

// backupsOffStart is encryptedStart after backups were turned off with
// authorizeRemoval: the bucket keeps the encrypted repository at the path
// a cluster of this XR backs up to when they are on again.
func backupsOffStart(t testing.TB, encrypted *world) *world {
	t.Helper()
	w := encrypted.clone()
	w.name = encrypted.name + ", backups then turned off (authorized)"
	setPath(w.spec, "percona.backup.authorizeRemoval", true)
	setPath(w.spec, "percona.backup.enabled", false)
	w.settle(t, fn.NewFunction(nopLogger(), fn.WithSeededSecrets("transitions")))
	return w
}
