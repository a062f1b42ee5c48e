package build

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Names of the volume claim templates and where DittoFS finds them.
const (
	VolumeMetadata     = "metadata"
	VolumeContent      = "content"
	VolumeControlPlane = "controlplane"
	mountMetadata      = "/data/store/metadata"
	mountContent       = "/data/store/block"
	mountControlPlane  = "/data/controlplane"
	volumeConfig       = "config"
)

// podVolume is a volume of the DittoFS pod and where the container mounts it.
type podVolume struct {
	Volume corev1.Volume
	Mount  corev1.VolumeMount
}

// postgresCAVolume is the database's CA at postgresCADir, which the
// dittofs container, the wait for the database and the pre-start step all
// verify the server with; nil when the database names none.
func postgresCAVolume(ds spec.DittoServer) *podVolume {
	src := PostgresSourceOf(ds)
	if src == nil || src.CA == nil {
		return nil
	}
	v := secretKeyVolume("postgres-ca", KeyOr(*src.CA, "ca.crt"), "ca.crt", postgresCADir, nil)
	return &v
}

// dittofsVolumes are the pod's non-PVC volumes: the config, and each Secret
// the config points at, mounted read-only with only the key it needs.
func dittofsVolumes(ds spec.DittoServer) []podVolume {
	s := ds.Spec
	vols := []podVolume{configMapVolume(volumeConfig, ds.ConfigMapName(), configDir)}
	if ca := postgresCAVolume(ds); ca != nil {
		vols = append(vols, *ca)
	}
	if c := s.ControlPlane; c.CertSecretName != "" {
		vols = append(vols, secretVolume("tls-cert", c.CertSecretName, tlsDir))
		if c.ClientCASecretName != "" {
			vols = append(vols, secretKeyVolume("tls-client-ca", v1alpha1.SecretKeySelector{Name: c.ClientCASecretName, Key: "ca.crt"}, "ca.crt", tlsClientCADir, nil))
		}
	}
	if m := s.Metrics; m.Enabled && m.BearerTokenSecret != nil {
		vols = append(vols, secretKeyVolume("metrics-token", KeyOr(*m.BearerTokenSecret, "token"), "token", metricsTokenDir, nil))
	}
	if l := s.Identity.LDAP; l != nil && l.CACertSecretRef != nil {
		vols = append(vols, secretKeyVolume("ldap-ca", KeyOr(*l.CACertSecretRef, "ca.crt"), "ca.crt", ldapCADir, nil))
	}
	return append(vols, kerberosVolumes(s.Identity.Kerberos)...)
}

// kerberosVolumes mount keytabs readable by the DittoFS group only.
func kerberosVolumes(k *v1alpha1.KerberosSpec) []podVolume {
	if k == nil || !k.Enabled {
		return nil
	}
	var vols []podVolume
	if k.KeytabSecretRef != nil {
		vols = append(vols, secretKeyVolume("kerberos-keytab", KeyOr(*k.KeytabSecretRef, "dittofs.keytab"), "dittofs.keytab", kerberosKeytabDir, ptr.To[int32](0o440)))
	}
	if k.Krb5ConfSecretRef != nil {
		vols = append(vols, secretKeyVolume("kerberos-krb5", KeyOr(*k.Krb5ConfSecretRef, "krb5.conf"), "krb5.conf", kerberosKrb5Dir, nil))
	}
	if m := k.MachineAccount; m != nil && m.Enabled && m.KeytabSecretRef != nil {
		vols = append(vols, secretKeyVolume("kerberos-machine-keytab", KeyOr(*m.KeytabSecretRef, "machine.keytab"), "machine.keytab", kerberosMachineDir, ptr.To[int32](0o440)))
	}
	return vols
}

func configMapVolume(name, configMap, path string) podVolume {
	return podVolume{
		Volume: corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: configMap},
		}}},
		Mount: corev1.VolumeMount{Name: name, MountPath: path, ReadOnly: true},
	}
}

func secretVolume(name, secret, path string) podVolume {
	return podVolume{
		Volume: corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}},
		Mount:  corev1.VolumeMount{Name: name, MountPath: path, ReadOnly: true},
	}
}

// secretKeyVolume mounts one key of a Secret as file.
func secretKeyVolume(name string, ref v1alpha1.SecretKeySelector, file, path string, mode *int32) podVolume {
	return podVolume{
		Volume: corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: ref.Name,
			Items:      []corev1.KeyToPath{{Key: ref.Key, Path: file, Mode: mode}},
		}}},
		Mount: corev1.VolumeMount{Name: name, MountPath: path, ReadOnly: true},
	}
}

// claimMounts mount the volume claim templates.
func claimMounts(s v1alpha1.StorageSpec) []corev1.VolumeMount {
	mounts := []corev1.VolumeMount{{Name: VolumeMetadata, MountPath: mountMetadata}}
	if s.ContentSize != "" {
		mounts = append(mounts, corev1.VolumeMount{Name: VolumeContent, MountPath: mountContent})
	}
	return append(mounts, corev1.VolumeMount{Name: VolumeControlPlane, MountPath: mountControlPlane})
}
