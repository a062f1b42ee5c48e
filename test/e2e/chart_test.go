package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// chartRBAC renders the RBAC templates of Crossplane's own Helm chart (in
// the core module, cluster/charts/crossplane) with the chart's default
// values, the way `helm install crossplane -n crossplane-system` would: the
// ClusterRoles and ClusterRoleBindings that give the crossplane and
// rbac-manager service accounts their rights. There is no helm binary here,
// so this implements the few template functions those files use; an unknown
// function fails the parse, so a chart change cannot slip past unnoticed.
func chartRBAC(chartDir, namespace string) ([]byte, error) {
	values := map[string]any{
		"nameOverride":   "",
		"customLabels":   nil,
		"rbacManager":    map[string]any{"deploy": true, "skipAggregatedClusterRoles": false},
		"serviceAccount": map[string]any{"create": true, "name": ""},
	}
	chart, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Name, Version, AppVersion string
	}
	if err := yaml.Unmarshal(chart, &meta); err != nil {
		return nil, err
	}
	data := map[string]any{
		"Values":  values,
		"Chart":   map[string]any{"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion},
		"Release": map[string]any{"Name": "crossplane", "Namespace": namespace, "Service": "Helm"},
	}

	root := template.New("chart")
	funcs := template.FuncMap{
		"default": func(d any, v ...any) any {
			if len(v) == 0 || v[0] == nil || v[0] == "" {
				return d
			}
			return v[0]
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"replace":    func(from, to, s string) string { return strings.ReplaceAll(s, from, to) },
		"quote":      func(s any) string { return fmt.Sprintf("%q", fmt.Sprint(s)) },
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"toYaml": func(v any) (string, error) {
			b, err := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n"), err
		},
		"include": func(name string, d any) (string, error) {
			var b bytes.Buffer
			err := root.ExecuteTemplate(&b, name, d)
			return b.String(), err
		},
	}
	root.Funcs(funcs)
	helpers, err := os.ReadFile(filepath.Join(chartDir, "templates", "_helpers.tpl"))
	if err != nil {
		return nil, err
	}
	if _, err := root.New("_helpers.tpl").Parse(string(helpers)); err != nil {
		return nil, fmt.Errorf("parsing _helpers.tpl: %w", err)
	}
	var out bytes.Buffer
	for _, f := range []string{"clusterrole.yaml", "clusterrolebinding.yaml", "rbac-manager-clusterrole.yaml", "rbac-manager-clusterrolebinding.yaml"} {
		src, err := os.ReadFile(filepath.Join(chartDir, "templates", f))
		if err != nil {
			return nil, err
		}
		tpl, err := root.New(f).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f, err)
		}
		out.WriteString("\n---\n")
		if err := tpl.Execute(&out, data); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", f, err)
		}
	}
	return out.Bytes(), nil
}
