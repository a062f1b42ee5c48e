package realdfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// PodInput turns a composed StatefulSet into BootInput the way the kubelet
// would start its container (or init container) named container: env with every secretKeyRef and
// configMapKeyRef resolved against secrets and configMaps (name -> data),
// each volume mount mapped to a fresh host dir, Secret and ConfigMap volumes
// filled with their keys (honouring items), and the config read from the
// file Args' --config names in those volumes, so a config path or mount that
// does not line up fails here. It returns the container too, for checks on
// command, ports and probes.
func PodInput(t *testing.T, sts *appsv1.StatefulSet, container string, secrets, configMaps map[string]map[string]string) (BootInput, corev1.Container, error) {
	t.Helper()
	var c *corev1.Container
	pod := &sts.Spec.Template.Spec
	for _, list := range [][]corev1.Container{pod.InitContainers, pod.Containers} {
		for i := range list {
			if list[i].Name == container {
				c = &list[i]
			}
		}
	}
	if c == nil {
		return BootInput{}, corev1.Container{}, fmt.Errorf("StatefulSet %s has no container %s", sts.Name, container)
	}
	in := BootInput{Env: map[string]string{}, Mounts: map[string]string{}, Args: c.Args}

	for _, e := range c.Env {
		v, ok, err := envValue(e, secrets, configMaps)
		if err != nil {
			return in, *c, err
		}
		if ok {
			in.Env[e.Name] = v
		}
	}
	if len(c.EnvFrom) > 0 {
		return in, *c, fmt.Errorf("container %s: envFrom is not supported here", c.Name)
	}

	volumes := map[string]corev1.Volume{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	claims := map[string]bool{}
	for _, pvc := range sts.Spec.VolumeClaimTemplates {
		claims[pvc.Name] = true
	}
	root := t.TempDir()
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" || m.SubPathExpr != "" {
			return in, *c, fmt.Errorf("mount %s: subPath is not supported here", m.MountPath)
		}
		dir := filepath.Join(root, m.Name)
		in.Mounts[m.MountPath] = dir
		v, isVolume := volumes[m.Name]
		switch {
		case isVolume && v.Secret != nil:
			data, ok := secrets[v.Secret.SecretName]
			if !ok && (v.Secret.Optional == nil || !*v.Secret.Optional) {
				return in, *c, fmt.Errorf("volume %s: no Secret %s", m.Name, v.Secret.SecretName)
			}
			if err := project(dir, data, v.Secret.Items); err != nil {
				return in, *c, fmt.Errorf("volume %s (Secret %s): %w", m.Name, v.Secret.SecretName, err)
			}
		case isVolume && v.ConfigMap != nil:
			data, ok := configMaps[v.ConfigMap.Name]
			if !ok && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) {
				return in, *c, fmt.Errorf("volume %s: no ConfigMap %s", m.Name, v.ConfigMap.Name)
			}
			if err := project(dir, data, v.ConfigMap.Items); err != nil {
				return in, *c, fmt.Errorf("volume %s (ConfigMap %s): %w", m.Name, v.ConfigMap.Name, err)
			}
		case isVolume && v.Projected != nil:
			if err := projectSources(dir, v.Projected.Sources, configMaps); err != nil {
				return in, *c, fmt.Errorf("volume %s (projected): %w", m.Name, err)
			}
		case isVolume && v.EmptyDir != nil, !isVolume && claims[m.Name]:
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return in, *c, err
			}
		default:
			return in, *c, fmt.Errorf("mount %s: volume %s is neither a pod volume of a known kind nor a claim template", m.MountPath, m.Name)
		}
	}

	paths, err := NewContainerPaths(in.Mounts)
	if err != nil {
		return in, *c, err
	}
	config := FlagValue(c.Args, "--config")
	if config == "" { // not dfs start: the wait container
		return in, *c, nil
	}
	if in.ConfigYAML, err = os.ReadFile(paths.Rewrite(config)); err != nil || !paths.isMapped(paths.Rewrite(config)) {
		return in, *c, fmt.Errorf("args --config %q: not a file in the mounted volumes: %w", config, err)
	}
	return in, *c, nil
}

// envValue resolves one env var; ok is false for an optional reference to
// something missing, which the kubelet leaves unset.
func envValue(e corev1.EnvVar, secrets, configMaps map[string]map[string]string) (string, bool, error) {
	if e.ValueFrom == nil {
		// $(VAR) would be expanded by the kubelet; nothing composed uses it.
		if strings.Contains(e.Value, "$(") {
			return "", false, fmt.Errorf("env %s: $(VAR) expansion is not supported here", e.Name)
		}
		return e.Value, true, nil
	}
	lookup := func(kind string, all map[string]map[string]string, name, key string, optional *bool) (string, bool, error) {
		if v, ok := all[name][key]; ok {
			return v, true, nil
		}
		if optional != nil && *optional {
			return "", false, nil
		}
		return "", false, fmt.Errorf("env %s: %s %s has no key %s", e.Name, kind, name, key)
	}
	switch r := e.ValueFrom; {
	case r.SecretKeyRef != nil:
		return lookup("Secret", secrets, r.SecretKeyRef.Name, r.SecretKeyRef.Key, r.SecretKeyRef.Optional)
	case r.ConfigMapKeyRef != nil:
		return lookup("ConfigMap", configMaps, r.ConfigMapKeyRef.Name, r.ConfigMapKeyRef.Key, r.ConfigMapKeyRef.Optional)
	}
	return "", false, fmt.Errorf("env %s: only literal values, secretKeyRef and configMapKeyRef are supported here", e.Name)
}

// project writes a Secret or ConfigMap volume: every key as a file, or only
// items (key -> path) when given, as the kubelet does.
func project(dir string, data map[string]string, items []corev1.KeyToPath) error {
	files := map[string]string{}
	if len(items) == 0 {
		for k, v := range data {
			files[k] = v
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("no key %s", it.Key)
		}
		files[it.Path] = v
	}
	for p, v := range files {
		f := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte(v), 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(dir, 0o755)
}

// RunCommand runs a container's command to completion as the pod would Run
// it (uid 65532 with no capabilities when we are root, a clean env: in's env
// with container paths mapped to in's mounts), with the directories in path
// standing in for the image's PATH (e.g. the PostgreSQL bin dir for psql).
// It returns the combined output; the error is non-nil when the command
// failed or outlived timeout.
func RunCommand(t *testing.T, in BootInput, command []string, path []string, timeout time.Duration) (string, error) {
	t.Helper()
	paths, err := NewContainerPaths(in.Mounts)
	if err != nil {
		return "", err
	}
	home := t.TempDir()
	env := []string{"PATH=" + strings.Join(append(path, "/usr/bin", "/bin"), ":"), "HOME=" + home}
	for _, k := range sortedKeys(in.Env) {
		env = append(env, k+"="+paths.Rewrite(in.Env[k]))
	}
	for _, dir := range append(paths.hostDirs(), home) {
		GiveTo(t, dir, DfsUID, DfsUID)
	}
	args := slices.Clone(command)
	for i := range args {
		args[i] = paths.Rewrite(args[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env, cmd.Dir = env, home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: Credential(DfsUID, DfsUID)}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s", timeout)
	}
	return string(out), err
}

// projectSources writes a projected volume the way the kubelet would, as
// far as it can without an API server: ConfigMap sources from configMaps
// (kube-root-ca.crt, which the kube-controller-manager publishes in every
// namespace, as an empty file when the test gives none), and a service
// account token as a file that no API server accepts.
func projectSources(dir string, sources []corev1.VolumeProjection, configMaps map[string]map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, src := range sources {
		switch {
		case src.ConfigMap != nil:
			data, ok := configMaps[src.ConfigMap.Name]
			if !ok && src.ConfigMap.Name == "kube-root-ca.crt" {
				data = map[string]string{"ca.crt": ""}
			} else if !ok && (src.ConfigMap.Optional == nil || !*src.ConfigMap.Optional) {
				return fmt.Errorf("no ConfigMap %s", src.ConfigMap.Name)
			}
			if err := project(dir, data, src.ConfigMap.Items); err != nil {
				return err
			}
		case src.ServiceAccountToken != nil:
			if err := os.WriteFile(filepath.Join(dir, src.ServiceAccountToken.Path), []byte("realdfs-no-api-server"), 0o600); err != nil {
				return err
			}
		default:
			return fmt.Errorf("only ConfigMap and service account token sources are supported here")
		}
	}
	return nil
}
