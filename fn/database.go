package fn

import (
	"fmt"
	"sort"
	"strings"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Conditions the function sets on the XR and its claim.
const (
	conditionDatabaseReady = "DatabaseReady"
	conditionBackupReady   = "BackupReady"
)

// Percona's condition that says pgBackRest's stanza exists and the first
// backup ran; state ready alone does not mean backups work.
const perconaReadyForBackup = "ReadyForBackup"

// composeDatabase composes the Percona cluster and its backup credentials
// when spec.percona.enabled, and says how the database is doing.
func (c *composer) composeDatabase(observed *pgv2.PerconaPGCluster) error {
	if !c.ds.Spec.Percona.Enabled {
		c.databaseNotComposed()
		return nil
	}
	c.requireRestoreInputs(observed)
	credentials, err := c.composeBackupCredentials()
	if err != nil {
		return err
	}
	extras, err := c.composeBackupExtras()
	if err != nil {
		return err
	}
	keepBackups := false
	if (credentials == "" || !extras) && c.ds.Spec.Percona.Backup.Enabled {
		// The credentials (or the CA, or the passphrase) are not known yet
		// (or are broken). A new cluster whose pgBackRest projects a
		// missing Secret never starts, so wait; an existing one keeps its
		// backups block as it is.
		if observed == nil {
			c.status.Database = &v1alpha1.DatabaseStatus{ClusterName: c.ds.PerconaClusterName()}
			response.ConditionFalse(c.rsp, conditionDatabaseReady, "WaitingForBackupCredentials").
				WithMessage(fmt.Sprintf("PerconaPGCluster %s is created once %s can be read (see BackupReady)", c.ds.PerconaClusterName(), awaitedBackupSecrets(credentials))).TargetCompositeAndClaim()
			return nil
		}
		credentials, keepBackups = projectedCredentials(observed), true
		// The kept block projects what it projected: the derived
		// <xr>-pgbackrest-s3 stays composed as observed even when the
		// credentials now need none (a *.conf Secret while the CA cannot
		// be read), or pgBackRest would project a deleted Secret.
		if err := c.keepObservedUnlessDesired(keyPGBackRestS3); err != nil {
			return err
		}
	}
	repo := c.backupRepoPath(observed)
	pc := build.PerconaCluster(c.ds, c.in, credentials, repo)
	if c.restoreWait, err = c.composeRestore(pc, observed); err != nil {
		return err
	}
	if c.restoreWait != nil {
		// No cluster before its data can be restored: an empty one could
		// never be filled later.
		c.status.Database = &v1alpha1.DatabaseStatus{ClusterName: c.ds.PerconaClusterName()}
		response.ConditionFalse(c.rsp, conditionDatabaseReady, "WaitingForRestoreSource").
			WithMessage(fmt.Sprintf("PerconaPGCluster %s is created once the repository it restores from can be read (see RestoreReady)", c.ds.PerconaClusterName())).TargetCompositeAndClaim()
		return nil
	}
	recordPlainRepository(c.ds, pc, observed, repo)
	if err := c.add(keyPerconaCluster, pc, readiness(perconaReady(observed))); err != nil {
		return err
	}
	if keepBackups {
		c.keepObservedBackups()
	}
	onDemand, err := c.composeOnDemandBackup(observed)
	if err != nil {
		return err
	}
	c.databaseCondition(observed, repo)
	c.onDemandStatus(onDemand)
	if credentials == "" {
		return nil
	}
	return c.add(keyUsageBackup, build.DatabaseUsesCredentials(c.ds, credentials), c.readyByCondition(keyUsageBackup))
}

// composeBackupCredentials returns the Secret pgBackRest projects, composing
// <xr>-pgbackrest-s3 from plain access keys. It returns "" while that Secret
// cannot be known, having said why in the BackupReady condition.
func (c *composer) composeBackupCredentials() (string, error) {
	if !c.ds.Spec.Percona.Backup.Enabled {
		return "", nil
	}
	c.require(requiredS3Credentials, s3CredentialsSelector(c.ds))
	creds, err := readS3Credentials(c.req, c.ds)
	if err != nil {
		return "", err
	}
	switch {
	case creds.Projected != "" && creds.Conf != nil:
		return creds.Projected, c.add(keyPGBackRestS3, build.PGBackRestS3Secret(c.ds, creds.Conf), c.readyOnceObserved(keyPGBackRestS3))
	case creds.Projected != "":
		if creds.Warning != "" {
			response.Warning(c.rsp, errors.New(creds.Warning)).TargetCompositeAndClaim()
		}
		return creds.Projected, nil
	case creds.Problem != "":
		response.Warning(c.rsp, errors.New(creds.Problem)).TargetCompositeAndClaim()
		response.ConditionFalse(c.rsp, conditionBackupReady, "InvalidCredentials").WithMessage(creds.Problem).TargetCompositeAndClaim()
	default:
		response.ConditionFalse(c.rsp, conditionBackupReady, "WaitingForCredentials").WithMessage(creds.Waiting).TargetCompositeAndClaim()
	}
	// Nothing lost: the credentials Secret and its Usage composed before
	// stay desired, as they were, until the user's Secret can be read again.
	return "", c.keepObserved(resource.ReadyTrue, keyPGBackRestS3, keyUsageBackup)
}

// observedPerconaCluster is the observed PerconaPGCluster, typed, or nil.
// One that does not decode is an error: the guards cannot check against it.
func (c *composer) observedPerconaCluster() (*pgv2.PerconaPGCluster, error) {
	return observedTyped[pgv2.PerconaPGCluster](c, keyPerconaCluster, "PerconaPGCluster", perconaFieldsRead)
}

// perconaFieldsRead are the paths of the observed cluster the function
// reads; decoding only these keeps a reconcile cheap.
var perconaFieldsRead = [][]string{
	{"metadata", "generation"},
	{"metadata", "annotations"},
	{"spec", "postgresVersion"},
	{"spec", "users"},
	{"spec", "instances"},
	{"spec", "backups", "enabled"},
	{"spec", "backups", "pgbackrest", "configuration"},
	{"spec", "backups", "pgbackrest", "global", build.RepoPathKey},
	{"spec", "backups", "pgbackrest", "global", build.OptionCipherType},
	{"spec", "backups", "pgbackrest", "repos"},
	{"spec", "dataSource"},
	{"status", "state"},
	{"status", "host"},
	{"status", "pgbouncer"},
	{"status", "observedGeneration"},
	{"status", "conditions"},
}

// projectedCredentials is the Secret an observed cluster's pgBackRest
// projects.
func projectedCredentials(pc *pgv2.PerconaPGCluster) string {
	for _, p := range pc.Spec.Backups.PGBackRest.Configuration {
		if p.Secret != nil {
			return p.Secret.Name
		}
	}
	return ""
}

// perconaReady is the Percona operator's own verdict: state ready, for the
// generation we asked for.
func perconaReady(pc *pgv2.PerconaPGCluster) bool {
	if pc == nil || pc.Status.State != pgv2.AppStateReady {
		return false
	}
	return pc.Status.ObservedGeneration == 0 || pc.Status.ObservedGeneration == pc.Generation
}

// perconaCondition returns the status of one of the cluster's conditions,
// and its reason and message.
func perconaCondition(pc *pgv2.PerconaPGCluster, typ string) (status, reason, message string) {
	if pc == nil {
		return "", "", ""
	}
	for _, cond := range pc.Status.Conditions {
		if cond.Type == typ {
			return string(cond.Status), cond.Reason, cond.Message
		}
	}
	return "", "", ""
}

// databaseCondition tells the user where the database is, and fills the
// status.database block.
func (c *composer) databaseCondition(pc *pgv2.PerconaPGCluster, repoPath string) {
	name := c.ds.PerconaClusterName()
	st := &v1alpha1.DatabaseStatus{ClusterName: name, Host: c.ds.DatabaseHost(), Backup: backupStatus(c.ds, repoPath), KeptRepository: c.keptRepository(pc)}
	c.status.Database = st
	switch {
	case pc == nil:
		response.ConditionFalse(c.rsp, conditionDatabaseReady, "Creating").
			WithMessage(fmt.Sprintf("creating PerconaPGCluster %s; DittoFS starts once it reports ready", name)).TargetCompositeAndClaim()
	case !perconaReady(pc):
		st.State = string(pc.Status.State)
		msg := fmt.Sprintf("waiting for PerconaPGCluster %s to report ready (state %q)", name, spec.OrDefault(string(pc.Status.State), "unknown"))
		if failing := perconaFailures(pc); failing != "" {
			msg += "; Percona reports " + failing
			response.Warning(c.rsp, errors.Errorf("PerconaPGCluster %s is not ready: %s", name, failing)).TargetCompositeAndClaim()
		}
		response.ConditionFalse(c.rsp, conditionDatabaseReady, "Initializing").WithMessage(msg).TargetCompositeAndClaim()
	default:
		st.State = string(pc.Status.State)
		// Percona's status.host names PgBouncer as soon as the proxy is
		// set, before DittoFS goes through it.
		if pc.Status.Host != "" && !c.ds.PGBouncerEnabled() {
			st.Host = pc.Status.Host
		}
		response.ConditionTrue(c.rsp, conditionDatabaseReady, "Available").
			WithMessage(fmt.Sprintf("PerconaPGCluster %s is ready", name)).TargetCompositeAndClaim()
	}
	c.backupCondition(pc, st, repoPath)
}

// backupCondition says whether pgBackRest can back up, from Percona's
// ReadyForBackup condition. A condition already set (credentials missing)
// wins.
func (c *composer) backupCondition(pc *pgv2.PerconaPGCluster, st *v1alpha1.DatabaseStatus, repoPath string) {
	status, reason, message := perconaCondition(pc, perconaReadyForBackup)
	st.BackupReady = c.ds.Spec.Percona.Backup.Enabled && status == "True"
	if c.hasCondition(conditionBackupReady) {
		return
	}
	switch {
	case !c.ds.Spec.Percona.Backup.Enabled:
		response.ConditionFalse(c.rsp, conditionBackupReady, "Disabled").
			WithMessage("backups are off (spec.percona.backup.enabled)").TargetCompositeAndClaim()
	case st.BackupReady:
		response.ConditionTrue(c.rsp, conditionBackupReady, "Available").
			WithMessage(fmt.Sprintf("pgBackRest backs up to s3://%s%s", c.ds.Spec.Percona.Backup.Bucket, repoPath)).TargetCompositeAndClaim()
	default:
		msg := "waiting for pgBackRest to create its stanza and take the first backup"
		if message != "" {
			msg += ": " + message
		}
		response.ConditionFalse(c.rsp, conditionBackupReady, spec.OrDefault(reason, "Waiting")).WithMessage(msg).TargetCompositeAndClaim()
	}
}

// perconaFailures lists the cluster's False conditions with Percona's reason,
// except the backup ones, which BackupReady reports. Sorted by type.
func perconaFailures(pc *pgv2.PerconaPGCluster) string {
	var failing []string
	for _, cond := range pc.Status.Conditions {
		if cond.Status != "False" || cond.Type == perconaReadyForBackup || strings.HasPrefix(cond.Type, "PGBackRest") {
			continue
		}
		f := cond.Type + " (" + cond.Reason
		if cond.Message != "" {
			f += ": " + cond.Message
		}
		failing = append(failing, f+")")
	}
	sort.Strings(failing)
	return strings.Join(failing, ", ")
}

// databaseNotComposed reports a database the function does not compose.
func (c *composer) databaseNotComposed() {
	msg := "DittoFS uses SQLite on its control-plane volume"
	if c.ds.Spec.Database.PostgresSecretRef != nil {
		msg = fmt.Sprintf("DittoFS uses the PostgreSQL in Secret %s", c.ds.Spec.Database.PostgresSecretRef.Name)
	}
	response.ConditionTrue(c.rsp, conditionDatabaseReady, "External").WithMessage(msg).TargetCompositeAndClaim()
	response.ConditionFalse(c.rsp, conditionBackupReady, "Disabled").
		WithMessage("backups are of the composed Percona cluster, which is off (spec.percona.enabled)").TargetCompositeAndClaim()
}

func (c *composer) hasCondition(typ string) bool {
	for _, cond := range c.rsp.GetConditions() {
		if cond.GetType() == typ {
			return true
		}
	}
	return false
}

// keepObservedUnlessDesired keeps the observed object under key as it is,
// ready, unless this call already desires it.
func (c *composer) keepObservedUnlessDesired(key resource.Name) error {
	if _, ok := c.desired[key]; ok {
		return nil
	}
	return c.keepObserved(resource.ReadyTrue, key)
}
