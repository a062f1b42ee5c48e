package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// celCasesDir holds one directory per x-kubernetes-validations rule of the
// XRDs: rule.yaml names the rule (its schema path and its text), and every
// accepted-*.yaml and rejected-*.yaml is an object the API server must
// accept, or reject with that rule's message and nothing else.
const celCasesDir = "testdata/cel"

// celRuleFile is a rule.yaml: which rule the directory's cases are for.
type celRuleFile struct {
	// Path of the object that carries the rule, e.g. spec.percona.backup.
	Path string `json:"path"`
	// Rule is the rule's CEL text, as in the generated XRD.
	Rule string `json:"rule"`
}

// celCase is one accepted-*.yaml or rejected-*.yaml: a create of an object
// with spec or, with oldSpec, an update of an object created with oldSpec
// to spec (what a transition rule, one using oldSelf, needs).
type celCase struct {
	Spec    map[string]any `json:"spec"`
	OldSpec map[string]any `json:"oldSpec,omitempty"`
}

// celCases are one directory's cases, by file name.
type celCases struct {
	dir      string
	rule     celRuleFile
	accepted map[string]celCase
	rejected map[string]celCase
}

// TestCELRules runs every x-kubernetes-validations rule of both XRDs
// through the API server's validation of a create (and, for transition
// rules, an update) of the XR and claim CRDs Crossplane makes of them, with
// the cases under testdata/cel. A rule without cases, or cases for a rule
// no XRD has any more, fail the test.
func TestCELRules(t *testing.T) {
	dirs := loadCELCases(t)
	used := map[string]bool{}
	for _, x := range loadXRDs(t) {
		for _, r := range rules(x.schema) {
			c := casesFor(dirs, r)
			if c == nil {
				t.Errorf("%s: the rule at %s has no cases. Add a directory %s/<rule-id>/ with a rule.yaml\n%s"+
					"and at least one accepted-*.yaml and one rejected-*.yaml (spec: ..., and oldSpec: ... for an update)",
					x.file, r.path, celCasesDir, ruleFileFor(r))
				continue
			}
			used[c.dir] = true
			checkCoverage(t, c, r)
			for _, s := range x.served {
				for _, name := range sortedKeys(c.accepted) {
					t.Run(c.dir+"/"+name+"/"+s.name, func(t *testing.T) { checkAccepted(t, s, r, c.accepted[name]) })
				}
				for _, name := range sortedKeys(c.rejected) {
					t.Run(c.dir+"/"+name+"/"+s.name, func(t *testing.T) { checkRejected(t, s, r, c.rejected[name]) })
				}
			}
		}
	}
	for _, dir := range sortedKeys(dirs) {
		if !used[dir] {
			t.Errorf("%s/%s: no XRD has the rule of its rule.yaml (at %s) any more: update rule.yaml to the rule's new text, or remove the directory",
				celCasesDir, dir, dirs[dir].rule.Path)
		}
	}
}

// TestServedTransitionRule shows the harness runs a transition rule as the
// API server does: not on create, and on an update against the old object.
func TestServedTransitionRule(t *testing.T) {
	crd := &extv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "things.example.com"},
		Spec: extv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: extv1.CustomResourceDefinitionNames{Kind: "Thing", ListKind: "ThingList", Plural: "things", Singular: "thing"},
			Scope: extv1.NamespaceScoped,
			Versions: []extv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &extv1.CustomResourceValidation{OpenAPIV3Schema: &extv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]extv1.JSONSchemaProps{
						"spec": {
							Type:         "object",
							Properties:   map[string]extv1.JSONSchemaProps{"size": {Type: "integer"}},
							XValidations: extv1.ValidationRules{{Rule: "self.size >= oldSelf.size", Message: "spec.size may only grow"}},
						},
					},
				}},
			}},
		},
	}
	served, err := serve("test", crd)
	if err != nil {
		t.Fatal(err)
	}
	s, err := structural(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	rs := rules(s)
	if len(rs) != 1 || rs[0].path != "spec" || !rs[0].transition() {
		t.Fatalf("rules(schema) = %+v, want the one transition rule at spec", rs)
	}
	spec := func(size int64) map[string]any { return map[string]any{"size": size} }
	checkAccepted(t, served[0], rs[0], celCase{Spec: spec(0)})
	checkAccepted(t, served[0], rs[0], celCase{OldSpec: spec(1), Spec: spec(2)})
	checkRejected(t, served[0], rs[0], celCase{OldSpec: spec(2), Spec: spec(1)})
}

// loadCELCases reads every directory under testdata/cel.
func loadCELCases(t *testing.T) map[string]*celCases {
	t.Helper()
	entries, err := os.ReadDir(celCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*celCases{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := loadCELDir(e.Name())
		if err != nil {
			t.Fatalf("%s/%s: %v", celCasesDir, e.Name(), err)
		}
		out[e.Name()] = c
	}
	return out
}

func loadCELDir(dir string) (*celCases, error) {
	c := &celCases{dir: dir, accepted: map[string]celCase{}, rejected: map[string]celCase{}}
	if err := readStrict(filepath.Join(celCasesDir, dir, "rule.yaml"), &c.rule); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(celCasesDir, dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := filepath.Base(f)
		var into map[string]celCase
		switch {
		case name == "rule.yaml":
			continue
		case strings.HasPrefix(name, "accepted-"):
			into = c.accepted
		case strings.HasPrefix(name, "rejected-"):
			into = c.rejected
		default:
			return nil, fmt.Errorf("%s: a case file is named accepted-*.yaml or rejected-*.yaml", name)
		}
		var cc celCase
		if err := readStrict(f, &cc); err != nil {
			return nil, err
		}
		if cc.Spec == nil {
			return nil, fmt.Errorf("%s: has no spec", name)
		}
		into[strings.TrimSuffix(name, ".yaml")] = cc
	}
	return c, nil
}

func readStrict(file string, into any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	return nil
}

// casesFor finds the directory whose rule.yaml names r.
func casesFor(dirs map[string]*celCases, r rule) *celCases {
	for _, dir := range sortedKeys(dirs) {
		c := dirs[dir]
		if c.rule.Path == r.path && sameText(c.rule.Rule, r.Rule) {
			return c
		}
	}
	return nil
}

// sameText compares CEL texts ignoring how whitespace is laid out, so a
// rule.yaml may fold a long rule over lines.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// ruleFileFor is the rule.yaml for r, to copy into a new directory.
func ruleFileFor(r rule) string {
	b, err := yaml.Marshal(celRuleFile{Path: r.path, Rule: r.Rule})
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// checkCoverage requires an accepted and a rejected case for the rule, on
// update too for a transition rule.
func checkCoverage(t *testing.T, c *celCases, r rule) {
	t.Helper()
	if len(c.accepted) == 0 || len(c.rejected) == 0 {
		t.Errorf("%s/%s: needs at least one accepted-*.yaml and one rejected-*.yaml (has %d and %d)", celCasesDir, c.dir, len(c.accepted), len(c.rejected))
	}
	if !r.transition() {
		return
	}
	if !anyUpdate(c.accepted) || !anyUpdate(c.rejected) {
		t.Errorf("%s/%s: the rule uses oldSelf: it needs an accepted and a rejected update (a case with oldSpec)", celCasesDir, c.dir)
	}
}

func anyUpdate(cases map[string]celCase) bool {
	for _, c := range cases {
		if c.OldSpec != nil {
			return true
		}
	}
	return false
}

// submit creates c on s, or for an update creates c.OldSpec and updates it
// to c.Spec, and returns the stored object and the API server's answer.
func submit(t *testing.T, s *servedCRD, c celCase) (map[string]any, error) {
	t.Helper()
	if c.OldSpec == nil {
		u, err := s.create(c.Spec)
		if u == nil {
			t.Fatal(err)
		}
		return u.Object, err
	}
	old, err := s.create(c.OldSpec)
	if err != nil {
		t.Fatalf("oldSpec is refused on create, so it cannot be the object updated: %v", err)
	}
	u, err := s.update(old, c.Spec)
	if u == nil {
		t.Fatal(err)
	}
	return u.Object, err
}

// checkAccepted requires the API server to accept c, and the object the
// rule is on to be there, so the rule ran.
func checkAccepted(t *testing.T, s *servedCRD, r rule, c celCase) {
	t.Helper()
	obj, err := submit(t, s, c)
	if err != nil {
		t.Fatalf("want accepted, the API server says: %v", err)
	}
	if strings.Contains(r.path, "[*]") {
		return
	}
	if _, ok := lookup(obj, r.path); !ok {
		t.Errorf("accepted, but %s is not in the object, so the rule never ran: the case shows nothing about it", r.path)
	}
}

// checkRejected requires the API server to reject c with the rule's message
// on the rule's field, and for no other reason.
func checkRejected(t *testing.T, s *servedCRD, r rule, c celCase) {
	t.Helper()
	_, err := submit(t, s, c)
	if err == nil {
		t.Fatalf("want rejected by the rule at %s (%s), the API server accepts it", r.path, r.Rule)
	}
	t.Logf("rejected: %v", err)
	for _, got := range causes(err) {
		if schemaPath(got.Field) != r.errorField() || !strings.Contains(got.Message, r.errorMessage()) {
			t.Errorf("rejected for another reason than the rule at %s: %s: %s\n(a rejected case must break only its own rule)", r.path, got.Field, got.Message)
		}
	}
}
