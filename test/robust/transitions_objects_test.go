package robust

import (
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Readers of the objects the rules look at, and helpers on unstructured
// objects.

func desiredObjects(rsp *fnv1.RunFunctionResponse) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, r := range rsp.GetDesired().GetResources() {
		out[k] = r.GetResource().AsMap()
	}
	return out
}

func isTrue(o map[string]any, path string) bool {
	v, _ := lookup(o, path)
	return v == true
}

func invalidReplicas(path string, v any) bool {
	n, _ := v.(float64)
	if path == "replicas" {
		return n < 0 || n > 1
	}
	return n < 1 || n > 5
}

func clusterBackups(c map[string]any) bool { return get(c, "spec", "backups", "enabled") == true }

func clusterSize(c map[string]any) string {
	return getString(first(c, "spec", "instances"), "dataVolumeClaimSpec", "resources", "requests", "storage")
}

func clusterClass(c map[string]any) any {
	return get(first(c, "spec", "instances"), "dataVolumeClaimSpec", "storageClassName")
}

func clusterDatabase(c map[string]any) any {
	users, _ := get(c, "spec", "users").([]any)
	for _, u := range users {
		if u, ok := u.(map[string]any); ok && u["name"] == "dittofs" {
			if dbs, ok := u["databases"].([]any); ok && len(dbs) > 0 {
				return dbs[0]
			}
		}
	}
	return nil
}

func repoPath(c map[string]any) string {
	return getString(c, "spec", "backups", "pgbackrest", "global", "repo1-path")
}

func pgBackRestImageOf(c map[string]any) string {
	return getString(c, "spec", "backups", "pgbackrest", "image")
}

func projectedSecret(c map[string]any) string {
	projections, _ := get(c, "spec", "backups", "pgbackrest", "configuration").([]any)
	for _, p := range projections {
		if p, ok := p.(map[string]any); ok {
			if name := getString(p, "secret", "name"); name != "" {
				return name
			}
		}
	}
	return ""
}

// claim is what of a volume claim template holds data: its size and class.
type claim struct {
	size  string
	class any
	modes any
}

func claimTemplates(s map[string]any) map[string]claim {
	out := map[string]claim{}
	vcts, _ := get(s, "spec", "volumeClaimTemplates").([]any)
	for _, v := range vcts {
		v, _ := v.(map[string]any)
		out[getString(v, "metadata", "name")] = claim{
			size:  normalQuantity(getString(v, "spec", "resources", "requests", "storage")),
			class: get(v, "spec", "storageClassName"),
			modes: get(v, "spec", "accessModes"),
		}
	}
	return out
}

func serverImage(s map[string]any) string {
	containers, _ := get(s, "spec", "template", "spec", "containers").([]any)
	for _, c := range containers {
		if c, ok := c.(map[string]any); ok && c["name"] == "dittofs" {
			return getString(c, "image")
		}
	}
	return ""
}

func configHash(s map[string]any) string {
	return getString(s, "spec", "template", "metadata", "annotations", annotationConfigHash)
}

// imageMajor is the first number of an image's tag: 17 of
// percona-distribution-postgresql:17.9-1, 0 of dittofs:v0.29.0.
func imageMajor(image string) string {
	tag := strings.TrimPrefix(image[strings.LastIndex(image, ":")+1:], "v")
	if i := strings.IndexAny(tag, ".-"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// less says whether size a is smaller than size b; false when either is
// not a quantity.
func less(a, b string) bool {
	qa, errA := resource.ParseQuantity(a)
	qb, errB := resource.ParseQuantity(b)
	return errA == nil && errB == nil && qa.Cmp(qb) < 0
}

func normalQuantity(s string) string {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return s
	}
	return q.String()
}

// Helpers on unstructured objects.

func get(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func getString(o map[string]any, path ...string) string {
	s, _ := get(o, path...).(string)
	return s
}

func getMap(o map[string]any, path ...string) map[string]any {
	m, _ := get(o, path...).(map[string]any)
	return m
}

// first is the first element of the list at path, as an object.
func first(o map[string]any, path ...string) map[string]any {
	l, _ := get(o, path...).([]any)
	if len(l) == 0 {
		return nil
	}
	m, _ := l[0].(map[string]any)
	return m
}

// setPath sets (or, with value nil, removes) a dotted path in o, creating
// the objects on the way.
func setPath(o map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := o[p].(map[string]any)
		if !ok {
			if value == nil {
				return
			}
			next = map[string]any{}
			o[p] = next
		}
		o = next
	}
	if value == nil {
		delete(o, parts[len(parts)-1])
		return
	}
	o[parts[len(parts)-1]] = value
}

// lookup is the value at a dotted path, and whether it is set.
func lookup(o map[string]any, path string) (any, bool) {
	v := any(o)
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

func deepCopy(o map[string]any) map[string]any {
	if o == nil {
		return nil
	}
	return runtime.DeepCopyJSON(o)
}

func mustStruct(o map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(o)
	if err != nil {
		panic(err)
	}
	return s
}

func sortedMapKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
