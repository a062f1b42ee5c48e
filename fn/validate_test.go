package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		reason      string
		name        string
		legacy      bool
		noNamespace bool
		spec        func(*v1alpha1.DittoServerSpec)
		want        []string
	}{
		"MinimalIsValid": {reason: "The smallest XR the README shows must be accepted; an error here would refuse every first try.", spec: func(*v1alpha1.DittoServerSpec) {}},
		"FullBackupIsValid": {
			reason: "A complete Percona spec with S3 backups is what production runs; a false error would block it.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				*s = fixture.PerconaSpec(fixture.S3Backup())
			},
		},
		"MetadataSizeRequired": {
			reason: "Without a metadata size no volume can be claimed; the error says what to set, with an example.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "" },
			want:   []string{"spec.storage.metadataSize: Required value: the size of the metadata volume, e.g. 10Gi"},
		},
		"SizesMustBeBinaryQuantities": {
			reason: "10GB and -1Gi would reach the claim and fail there with an opaque message (or not at all); both are named at once, each with its path.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize, s.Storage.ContentSize = "10GB", "-1Gi" },
			want: []string{
				`spec.storage.metadataSize: Invalid value: "10GB": must be a positive size in Mi, Gi or Ti, e.g. 10Gi`,
				`spec.storage.contentSize: Invalid value: "-1Gi": must be a positive size in Mi, Gi or Ti, e.g. 10Gi`,
			},
		},
		"ReplicasAtMostOne": {
			reason: "Two DittoFS servers on one metadata volume would corrupt it; the error says why the limit is one.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.Replicas = ptr.To[int32](2) },
			want:   []string{"spec.replicas: Invalid value: 2: must be between 0 and 1: DittoFS runs a single server"},
		},
		"BackupNeedsBucketEndpointCredentialsAndValidCron": {
			reason: "A backup that misses its bucket, endpoint or credentials, or has a schedule cron refuses, would never run; every problem is named at once so the user fixes them in one go.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				*s = fixture.PerconaSpec(&v1alpha1.PerconaBackupConfig{Enabled: true, FullSchedule: "every night", IncrSchedule: "61 * * * *", RetentionDays: ptr.To[int32](0)})
			},
			want: []string{
				"spec.percona.backup.credentialsSecretRef: Required value: required when backup is enabled: the Secret holding the S3 credentials",
				"spec.percona.backup.bucket: Required value: required when backup is enabled",
				"spec.percona.backup.endpoint: Required value: required when backup is enabled: [https://]host[:port] of the S3 service, e.g. s3.eu-west-1.amazonaws.com",
				`spec.percona.backup.fullSchedule: Invalid value: "every night": must be a five-field cron schedule, e.g. "0 2 * * *"`,
				`spec.percona.backup.incrSchedule: Invalid value: "61 * * * *": must be a five-field cron schedule, e.g. "0 2 * * *"`,
				"spec.percona.backup.retentionDays: Invalid value: 0: must be at least 1",
			},
		},
		"EndpointWithHTTPSIsValid": {
			reason: "An https:// endpoint is the documented way to name a service that is not AWS; it must not be refused with the plain-HTTP one.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				b := fixture.S3Backup()
				b.Endpoint = "https://s3.cubbit.eu"
				*s = fixture.PerconaSpec(b)
			},
		},
		"EndpointOverPlainHTTPIsRefusedWithTheReason": {
			reason: "pgBackRest speaks only TLS to S3: a plain-HTTP endpoint would fail every backup, so it is refused with the reason and what to do.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				b := fixture.S3Backup()
				b.Endpoint = "http://minio.storage.svc:9000"
				*s = fixture.PerconaSpec(b)
			},
			want: []string{`spec.percona.backup.endpoint: Invalid value: "http://minio.storage.svc:9000": ` + spec.EndpointPlainHTTP},
		},
		"BackupWithoutPercona": {
			reason: "Backups are of the composed cluster; asked for without it they would silently do nothing.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Percona = &v1alpha1.PerconaConfig{Backup: fixture.S3Backup()}
			},
			want: []string{"spec.percona.backup.enabled: Forbidden: backups are of the composed Percona cluster: set spec.percona.enabled too"},
		},
		"PostgresVersionWithoutImage": {
			reason: "A major the Input pins no image for would leave the cluster without an image; the error lists the majors that work and who can add one.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				*s = fixture.PerconaSpec(nil)
				s.Percona.PostgresVersion = 13
			},
			want: []string{"spec.percona.postgresVersion: Invalid value: 13: the function Input pins no image for PostgreSQL 13 (images.postgres); choose one of 14, 15, 16, 17, 18 or ask your platform team to pin one"},
		},
		"NameTooLongForPercona": {
			reason: "Percona's name limit would fail only inside the operator, long after apply; the error gives the limit and the names that make it up.",
			name:   "a-dittoserver-name-of-29-char",
			spec:   func(s *v1alpha1.DittoServerSpec) { *s = fixture.PerconaSpec(nil) },
			want:   []string{`metadata.name: Invalid value: "a-dittoserver-name-of-29-char": must be at most 28 characters with spec.percona.enabled: Percona limits cluster name (a-dittoserver-name-of-29-char-postgres) plus instance set name (instance1) to 46 characters`},
		},
		"NameOf28IsFineForPercona": {
			reason: "28 characters is exactly the limit: refusing it would be an off-by-one in the user's way.",
			name:   "a-dittoserver-name-of-28-chr",
			spec:   func(s *v1alpha1.DittoServerSpec) { *s = fixture.PerconaSpec(nil) },
		},
		"PerconaAndExistingPostgresAreAlternatives": {
			reason: "With both a composed and an existing database it is unclear which holds the control plane; one must go.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				*s = fixture.PerconaSpec(nil)
				s.Database = &v1alpha1.DatabaseSpec{PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"}}
			},
			want: []string{"spec.database.postgresSecretRef: Forbidden: spec.percona.enabled composes the database; remove one of the two"},
		},
		"PostgresTypeNeedsADatabase": {
			reason: "type postgres with no database to connect to would leave DittoFS waiting forever; the error names the two ways to give one.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.Database = &v1alpha1.DatabaseSpec{Type: "postgres"} },
			want:   []string{"spec.database.postgresSecretRef: Required value: type postgres needs either postgresSecretRef (an existing PostgreSQL) or spec.percona.enabled"},
		},
		"EnumsCheckedWithoutTheSchema": {
			reason: "crossplane render without --xrd skips the XRD's enums, so the function checks them itself and lists what is supported.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Database = &v1alpha1.DatabaseSpec{Type: "postgresql"}
				s.Logging = &v1alpha1.LoggingSpec{Level: "TRACE"}
			},
			want: []string{
				`spec.database.type: Unsupported value: "postgresql": supported values: "sqlite", "postgres"`,
				`spec.logging.level: Unsupported value: "TRACE": supported values: "DEBUG", "INFO", "WARN", "ERROR"`,
			},
		},
		"PortsMustNotClash": {
			reason: "Two listeners on one port fail DittoFS at start; the clash is named with the other field.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 8080}
			},
			want: []string{`spec.metrics.port: Duplicate value: "8080 is also spec.controlPlane.port"`},
		},
		"TLSNeedsACertificate": {
			reason: "TLS without a certificate cannot serve; the error names the Secret to create.",
			spec:   func(s *v1alpha1.DittoServerSpec) { s.ControlPlane = &v1alpha1.ControlPlaneSpec{TLS: true} },
			want:   []string{"spec.controlPlane.certSecretName: Required value: tls needs the kubernetes.io/tls Secret holding the certificate DittoFS serves"},
		},
		"AdminIsAlwaysAdmin": {
			reason: "DittoFS's admin user is fixed; another name would be silently ignored and the user locked out of the account they expect.",
			spec: func(s *v1alpha1.DittoServerSpec) {
				s.Identity = &v1alpha1.IdentitySpec{Admin: &v1alpha1.AdminSpec{Username: "root"}}
			},
			want: []string{`spec.identity.admin.username: Unsupported value: "root": supported values: "admin"`},
		},
		"LegacyWithoutClaimNeedsANamespace": {
			reason: "A cluster-scoped XR without a claim has no namespace of its own: its objects would have nowhere to go.",
			legacy: true,
			spec:   func(*v1alpha1.DittoServerSpec) {},
			want:   []string{"spec.namespace: Required value: a cluster-scoped XDittoServer without a claim must name the namespace its objects go to"},
		},
		"NamespacedWithoutNamespaceIsToldAboutMetadataNamespace": {
			reason:      "crossplane render takes the namespace only from the XR file; the error says so, since kubectl users never see it missing.",
			noNamespace: true,
			spec:        func(*v1alpha1.DittoServerSpec) {},
			want:        []string{"metadata.namespace: Required value: a DittoServer is namespaced and its objects go to its namespace: set metadata.namespace (kubectl apply -n fills it in; crossplane render takes it only from the XR file)"},
		},
		"NameMustBeADNSLabel": {
			reason: "Service names are DNS-1035 labels: a name starting with a digit would fail at the first Service, so it is refused up front.",
			name:   "9files",
			spec:   func(*v1alpha1.DittoServerSpec) {},
			want:   []string{`metadata.name: Invalid value: "9files": must be a DNS label starting with a letter, as Service names are: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			tc.spec(&s)
			ds := fixture.DittoServer(s)
			if tc.name != "" {
				ds.Name = tc.name
			}
			if tc.legacy {
				ds.Legacy, ds.Namespace = true, ""
			}
			if tc.noNamespace {
				ds.Namespace = ""
			}
			var got []string
			for _, e := range spec.Validate(ds, fixture.Input()) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nspec.Validate(ds, in): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
