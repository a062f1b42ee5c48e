package dr

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"sigs.k8s.io/yaml"
)

// The keys of Percona's <cluster>-pgbackrest-config ConfigMap the drill uses:
// the file the instance pod's pgBackRest reads (archive-push, archive-get,
// restore) and the one the dedicated repo host's reads (stanza-create,
// backup, check, info, expire).
const (
	instanceConfKey = "pgbackrest_instance.conf"
	repoConfKey     = "pgbackrest_repo.conf"
)

// fixture is testdata/percona-pgbackrest-config.yaml: a cluster's pgBackRest
// spec and the ConfigMap the real operator wrote for it.
type fixture struct {
	Cluster struct {
		Name            string       `json:"name"`
		Namespace       string       `json:"namespace"`
		PostgresVersion int          `json:"postgresVersion"`
		Backups         pgv2.Backups `json:"backups"`
	} `json:"cluster"`
	ConfigMap map[string]string `json:"configMap"`
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "percona-pgbackrest-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		t.Fatalf("testdata/percona-pgbackrest-config.yaml: %v", err)
	}
	return f
}

// ini is a pgBackRest configuration file: sections in order, options in
// order within each.
type ini []iniSection

type iniSection struct {
	Name    string
	Options [][2]string
}

func parseINI(text string) (ini, error) {
	var f ini
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			f = append(f, iniSection{Name: line[1 : len(line)-1]})
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || len(f) == 0 {
				return nil, fmt.Errorf("line %d: %q is neither a section nor key = value in one", n, line)
			}
			s := &f[len(f)-1]
			s.Options = append(s.Options, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	return f, sc.Err()
}

// String renders f as the operator does: "key = value", a blank line
// between sections.
func (f ini) String() string {
	var b strings.Builder
	for i, s := range f {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%s]\n", s.Name)
		for _, o := range s.Options {
			fmt.Fprintf(&b, "%s = %s\n", o[0], o[1])
		}
	}
	return b.String()
}

// withoutComments drops the comment lines (the operator's header) and the
// blank lines before the first section.
func withoutComments(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || (b.Len() == 0 && strings.TrimSpace(line) == "") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// options returns section's options as a map.
func (f ini) options(section string) map[string]string {
	m := map[string]string{}
	for _, s := range f {
		if s.Name == section {
			for _, o := range s.Options {
				m[o[0]] = o[1]
			}
		}
	}
	return m
}

// repoOptions is what the Percona operator v2.9.0 writes into [global] for
// a cluster's repositories (internal/pgbackrest/config.go:
// populatePGInstanceConfigurationMap and populateRepoHostConfigurationMap):
// <repo>-path defaults to /pgbackrest/<repo>; an S3 repo adds -type=s3 and
// its bucket, endpoint and region (getExternalRepoConfigs); then
// backups.pgbackrest.global is applied over that, verbatim.
func repoOptions(b pgv2.PGBackRestArchive) map[string]string {
	out := map[string]string{}
	for _, r := range b.Repos {
		out[r.Name+"-path"] = "/pgbackrest/" + r.Name
		if r.S3 != nil {
			out[r.Name+"-type"] = "s3"
			out[r.Name+"-s3-bucket"] = r.S3.Bucket
			out[r.Name+"-s3-endpoint"] = r.S3.Endpoint
			out[r.Name+"-s3-region"] = r.S3.Region
		}
	}
	for k, v := range b.Global {
		out[k] = v
	}
	return out
}

// isRepoOption says whether the operator derives key from the repos and
// global (a repoN-* option) rather than writing it itself.
func isRepoOption(key string) bool {
	return strings.HasPrefix(key, "repo") && strings.Contains(key, "-") &&
		strings.Trim(key[len("repo"):strings.Index(key, "-")], "0123456789") == ""
}

// machine is where the pod's paths are on this machine. Every remapping
// docs/dr.md lists is one of these.
type machine struct {
	// PGData stands in for the instance's data volume, mounted at /pgdata.
	PGData string
	// Tmp stands in for the container's own /tmp (the socket directory
	// /tmp/postgres and pgBackRest's default lock-path /tmp/pgbackrest).
	Tmp string
	// PGPort is where this machine's PostgreSQL listens (the pod: 5432).
	PGPort int
}

// remap rewrites a value holding one of the pod's paths to this machine's.
func (m machine) remap(v string) string {
	for _, p := range [][2]string{{"/pgdata", m.PGData}, {"/tmp", m.Tmp}} {
		if v == p[0] || strings.HasPrefix(v, p[0]+"/") {
			return p[1] + strings.TrimPrefix(v, p[0])
		}
	}
	return v
}

// drillConf turns the operator's file (fixture key) into the drill's: every
// option the operator writes itself kept, its paths remapped to m; the
// repo1-* options replaced by what the operator's rule makes of the
// function's rendered cluster, verbatim; pg1-path for the rendered
// cluster's PostgreSQL major (the operator writes /pgdata/pg<major>); the
// port this machine's server uses; and the repo host's pg1-host* options
// (its TLS connection to the instance's pgBackRest server) dropped, since
// here the repo host and the instance are one machine.
func drillConf(t *testing.T, f fixture, key string, cluster *pgv2.PerconaPGCluster, m machine) ini {
	t.Helper()
	conf, err := parseINI(f.ConfigMap[key])
	if err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	var out ini
	for _, s := range conf {
		section := iniSection{Name: s.Name}
		for _, o := range s.Options {
			k, v := o[0], o[1]
			switch {
			case isRepoOption(k):
				continue
			case strings.HasPrefix(k, "pg1-host"):
				continue
			case k == "pg1-path":
				v = "/pgdata/pg" + strconv.Itoa(cluster.Spec.PostgresVersion)
			case k == "pg1-port":
				v = strconv.Itoa(m.PGPort)
			}
			section.Options = append(section.Options, [2]string{k, m.remap(v)})
		}
		if s.Name == "global" {
			for k, v := range repoOptions(cluster.Spec.Backups.PGBackRest) {
				section.Options = append(section.Options, [2]string{k, v})
			}
			// The operator sorts each section's keys.
			sort.Slice(section.Options, func(i, j int) bool { return section.Options[i][0] < section.Options[j][0] })
		}
		out = append(out, section)
	}
	return out
}

// podConfD is where the pod's pgBackRest finds its configuration files:
// the operator's and what backups.pgbackrest.configuration projects.
const podConfD = "/etc/pgbackrest/conf.d"

// remapConfD rewrites the options naming a file in the pod's conf.d
// (repo1-storage-ca-file, the projected CA) to the same file in dir, this
// machine's copy of it.
func (f ini) remapConfD(dir string) ini {
	out := make(ini, 0, len(f))
	for _, s := range f {
		section := iniSection{Name: s.Name}
		for _, o := range s.Options {
			if v, ok := strings.CutPrefix(o[1], podConfD+"/"); ok {
				o[1] = filepath.Join(dir, v)
			}
			section.Options = append(section.Options, o)
		}
		out = append(out, section)
	}
	return out
}

// TestOperatorRepoRule: the rule the drill applies to the function's
// cluster (repoOptions) reproduces the repo1-* lines the real operator
// wrote for the fixture's cluster, in both files, and those are all the
// repo options it wrote.
func TestOperatorRepoRule(t *testing.T) {
	f := loadFixture(t)
	want := repoOptions(f.Cluster.Backups.PGBackRest)
	for _, key := range []string{instanceConfKey, repoConfKey} {
		conf, err := parseINI(f.ConfigMap[key])
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		got := map[string]string{}
		for k, v := range conf.options("global") {
			if isRepoOption(k) {
				got[k] = v
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the operator's repo options differ from the rule (-rule +operator):\n%s", key, diff)
		}
		if want := withoutComments(f.ConfigMap[key]); conf.String() != want {
			t.Errorf("%s does not read back as written (-file +read):\n%s", key, cmp.Diff(want, conf.String()))
		}
	}
}

// TestDrillConf pins how the operator's files become the drill's: the
// operator's own options kept with paths remapped, repo1-* from the given
// cluster, the repo host's TLS options gone.
func TestDrillConf(t *testing.T) {
	f := loadFixture(t)
	cluster := &pgv2.PerconaPGCluster{}
	cluster.Spec.PostgresVersion = 15
	cluster.Spec.Backups.PGBackRest = pgv2.PGBackRestArchive{
		Global: map[string]string{
			"repo1-path": "/pgbackrest/dr/drill/repo1", "repo1-s3-uri-style": "path",
			"repo1-cipher-type": "aes-256-cbc", "repo1-storage-ca-file": "/etc/pgbackrest/conf.d/repo1-storage-ca.crt",
		},
		Repos: f.Cluster.Backups.PGBackRest.Repos,
	}
	cluster.Spec.Backups.PGBackRest.Repos[0].S3.Endpoint = "localhost:9443"
	m := machine{PGData: "/m/pgdata", Tmp: "/m/tmp", PGPort: 6543}
	got := drillConf(t, f, repoConfKey, cluster, m).remapConfD("/m/etc/repo-host/conf.d").String()
	want := `[global]
log-level-file = off
repo1-cipher-type = aes-256-cbc
repo1-path = /pgbackrest/dr/drill/repo1
repo1-s3-bucket = dittofs-drill
repo1-s3-endpoint = localhost:9443
repo1-s3-region = us-east-1
repo1-s3-uri-style = path
repo1-storage-ca-file = /m/etc/repo-host/conf.d/repo1-storage-ca.crt
repo1-type = s3

[db]
pg1-path = /m/pgdata/pg15
pg1-port = 6543
pg1-socket-path = /m/tmp/postgres
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repo host config (-want +got):\n%s", diff)
	}
	inst := drillConf(t, f, instanceConfKey, cluster, m).options("global")
	for k, v := range map[string]string{"archive-async": "y", "log-path": "/m/pgdata/pgbackrest/log", "spool-path": "/m/pgdata/pgbackrest-spool"} {
		if inst[k] != v {
			t.Errorf("instance config %s = %q, want %q", k, inst[k], v)
		}
	}
}
