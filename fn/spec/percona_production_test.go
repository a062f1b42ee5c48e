package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// validatePercona is what spec.Validate says of a Percona spec edited by edit.
func validatePercona(edit func(*v1alpha1.PerconaConfig)) []string {
	s := fixture.PerconaSpec(nil)
	edit(s.Percona)
	var got []string
	for _, e := range spec.Validate(fixture.DittoServer(s), fixture.Input()) {
		got = append(got, e.Error())
	}
	return got
}

func params(kv ...any) *v1alpha1.PerconaPostgreSQLSpec {
	m := map[string]intstr.IntOrString{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case int:
			m[kv[i].(string)] = intstr.FromInt32(int32(v))
		default:
			m[kv[i].(string)] = intstr.FromString(v.(string))
		}
	}
	return &v1alpha1.PerconaPostgreSQLSpec{Parameters: m}
}

func TestValidatePostgresParameters(t *testing.T) {
	cases := map[string]struct {
		reason string
		edit   func(*v1alpha1.PerconaConfig)
		want   []string
	}{
		"TuningPassesThrough": {
			reason: "Tuning is what the parameters are for: none of these may be refused, or users cannot size their database.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.PostgreSQL = params("max_connections", 200, "shared_buffers", "1GB", "work_mem", "16MB", "random_page_cost", "1.1",
					"pg_stat_statements.max", 10000, "max_wal_senders", 10, "archive_timeout", "120s")
			},
		},
		"ArchivingReplicationAndTLSAreRefusedByName": {
			reason: "Every refused name at once, in name order, each with its path and why: the one result a user needs to fix them all, before a setting silently breaks backups, replication or TLS.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.PostgreSQL = params("archive_mode", "off", "archive_command", "/bin/true", "restore_command", "cp %f %p",
					"wal_level", "minimal", "ssl", "off", "ssl_min_protocol_version", "TLSv1.3", "listen_addresses", "*", "port", 5433,
					"hba_file", "/tmp/hba", "ident_file", "/tmp/ident", "data_directory", "/tmp", "primary_conninfo", "host=x",
					"recovery_target_time", "2026-01-01", "unix_socket_directories", "/tmp", "max_connections", 100)
			},
			want: []string{
				"spec.percona.postgresql.parameters.archive_command: Forbidden: not passed through to Patroni: the Percona operator sets it to pgBackRest's archive-push; another command would stop WAL reaching the backup repository",
				"spec.percona.postgresql.parameters.archive_mode: Forbidden: not passed through to Patroni: the Percona operator keeps it on: pgBackRest archives every WAL segment, which backups and point-in-time restores need",
				"spec.percona.postgresql.parameters.data_directory: Forbidden: not passed through to Patroni: the data directory is the operator's volume; elsewhere PostgreSQL would not find its data",
				"spec.percona.postgresql.parameters.hba_file: Forbidden: not passed through to Patroni: Patroni writes pg_hba.conf from the operator's rules (TLS only, SCRAM); another file would bypass them",
				"spec.percona.postgresql.parameters.ident_file: Forbidden: not passed through to Patroni: the authentication files are Patroni's (pg_hba.conf from the operator's rules)",
				"spec.percona.postgresql.parameters.listen_addresses: Forbidden: not passed through to Patroni: Patroni sets it: the Services reach PostgreSQL on the pod's addresses",
				"spec.percona.postgresql.parameters.port: Forbidden: not passed through to Patroni: Patroni sets it from the cluster's port (5432), which the Services, PgBouncer and the user Secret name",
				"spec.percona.postgresql.parameters.primary_conninfo: Forbidden: not passed through to Patroni: Patroni points each replica at the current primary; a fixed value breaks replication after a failover",
				"spec.percona.postgresql.parameters.recovery_target_time: Forbidden: not passed through to Patroni: a restore is a PerconaPGRestore, not a server setting: a recovery target in the running configuration would stop replay on every replica and restore at that point",
				"spec.percona.postgresql.parameters.restore_command: Forbidden: not passed through to Patroni: Percona passes it through in place of pgBackRest's archive-get: replicas and restores could no longer fetch WAL from the repository",
				"spec.percona.postgresql.parameters.ssl: Forbidden: not passed through to Patroni: TLS is always on: DittoFS, PgBouncer, pgBackRest and the replicas connect only over TLS",
				"spec.percona.postgresql.parameters.ssl_min_protocol_version: Forbidden: not passed through to Patroni: TLS is the operator's (its certificates, CA and protocol settings): another value can lock out the clients that verify it (DittoFS with verify-full, PgBouncer, pgBackRest, the replicas)",
				"spec.percona.postgresql.parameters.unix_socket_directories: Forbidden: not passed through to Patroni: the operator and Patroni reach PostgreSQL over its socket in /tmp/postgres",
				"spec.percona.postgresql.parameters.wal_level: Forbidden: not passed through to Patroni: the operator sets logical; below replica neither streaming replication nor WAL archiving works",
			},
		},
		"MaxWALSendersBelowWhatTheClusterNeeds": {
			reason: "Too few WAL senders leave a replica unable to stream or to be rebuilt; the minimum grows with the replicas and the error says how it is counted.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Replicas = ptr.To[int32](5)
				p.PostgreSQL = params("max_wal_senders", "5")
			},
			want: []string{"spec.percona.postgresql.parameters.max_wal_senders: Invalid value: 5: must be at least 6 with 5 instances (spec.percona.replicas): one WAL sender per streaming replica, two for a replica being rebuilt with pg_basebackup, and never below Patroni's minimum of 3, under which it ignores the value"},
		},
		"MaxWALSendersNeverBelowPatronisFloor": {
			reason: "Below 3 Patroni ignores the value silently; refusing it says so instead of letting the user believe it applied.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = params("max_wal_senders", 2) },
			want:   []string{"spec.percona.postgresql.parameters.max_wal_senders: Invalid value: 2: must be at least 3 with 1 instances (spec.percona.replicas): one WAL sender per streaming replica, two for a replica being rebuilt with pg_basebackup, and never below Patroni's minimum of 3, under which it ignores the value"},
		},
		"MaxWALSendersEnoughIsFine": {
			reason: "Exactly the minimum for five instances is accepted: the check must not be off by one against the user.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Replicas = ptr.To[int32](5)
				p.PostgreSQL = params("max_wal_senders", 6)
			},
		},
		"MaxWALSendersMustBeAnInteger": {
			reason: "A value PostgreSQL cannot parse would stop the server at start; it is refused with what is expected.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = params("max_wal_senders", "ten") },
			want:   []string{`spec.percona.postgresql.parameters.max_wal_senders: Invalid value: "ten": must be an integer`},
		},
		"NamesAreLowerCase": {
			reason: "PostgreSQL folds case, so ARCHIVE_MODE is archive_mode: capitals (and spaces) are refused rather than let a refused name through.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = params("ARCHIVE_MODE", "off", "work mem", "1MB") },
			want: []string{
				`spec.percona.postgresql.parameters.ARCHIVE_MODE: Invalid value: "ARCHIVE_MODE": must be a PostgreSQL parameter name in lower case (letters, digits, _, and one . for an extension's, e.g. pg_stat_statements.max)`,
				`spec.percona.postgresql.parameters.work mem: Invalid value: "work mem": must be a PostgreSQL parameter name in lower case (letters, digits, _, and one . for an extension's, e.g. pg_stat_statements.max)`,
			},
		},
		"ValuesAreOneLine": {
			reason: "A newline in a value could write a second setting into postgresql.conf; the value is refused and not echoed back.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = params("application_name", "x\narchive_mode = off") },
			want:   []string{`spec.percona.postgresql.parameters.application_name: Invalid value: "(a value with a control character)": must be one line without control characters`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, validatePercona(tc.edit)); diff != "" {
				t.Errorf("%s\nValidate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestEveryRefusedParameterIsRefused: each entry of the list refuses its
// name (and, for a prefix, a name under it), naming the field and the reason.
func TestEveryRefusedParameterIsRefused(t *testing.T) {
	for _, r := range spec.RefusedPostgresParameters {
		name := r.Name
		if r.Prefix {
			name += "x"
		}
		want := []string{"spec.percona.postgresql.parameters." + name + ": Forbidden: not passed through to Patroni: " + r.Why}
		if diff := cmp.Diff(want, validatePercona(func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = params(name, "on") })); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", name, diff)
		}
	}
}

// TestREADMEListsEveryRefusedParameter keeps the README's list true.
func TestREADMEListsEveryRefusedParameter(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range spec.RefusedPostgresParameters {
		entry := "`" + r.Name + "`"
		if r.Prefix {
			entry = "`" + r.Name + "*`"
		}
		if !strings.Contains(string(readme), "| "+entry+" | "+r.Why+" |") {
			t.Errorf("README.md has no row %q for a refused parameter", "| "+entry+" | "+r.Why+" |")
		}
	}
	if !strings.Contains(string(readme), "| `max_wal_senders` |") {
		t.Error("README.md does not list max_wal_senders")
	}
}

func TestValidatePerconaProduction(t *testing.T) {
	q := resource.MustParse
	cases := map[string]struct {
		reason string
		edit   func(*v1alpha1.PerconaConfig)
		want   []string
	}{
		"AProductionShapeIsValid": {
			reason: "The shape the README recommends for production must pass, every field of it.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Replicas = ptr.To[int32](3)
				p.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("1")}, Limits: corev1.ResourceList{corev1.ResourceCPU: q("2")}}
				p.Tolerations = []corev1.Toleration{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}, {Operator: corev1.TolerationOpExists}}
				p.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule}}
				p.NodeSelector = map[string]string{"node-role.kubernetes.io/db": ""}
				p.PriorityClassName = ptr.To("database")
				p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true, Replicas: ptr.To[int32](2)}}
			},
		},
		"EveryBadFieldAtOnce": {
			reason: "Every bad field is named at once with its path and the fix, before the operator rejects or misapplies one after another.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("2Gi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("1Gi")}}
				p.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists, Value: "db"}, {Operator: "In"}, {Value: "x"}}
				p.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{WhenUnsatisfiable: "Maybe"}}
				p.NodeSelector = map[string]string{"bad key!": "x"}
				p.PriorityClassName = ptr.To("Not_A_Name")
				p.RepoHost = &v1alpha1.PerconaRepoHostSpec{Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("-1")}}}
				p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true, Replicas: ptr.To[int32](9)}}
				p.PostgreSQL = params("fsync", "off")
			},
			want: []string{
				`spec.percona.resources.requests.memory: Invalid value: "2Gi": must be less than or equal to the limit (1Gi)`,
				"spec.percona.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be at least 1",
				"spec.percona.topologySpreadConstraints[0].topologyKey: Required value: a node label, e.g. topology.kubernetes.io/zone",
				`spec.percona.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"`,
				`spec.percona.tolerations[0].value: Invalid value: "db": must be empty with operator Exists`,
				`spec.percona.tolerations[1].operator: Unsupported value: "In": supported values: "Equal", "Exists"`,
				`spec.percona.tolerations[2].operator: Invalid value: "Equal": must be Exists when the key is empty (tolerate every taint)`,
				`spec.percona.nodeSelector[bad key!]: Invalid value: "bad key!": must be a node label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`spec.percona.priorityClassName: Invalid value: "Not_A_Name": must be a PriorityClass name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`spec.percona.repoHost.resources.requests.cpu: Invalid value: "-1": must not be negative`,
				"spec.percona.postgresql.parameters.fsync: Forbidden: not passed through to Patroni: off risks a corrupt, unrecoverable database on any crash of a node",
				"spec.percona.proxy.pgBouncer.replicas: Invalid value: 9: must be between 1 and 5",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, validatePercona(tc.edit)); diff != "" {
				t.Errorf("%s\nValidate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
