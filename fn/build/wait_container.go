package build

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// WaitForDatabaseScript logs in to the database and runs a query, every 2s
// for up to 5 minutes. A TCP check is not enough: DittoFS exits at once, with
// no retry, on any login, TLS or permission error, and the kubelet's backoff
// then grows to 5 minutes.
const WaitForDatabaseScript = `deadline=$(( $(date +%s) + 300 ))
until psql -XqtA -c 'SELECT 1' >/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "wait-for-database: cannot log in to $PGHOST:$PGPORT/$PGDATABASE as $PGUSER after 300s" >&2
    exit 1
  fi
  sleep 2
done
echo "wait-for-database: $PGHOST:$PGPORT/$PGDATABASE is ready"
`

// waitForDatabase is the init container that holds the DittoFS pod until
// the dittofs user can log in over TLS, or nil for SQLite.
func waitForDatabase(ds spec.DittoServer, in v1beta1.Input) *corev1.Container {
	src := PostgresSourceOf(ds)
	if src == nil {
		return nil
	}
	env := []corev1.EnvVar{
		secretEnv("PGHOST", v1alpha1SecretKey(src.Secret, src.HostKey), false),
		secretEnv("PGPORT", v1alpha1SecretKey(src.Secret, src.PortKey), true),
		secretEnv("PGDATABASE", v1alpha1SecretKey(src.Secret, src.DatabaseKey), false),
		secretEnv("PGUSER", v1alpha1SecretKey(src.Secret, "user"), false),
		secretEnv("PGPASSWORD", v1alpha1SecretKey(src.Secret, "password"), false),
		{Name: "PGSSLMODE", Value: src.SSLMode},
		{Name: "PGCONNECT_TIMEOUT", Value: "5"},
		{Name: "HOME", Value: "/tmp"},
	}
	var mounts []corev1.VolumeMount
	if ca := postgresCAVolume(ds); ca != nil {
		env = append(env, corev1.EnvVar{Name: "PGSSLROOTCERT", Value: postgresCAFile})
		mounts = []corev1.VolumeMount{ca.Mount}
	}
	sortEnv(env)
	return &corev1.Container{
		Name:            "wait-for-database",
		Image:           waitImage(ds, in),
		Command:         []string{"/bin/sh", "-c", WaitForDatabaseScript},
		Env:             env,
		VolumeMounts:    mounts,
		SecurityContext: waitSecurityContext(),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("10m"), corev1.ResourceMemory: quantity("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: quantity("64Mi")},
		},
	}
}

// waitImage is the Input's pin, else the PostgreSQL image of the cluster's
// major version (psql of the same major as the server).
func waitImage(ds spec.DittoServer, in v1beta1.Input) string {
	if in.Images.DatabaseWait != "" {
		return in.Images.DatabaseWait
	}
	if ds.Spec.Percona.Enabled {
		return spec.PostgresImage(in, ds.Spec.Percona.PostgresVersion)
	}
	return spec.PostgresImage(in, in.PostgresVersion)
}
