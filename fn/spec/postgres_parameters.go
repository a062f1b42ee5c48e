package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// RefusedParameter is a PostgreSQL parameter spec.percona.postgresql
// .parameters does not pass through to Patroni, and why. Prefix refuses
// every parameter whose name starts with Name.
type RefusedParameter struct {
	Name   string
	Prefix bool
	Why    string
}

// RefusedPostgresParameters are the parameters that would break archiving,
// replication, TLS or the operator's and Patroni's control of the server.
// Nothing in the PerconaPGCluster CRD guards Patroni's dynamic
// configuration (Crunchy's CEL rules cover spec.config.parameters only), and
// the operator overrides some of these silently while it passes others
// (restore_command) straight through, so the function refuses them by name.
// The list follows those CEL rules (postgrescluster_types.go of the
// operator v2.9.0) and adds what they do not cover. max_wal_senders is
// refused only below what the cluster needs (minWALSenders).
var RefusedPostgresParameters = []RefusedParameter{
	{Name: "archive_mode", Why: "the Percona operator keeps it on: pgBackRest archives every WAL segment, which backups and point-in-time restores need"},
	{Name: "archive_command", Why: "the Percona operator sets it to pgBackRest's archive-push; another command would stop WAL reaching the backup repository"},
	{Name: "archive_library", Why: "it takes the place of archive_command (PostgreSQL 15+), so WAL would no longer reach pgBackRest"},
	{Name: "restore_command", Why: "Percona passes it through in place of pgBackRest's archive-get: replicas and restores could no longer fetch WAL from the repository"},
	{Name: "recovery_target", Prefix: true, Why: "a restore is a PerconaPGRestore, not a server setting: a recovery target in the running configuration would stop replay on every replica and restore at that point"},
	{Name: "wal_level", Why: "the operator sets logical; below replica neither streaming replication nor WAL archiving works"},
	{Name: "wal_log_hints", Why: "Patroni keeps it on for pg_rewind, with which a failed primary rejoins as a replica"},
	{Name: "full_page_writes", Why: "off leaves torn pages unrecoverable after a crash, and pg_rewind refuses to run"},
	{Name: "fsync", Why: "off risks a corrupt, unrecoverable database on any crash of a node"},
	{Name: "hot_standby", Why: "Patroni runs replicas as hot standbys and checks them with queries; off breaks that"},
	{Name: "primary_conninfo", Why: "Patroni points each replica at the current primary; a fixed value breaks replication after a failover"},
	{Name: "primary_slot_name", Why: "Patroni manages replication; a fixed slot breaks replication after a failover"},
	{Name: "recovery_min_apply_delay", Why: "it delays replay on every replica, so a failover would wait for or lose the delayed WAL"},
	{Name: "synchronous_standby_names", Why: "Patroni manages synchronous replication; a fixed list blocks every commit while a named standby is away"},
	{Name: "track_commit_timestamp", Why: "the operator keeps it on to track the latest restorable time of the backups"},
	{Name: "ssl", Why: "TLS is always on: DittoFS, PgBouncer, pgBackRest and the replicas connect only over TLS"},
	{Name: "ssl_", Prefix: true, Why: "TLS is the operator's (its certificates, CA and protocol settings): another value can lock out the clients that verify it (DittoFS with verify-full, PgBouncer, pgBackRest, the replicas)"},
	{Name: "listen_addresses", Why: "Patroni sets it: the Services reach PostgreSQL on the pod's addresses"},
	{Name: "port", Why: "Patroni sets it from the cluster's port (5432), which the Services, PgBouncer and the user Secret name"},
	{Name: "unix_socket_", Prefix: true, Why: "the operator and Patroni reach PostgreSQL over its socket in /tmp/postgres"},
	{Name: "hba_file", Why: "Patroni writes pg_hba.conf from the operator's rules (TLS only, SCRAM); another file would bypass them"},
	{Name: "ident_file", Why: "the authentication files are Patroni's (pg_hba.conf from the operator's rules)"},
	{Name: "password_encryption", Why: "the operator's users have SCRAM verifiers and its pg_hba.conf demands scram-sha-256: a password stored otherwise could not log in"},
	{Name: "data_directory", Why: "the data directory is the operator's volume; elsewhere PostgreSQL would not find its data"},
	{Name: "config_file", Why: "Patroni writes and reads postgresql.conf itself"},
	{Name: "external_pid_file", Why: "the operator's and Patroni's"},
	{Name: "cluster_name", Why: "Patroni sets it from the cluster's name"},
	{Name: "logging_collector", Why: "the operator's log handling depends on it; off is unsafe (Crunchy's rule)"},
	{Name: "log_file_mode", Why: "the operator's log handling depends on it (Crunchy's rule)"},
}

// patroniMinWALSenders is Patroni's own floor for max_wal_senders: it
// ignores a lower value (IntValidator(min=3) in Patroni's CMDLINE_OPTIONS).
const patroniMinWALSenders = 3

// MinWALSenders is the fewest WAL senders a cluster of replicas instances
// needs: one per streaming replica, and two for a replica being created or
// rebuilt with pg_basebackup (which streams WAL on a second connection), and
// never fewer than Patroni's floor.
func MinWALSenders(replicas int32) int64 {
	return max(patroniMinWALSenders, int64(replicas)-1+2)
}

// postgresParameterName is how PostgreSQL names a parameter, lower case
// (PostgreSQL folds case, so a refused name written in capitals would slip
// through otherwise), with one dot for an extension's.
var postgresParameterName = regexp.MustCompile(`^[a-z][a-z0-9_]*([.][a-z0-9_]+)*$`)

// maxPostgresParameters is the XRD's maxProperties, as Crunchy's own.
const maxPostgresParameters = 50

// refusal says why name is refused, or "".
func refusal(name string) string {
	for _, r := range RefusedPostgresParameters {
		if name == r.Name || r.Prefix && strings.HasPrefix(name, r.Name) {
			return r.Why
		}
	}
	return ""
}

// validatePostgresParameters names every parameter that is not a valid name
// or value, and every refused one, with the reason.
func validatePostgresParameters(p *field.Path, params map[string]intstr.IntOrString, replicas int32) field.ErrorList {
	var errs field.ErrorList
	if len(params) > maxPostgresParameters {
		errs = append(errs, field.TooMany(p, len(params), maxPostgresParameters))
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names) // one order for the messages
	for _, name := range names {
		v, path := params[name], p.Child(name)
		switch {
		case !postgresParameterName.MatchString(name):
			errs = append(errs, field.Invalid(path, name, "must be a PostgreSQL parameter name in lower case (letters, digits, _, and one . for an extension's, e.g. pg_stat_statements.max)"))
		case name == "max_wal_senders":
			errs = append(errs, validateWALSenders(path, v, replicas)...)
		case refusal(name) != "":
			errs = append(errs, field.Forbidden(path, "not passed through to Patroni: "+refusal(name)))
		case v.Type == intstr.String && strings.ContainsFunc(v.StrVal, isControl):
			errs = append(errs, field.Invalid(path, "(a value with a control character)", "must be one line without control characters"))
		}
	}
	return errs
}

// validateWALSenders: an integer no lower than the cluster needs.
func validateWALSenders(p *field.Path, v intstr.IntOrString, replicas int32) field.ErrorList {
	n := int64(v.IntVal)
	if v.Type == intstr.String {
		var err error
		if n, err = strconv.ParseInt(v.StrVal, 10, 32); err != nil {
			return field.ErrorList{field.Invalid(p, v.StrVal, "must be an integer")}
		}
	}
	if need := MinWALSenders(replicas); n < need {
		return field.ErrorList{field.Invalid(p, n, fmt.Sprintf("must be at least %d with %d instances (spec.percona.replicas): one WAL sender per streaming replica, two for a replica being rebuilt with pg_basebackup, and never below Patroni's minimum of %d, under which it ignores the value", need, replicas, patroniMinWALSenders))}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// parameterValueErrors names every PostgreSQL parameter of a spec that did
// not decode whose value is neither an integer nor a string (a YAML on,
// true or 1.1), or nil when the spec's parameters are not what failed. The
// decoder alone would name only spec.percona.postgresql.parameters.
func parameterValueErrors(rawSpec []byte) error {
	var s struct {
		Percona struct {
			PostgreSQL struct {
				Parameters map[string]json.RawMessage `json:"parameters"`
			} `json:"postgresql"`
		} `json:"percona"`
	}
	if json.Unmarshal(rawSpec, &s) != nil {
		return nil //nolint:nilerr // something else than a parameter's value failed: the caller reports the decoder's error
	}
	params := s.Percona.PostgreSQL.Parameters
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	var msgs []string
	for _, name := range names {
		v := bytes.TrimSpace(params[name])
		var n int32
		if len(v) > 0 && v[0] == '"' || json.Unmarshal(v, &n) == nil {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("spec.percona.postgresql.parameters.%s: must be an integer or a string, not %s: quote it (%q)", name, v, strings.Trim(string(v), `"`)))
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
