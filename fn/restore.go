package fn

import (
	"fmt"
	"strings"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Restore into a new cluster (spec.percona.restore): Percona's
// spec.dataSource.pgbackrest, composed only when the cluster is created.
// The operator (internal/controller/postgrescluster/pgbackrest.go,
// reconcileCloudBasedDataSource and createRestoreConfig, v2.9.0) writes the
// restore Job's pgBackRest configuration from dataSource.global and
// dataSource.repo alone, mounts only dataSource.configuration, and runs
// `pgbackrest restore <options> --stanza=<stanza> --pg1-path=... --repo=1
// --delta [--target-action=promote] --link-map=pg_wal=...` through
// `bash -xc`, so an option holding a space must be quoted for bash.

// Names of the required resources the restore reads.
const (
	requiredRestoreSource      = "restore-source"
	requiredRestoreCredentials = "restore-s3-credentials"
	requiredRestoreAdmin       = "restore-admin"
)

// annotationRestoredFrom records on the cluster what it was restored from,
// as the spec said when it was created; a later change of
// spec.percona.restore is compared with it, and only warned about.
const annotationRestoredFrom = "dittofs.io/restored-from"

// restoredFrom is the annotation's value: where the spec says to restore
// from, in words, without any secret (a Secret's name, never its data). A
// part is written only when its field is set, so the annotation of a
// cluster restored before that field existed still reads the same.
func restoredFrom(r *v1alpha1.PerconaRestoreConfig) string {
	if r == nil {
		return ""
	}
	var s string
	if r.From.DittoServer != "" {
		s = "dittoServer " + r.From.DittoServer
	} else {
		s = "s3://" + r.From.Bucket + r.From.RepoPath + " at " + spec.ComposedEndpoint(r.From.Endpoint)
	}
	if ca := r.From.CASecretRef; ca != nil {
		s += ", ca " + ca.Name + "/" + spec.OrDefault(ca.Key, "ca.crt")
	}
	if e := r.From.Encryption; e != nil {
		s += ", encrypted, passphrase " + e.PassphraseSecretRef.Name + "/" + spec.OrDefault(e.PassphraseSecretRef.Key, "passphrase")
	}
	if r.PointInTime != "" {
		s += ", pointInTime " + r.PointInTime
	}
	return s
}

// restoreWait is why the cluster cannot be created yet (nil when it can).
type restoreWait struct {
	Reason, Message string
	// Warn says the user must act (a source that does not exist), not
	// merely wait.
	Warn bool
}

// requireRestoreInputs asks for everything a restore reads, up front and
// whatever else is known yet: Crossplane calls again until the
// requirements settle, and they must be the same on every call of a
// reconcile.
func (c *composer) requireRestoreInputs(observed *pgv2.PerconaPGCluster) {
	r := c.ds.Spec.Percona.Restore
	if r == nil {
		return
	}
	if c.adminFromRestore() {
		c.require(requiredRestoreAdmin, secretSelector(c.ds.Namespace, c.ds.RestoreAdminSecret().Name))
	}
	if observed != nil {
		return
	}
	c.requireRawSourceSecrets()
	if r.From.DittoServer != "" {
		c.require(requiredRestoreSource, &fnv1.ResourceSelector{
			ApiVersion: v1alpha1Group + "/v1alpha1",
			Kind:       "DittoServer",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: r.From.DittoServer},
			Namespace:  ptr.To(c.ds.Namespace),
		})
	}
	if !c.restoreUsesBackupCredentials() {
		c.require(requiredRestoreCredentials, secretSelector(c.ds.Namespace, c.ds.RestoreCredentialsSecret()))
	}
}

// restoreUsesBackupCredentials: the source is read with the Secret the
// backups use, projected once for both.
func (c *composer) restoreUsesBackupCredentials() bool {
	b := c.ds.Spec.Percona.Backup
	return b.Enabled && b.CredentialsSecretRef != nil && b.CredentialsSecretRef.Name == c.ds.RestoreCredentialsSecret()
}

// composeRestore sets the new cluster's dataSource from spec.percona.restore,
// or keeps an observed cluster's as it is. It returns a wait when the
// cluster must not be created yet: creating it without its data would give
// an empty database that a later restore can no longer fill.
func (c *composer) composeRestore(pc *pgv2.PerconaPGCluster, observed *pgv2.PerconaPGCluster) (*restoreWait, error) {
	if observed != nil {
		c.keepObservedDataSource(pc, observed)
		return nil, c.keepRestoreSecrets(observed)
	}
	r := c.ds.Spec.Percona.Restore
	if r == nil {
		return nil, nil
	}
	repo, wait := c.restoreSourceRepo()
	if wait != nil {
		return wait, nil
	}
	if wait, err := c.rawSourceSecrets(&repo); err != nil || wait != nil {
		return wait, err
	}
	credentials, wait, err := c.restoreCredentials()
	if err != nil || wait != nil {
		return wait, err
	}
	if err := c.checkRestoreTarget(repo); err != nil {
		return nil, err
	}
	pc.Spec.DataSource = build.RestoreDataSource(repo, credentials, r.PointInTime)
	c.warnRawRestoreStores()
	if pc.Annotations == nil {
		pc.Annotations = map[string]string{}
	}
	pc.Annotations[annotationRestoredFrom] = restoredFrom(r)
	c.restoreSource = &v1alpha1.RestoreSourceStatus{RepoPath: repo.RepoPath, Bucket: repo.Bucket, Endpoint: spec.ComposedEndpoint(repo.Endpoint), Target: strings.Trim(strings.TrimPrefix(optionTarget(pc.Spec.DataSource.PGBackRest.Options), "--target="), `"`)}
	return nil, nil
}

// keepObservedDataSource: the dataSource of an existing cluster is what it
// was created with (Percona reads it only then); it stays exactly as
// observed, and a spec.percona.restore that says otherwise is warned about.
func (c *composer) keepObservedDataSource(pc, observed *pgv2.PerconaPGCluster) {
	pc.Spec.DataSource = observed.Spec.DataSource
	was := observed.Annotations[annotationRestoredFrom]
	if was != "" {
		if pc.Annotations == nil {
			pc.Annotations = map[string]string{}
		}
		pc.Annotations[annotationRestoredFrom] = was
	}
	if ds := observed.Spec.DataSource; ds != nil && ds.PGBackRest != nil {
		c.restoreSource = &v1alpha1.RestoreSourceStatus{
			RepoPath: ds.PGBackRest.Global[build.RepoPathKey], Bucket: s3Bucket(ds.PGBackRest.Repo), Endpoint: repoS3Endpoint(ds.PGBackRest.Repo),
			Target: strings.Trim(strings.TrimPrefix(optionTarget(ds.PGBackRest.Options), "--target="), `"`),
		}
	}
	now := restoredFrom(c.ds.Spec.Percona.Restore)
	if now == was {
		return
	}
	name := c.ds.PerconaClusterName()
	if was == "" {
		response.Warning(c.rsp, errors.Errorf("spec.percona.restore has no effect: PerconaPGCluster %s exists already, and a restore only fills a cluster when it is created. To restore into a new server, create a new DittoServer with spec.percona.restore; to recover this one in place, use spec.percona.recovery", name)).TargetCompositeAndClaim()
		return
	}
	response.Warning(c.rsp, errors.Errorf("spec.percona.restore has no effect on an existing cluster: PerconaPGCluster %s was created restored from %s and keeps that dataSource; the spec now says %q. To recover this server in place, use spec.percona.recovery", name, was, spec.OrDefault(now, "none"))).TargetCompositeAndClaim()
}

func s3Bucket(r crunchyv1beta1.PGBackRestRepo) string {
	if r.S3 == nil {
		return ""
	}
	return r.S3.Bucket
}

func repoS3Endpoint(r crunchyv1beta1.PGBackRestRepo) string {
	if r.S3 == nil {
		return ""
	}
	return r.S3.Endpoint
}

// optionTarget is the --target option among options, or "".
func optionTarget(options []string) string {
	for _, o := range options {
		if strings.HasPrefix(o, "--target=") {
			return o
		}
	}
	return ""
}

// restoreSourceRepo resolves restore.from: the raw coordinates, or the
// source DittoServer's status.database.backup, read as a required resource
// of the XR's own namespace.
func (c *composer) restoreSourceRepo() (build.RestoreRepo, *restoreWait) {
	from := c.ds.Spec.Percona.Restore.From
	b := c.ds.Spec.Percona.Backup
	if from.DittoServer == "" {
		return build.RestoreRepo{
			RepoPath: from.RepoPath, Bucket: from.Bucket, Endpoint: from.Endpoint,
			Region: spec.OrDefault(from.Region, b.Region), URIStyle: spec.OrDefault(from.URIStyle, b.URIStyle),
			VerifyTLS: ptr.Deref(from.VerifyTLS, ptr.Deref(b.VerifyTLS, true)),
		}, nil
	}
	found, resolved, err := request.GetRequiredResource(c.req, requiredRestoreSource)
	where := fmt.Sprintf("DittoServer %s/%s (spec.percona.restore.from.dittoServer)", c.ds.Namespace, from.DittoServer)
	switch {
	case err != nil:
		return build.RestoreRepo{}, &restoreWait{Reason: "SourceUnreadable", Message: fmt.Sprintf("cannot read %s: %v", where, err), Warn: true}
	case !resolved:
		return build.RestoreRepo{}, &restoreWait{Reason: "WaitingForSource", Message: "waiting for Crossplane to fetch " + where}
	case len(found) == 0:
		return build.RestoreRepo{}, &restoreWait{Reason: "SourceNotFound", Message: where + " does not exist in this namespace; name a DittoServer of this namespace, or give the repository's coordinates (repoPath, bucket, endpoint)", Warn: true}
	}
	src := found[0].Resource.Object
	if shared := c.sharedSourceStores(src, from.DittoServer); len(shared) > 0 {
		return build.RestoreRepo{}, sourceStoresSharedWait(where, shared)
	}
	get := func(path string) string {
		v, _, _ := unstructured.NestedString(src, strings.Split(path, ".")...)
		return v
	}
	repo := build.RestoreRepo{
		RepoPath: get("status.database.backup.repoPath"), Bucket: get("status.database.backup.bucket"),
		Endpoint: get("status.database.backup.endpoint"), Region: get("status.database.backup.region"),
		URIStyle:  spec.OrDefault(from.URIStyle, spec.OrDefault(get("spec.percona.backup.uriStyle"), b.URIStyle)),
		VerifyTLS: ptr.Deref(from.VerifyTLS, true),
	}
	if from.VerifyTLS == nil {
		if v, ok, _ := unstructured.NestedBool(src, "spec", "percona", "backup", "verifyTLS"); ok {
			repo.VerifyTLS = v
		}
	}
	// A private CA and an encrypted repository are the source's: its CA
	// Secret (of this namespace, as the source is) and the cipher Secret it
	// composed hold what the restore Job needs to read it.
	if ca := get("spec.percona.backup.caSecretRef.name"); ca != "" {
		repo.CASecret, repo.CAKey = ca, spec.OrDefault(get("spec.percona.backup.caSecretRef.key"), "ca.crt")
	}
	if encrypted, _, _ := unstructured.NestedBool(src, "status", "database", "backup", "encrypted"); encrypted {
		repo.CipherSecret = spec.DittoServer{Name: from.DittoServer}.PGBackRestCipherSecretName()
	}
	if repo.RepoPath == "" || repo.Bucket == "" || repo.Endpoint == "" {
		return build.RestoreRepo{}, &restoreWait{Reason: "SourceHasNoBackups", Message: where + " reports no backup repository (status.database.backup: repoPath, bucket, endpoint); it needs spec.percona.backup.enabled and a composed cluster", Warn: true}
	}
	return repo, nil
}

// v1alpha1Group is the XR API's group, the source DittoServer's.
const v1alpha1Group = "dittofs.dittofs.com"

// restoreCredentials is the Secret the restore Job projects: the backups'
// own when the restore uses the same credentials Secret, else the user's
// own (holding a *.conf) or <xr>-pgbackrest-restore-s3 composed from plain
// keys.
func (c *composer) restoreCredentials() (string, *restoreWait, error) {
	name := c.ds.RestoreCredentialsSecret()
	if c.restoreUsesBackupCredentials() {
		creds, err := readS3Credentials(c.req, c.ds)
		if err != nil {
			return "", nil, err
		}
		if creds.Projected == "" {
			return "", &restoreWait{Reason: "WaitingForCredentials", Message: "the source's S3 credentials are the backups' own: " + spec.OrDefault(creds.Waiting, creds.Problem)}, nil
		}
		return creds.Projected, nil, nil
	}
	found, resolved, err := request.GetRequiredResource(c.req, requiredRestoreCredentials)
	where := fmt.Sprintf("the S3 credentials Secret %s/%s (spec.percona.restore.from.credentialsSecretRef)", c.ds.Namespace, name)
	switch {
	case err != nil:
		return "", nil, errors.Wrapf(err, "cannot read required resource %q", requiredRestoreCredentials)
	case !resolved:
		return "", &restoreWait{Reason: "WaitingForCredentials", Message: "waiting for Crossplane to fetch " + where}, nil
	case len(found) == 0:
		return "", &restoreWait{Reason: "InvalidCredentials", Message: where + " does not exist; " + s3CredentialsHelp, Warn: true}, nil
	}
	data, err := secretData(found[0])
	if err != nil {
		return "", &restoreWait{Reason: "InvalidCredentials", Message: fmt.Sprintf("%s cannot be read (%v); %s", where, err, s3CredentialsHelp), Warn: true}, nil
	}
	creds := s3CredentialsFrom(c.ds, name, data)
	switch {
	case creds.Problem != "":
		return "", &restoreWait{Reason: "InvalidCredentials", Message: creds.Problem, Warn: true}, nil
	case creds.Conf != nil:
		s := build.RestoreS3Secret(c.ds, creds.Conf)
		return s.Name, nil, c.add(keyRestoreS3, s, c.readyOnceObserved(keyRestoreS3))
	default:
		if creds.Warning != "" {
			response.Warning(c.rsp, errors.New(creds.Warning)).TargetCompositeAndClaim()
		}
		return creds.Projected, nil, nil
	}
}

// checkRestoreTarget: the new cluster writes its own backups to its own
// repository, never into the one it restores from. Its repo path is new
// (unique per XR UID), so only raw coordinates naming this XR's own path
// can collide; that would have two clusters archive into one stanza.
func (c *composer) checkRestoreTarget(src build.RestoreRepo) error {
	b := c.ds.Spec.Percona.Backup
	if !b.Enabled {
		return nil
	}
	own := c.ds.NewRepoPath()
	if src.RepoPath == own && src.Bucket == b.Bucket && spec.ComposedEndpoint(src.Endpoint) == spec.ComposedEndpoint(b.Endpoint) {
		return unsafeChangeError{errs: field.ErrorList{field.Invalid(field.NewPath("spec", "percona", "restore", "from", "repoPath"), src.RepoPath,
			"is the repository this DittoServer's own backups write to (s3://"+src.Bucket+src.RepoPath+"); a restored cluster backs up to a new path, never into its source's. Restore from the source's repoPath (its status.database.backup.repoPath)")}}
	}
	return nil
}

// restoredAdminPassword is the source's admin password, for <xr>-admin when
// the function creates it for a restored server: the restored database
// keeps the source's users, so a new random password would not log in.
// While the Secret cannot be read, wait says why.
func (c *composer) restoredAdminPassword() (password []byte, wait string) {
	ref := c.ds.RestoreAdminSecret()
	where := fmt.Sprintf("the source's admin Secret %s/%s key %s (spec.percona.restore.from.adminSecretRef)", c.ds.Namespace, ref.Name, ref.Key)
	found, resolved, err := request.GetRequiredResource(c.req, requiredRestoreAdmin)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("cannot read %s: %v", where, err)
	case !resolved:
		return nil, "waiting for Crossplane to fetch " + where
	case len(found) == 0:
		return nil, where + " does not exist; the restored database keeps the source's admin password, so DittoFS is started once the new admin Secret can hold it"
	}
	data, err := secretData(found[0])
	if err != nil || len(data[ref.Key]) == 0 {
		return nil, where + " has no such key (it has " + keyList(data) + ")"
	}
	return data[ref.Key], ""
}

// adminFromRestore says whether <xr>-admin is copied from the source: a
// restored server whose admin password the function generates, before
// <xr>-admin exists (then it is kept as it is).
func (c *composer) adminFromRestore() bool {
	return c.ds.Spec.Percona.Enabled && c.ds.Spec.Percona.Restore != nil &&
		c.ds.Spec.Identity.Admin.PasswordSecretRef == nil && !c.isObserved(keyAdminSecret)
}

// waitingForRestoredAdminError stops the workloads until the source's admin
// password can be copied.
type waitingForRestoredAdminError struct{ msg string }

func (e waitingForRestoredAdminError) Error() string { return e.msg }

// The states of status.database.restore.source.state.
const (
	restoreStateRestoring = "Restoring"
	restoreStateRestored  = "Restored"
)

// restoredBefore says the observed XR status already reports this source
// restored (the same repository path): once restored, a cluster stays
// restored, whatever its readiness says later.
func (c *composer) restoredBefore() bool {
	was := c.observedXRStatus("database", "restore", "source")
	state, _ := was["state"].(string)
	path, _ := was["repoPath"].(string)
	return state == restoreStateRestored && path == c.restoreSource.RepoPath
}

// restoreCondition reports the restore into a new cluster in RestoreReady,
// unless a recovery already did.
func (c *composer) restoreCondition(observed *pgv2.PerconaPGCluster, wait *restoreWait) {
	if c.hasCondition(conditionRestoreReady) {
		return
	}
	switch {
	case wait != nil:
		if wait.Warn {
			response.Warning(c.rsp, errors.New(wait.Message)).TargetCompositeAndClaim()
		}
		response.ConditionFalse(c.rsp, conditionRestoreReady, wait.Reason).WithMessage(wait.Message + "; the cluster is created once its data can be restored").TargetCompositeAndClaim()
	case c.restoreSource == nil:
		response.ConditionTrue(c.rsp, conditionRestoreReady, "NoneRequested").WithMessage("no restore or recovery is asked for").TargetCompositeAndClaim()
	case perconaReady(observed) || c.restoredBefore():
		c.restoreSource.State = restoreStateRestored
		response.ConditionTrue(c.rsp, conditionRestoreReady, "Restored").WithMessage(fmt.Sprintf("the database was restored from s3://%s%s%s", c.restoreSource.Bucket, c.restoreSource.RepoPath, targetWords(c.restoreSource.Target))).TargetCompositeAndClaim()
	default:
		c.restoreSource.State = restoreStateRestoring
		response.ConditionFalse(c.rsp, conditionRestoreReady, "Restoring").WithMessage(fmt.Sprintf("Percona restores PerconaPGCluster %s from s3://%s%s%s; DittoFS starts once it reports ready", c.ds.PerconaClusterName(), c.restoreSource.Bucket, c.restoreSource.RepoPath, targetWords(c.restoreSource.Target))).TargetCompositeAndClaim()
	}
}

func targetWords(target string) string {
	if target == "" {
		return " (latest)"
	}
	return " to " + target
}

// conditionRestoreReady reports a restore or recovery.
const conditionRestoreReady = "RestoreReady"

// setRestoreStatus writes status.database.restore.
func (c *composer) setRestoreStatus() {
	if c.status.Database == nil || (c.restoreSource == nil && c.recoveryStatus == nil) {
		return
	}
	c.status.Database.Restore = &v1alpha1.RestoreStatus{Source: c.restoreSource, Recovery: c.recoveryStatus}
}
