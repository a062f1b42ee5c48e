package boot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// TestAdapterPortsRendered checks every adapter port the function composes
// with a real client against real DittoFS v0.29.0, booted from the rendered
// StatefulSet: each port of the adapter Services (on a loopback address of
// their own, forwarded to the targetPort as kube-proxy does) and each port
// of the container (on 127.0.0.1, the pod). A composed port without a
// client check fails, and so does a check that fails. The container ports,
// the Services' targetPorts and the NetworkPolicy's ports must be the same
// set.
//
//   - dittofs-production turns on what DittoFS serves beside NFS and SMB
//     over TCP: the portmapper (TCP and UDP) and MOUNT/NLM/NSM over UDP.
//     DittoFS keeps both in its NFS adapter settings (off by default) and
//     starts them when the adapter starts, so the test sets them through
//     the API and restarts dfs, as the XR's field documentation tells the
//     user to.
//   - sqlite-minimal composes neither, and the server, left at its
//     defaults, serves neither: exposing them by default would expose
//     nothing.
func TestAdapterPortsRendered(t *testing.T) {
	skipShort(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: the Services' ports 111, 445 and 2049 are privileged")
	}
	for _, tool := range []string{"rpcinfo", "nfs-ls", "nfs-cp", "nfs-cat", "smbclient"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (Debian rpcbind, libnfs-utils, smbclient; .ci/run installs them)", tool)
		}
	}
	t.Run("dittofs-production", func(t *testing.T) {
		r := renderExample(t, "dittofs-production")
		nfs := containerPort(t, r.StatefulSet, "nfs")
		pm := containerPort(t, r.StatefulSet, "portmap")
		s := bootWithShare(t, r)
		s.patchNFSSettings(t, map[string]any{"portmapper_enabled": true, "portmapper_port": pm.ContainerPort, "udp_enabled": true})
		s.restart(t)
		checkPorts(t, r, s, nfs.ContainerPort)
	})
	t.Run("sqlite-minimal", func(t *testing.T) {
		r := renderExample(t, "sqlite-minimal")
		for _, c := range r.StatefulSet.Spec.Template.Spec.Containers[0].Ports {
			if c.Protocol == corev1.ProtocolUDP || strings.HasPrefix(c.Name, "portmap") {
				t.Errorf("container port %s (%d/%s) composed without spec.adapters.nfs.portmapper or udp", c.Name, c.ContainerPort, c.Protocol)
			}
		}
		nfs := containerPort(t, r.StatefulSet, "nfs")
		s := bootWithShare(t, r)
		// DittoFS at its defaults: no portmapper on its default port, no UDP.
		for _, call := range []struct{ netid, prog, vers string }{{"tcp", "100000", "2"}, {"udp", "100000", "2"}} {
			if out, err := rpcinfo(t, "-a", uaddr("127.0.0.1", 10111), "-T", call.netid, call.prog, call.vers); err == nil {
				t.Errorf("a portmapper answers on 10111/%s with the default settings: %s", call.netid, out)
			}
		}
		if out, err := rpcinfo(t, "-a", uaddr("127.0.0.1", int(nfs.ContainerPort)), "-T", "udp", "100005", "3"); err == nil {
			t.Errorf("MOUNT answers over UDP on %d with the default settings: %s", nfs.ContainerPort, out)
		}
		checkPorts(t, r, s, nfs.ContainerPort)
	})
}

// checkPorts runs a real client against every adapter Service port and
// every container port, and compares the three port sets.
func checkPorts(t *testing.T, r realdfs.Rendered, s *shareServer, nfsPort int32) {
	t.Helper()
	containerPorts := r.StatefulSet.Spec.Template.Spec.Containers[0].Ports
	checkPortSets(t, r, containerPorts)

	for i, c := range containerPorts {
		t.Run(fmt.Sprintf("pod/%s-%d-%s", c.Name, c.ContainerPort, c.Protocol), func(t *testing.T) {
			s.check(t, "127.0.0.1", c.Name, c.Protocol, int(c.ContainerPort), int(nfsPort), i)
		})
	}
	for i, svc := range adapterServices(r) {
		for _, p := range svc.Spec.Ports {
			if int(p.Port) != p.TargetPort.IntValue() && realdfs.PortInUse(int(p.Port)) {
				t.Fatalf("Service %s port %s: %d is already taken on this machine (a system rpcbind holds 111: systemctl stop rpcbind.socket rpcbind)", svc.Name, p.Name, p.Port)
			}
		}
		ip := fmt.Sprintf("127.0.0.%d", 2+i)
		if err := realdfs.ServeService(t, ip, svc); err != nil {
			t.Fatal(err)
		}
		s.services[ip] = svc
		for j, p := range svc.Spec.Ports {
			t.Run(fmt.Sprintf("service/%s/%s-%d-%s", svc.Name, p.Name, p.Port, p.Protocol), func(t *testing.T) {
				s.check(t, ip, p.Name, p.Protocol, int(p.Port), int(nfsPort), 100*(i+1)+j)
			})
		}
	}
}

// checkPortSets: what the NetworkPolicy admits is what the container
// declares, and every Service targets a declared container port.
func checkPortSets(t *testing.T, r realdfs.Rendered, containerPorts []corev1.ContainerPort) {
	t.Helper()
	declared := []string{}
	for _, c := range containerPorts {
		declared = append(declared, fmt.Sprintf("%d/%s", c.ContainerPort, c.Protocol))
	}
	slices.Sort(declared)
	if len(r.NetworkPolicies) != 1 {
		t.Fatalf("want one NetworkPolicy, rendered %d", len(r.NetworkPolicies))
	}
	admitted := []string{}
	for _, rule := range r.NetworkPolicies[0].Spec.Ingress {
		for _, p := range rule.Ports {
			admitted = append(admitted, fmt.Sprintf("%s/%s", p.Port.String(), *p.Protocol))
		}
	}
	slices.Sort(admitted)
	if !slices.Equal(declared, admitted) {
		t.Errorf("the NetworkPolicy admits %v, the container declares %v", admitted, declared)
	}
	for _, svc := range r.Services {
		for _, p := range svc.Spec.Ports {
			if target := fmt.Sprintf("%d/%s", p.TargetPort.IntValue(), p.Protocol); !slices.Contains(declared, target) {
				t.Errorf("Service %s port %s targets %s, which the container does not declare (%v)", svc.Name, p.Name, target, declared)
			}
		}
	}
}

// adapterServices are the rendered NFS and SMB Services.
func adapterServices(r realdfs.Rendered) []corev1.Service {
	var out []corev1.Service
	for _, svc := range r.Services {
		if strings.HasSuffix(svc.Name, "-nfs") || strings.HasSuffix(svc.Name, "-smb") {
			out = append(out, svc)
		}
	}
	return out
}

// check runs the client for one composed port, named as the function
// names them, on ip:port. nfsPort is where DittoFS listens for NFS, which
// its portmapper hands out.
func (s *shareServer) check(t *testing.T, ip, name string, proto corev1.Protocol, port, nfsPort, n int) {
	t.Helper()
	switch key := name + "/" + string(proto); key {
	case "api/TCP":
		if ip == "127.0.0.1" { // the pod: where dfs listens, moved when 8080 is busy here
			s.httpOK(t, s.d.Base+"/health")
			return
		}
		s.httpOK(t, "http://"+net.JoinHostPort(ip, strconv.Itoa(port))+"/health")
	case "metrics/TCP":
		s.httpOK(t, "http://"+net.JoinHostPort(ip, strconv.Itoa(port))+"/metrics")
	case "nfs/TCP":
		// NFSv3 with MOUNT on the same port, as a client given explicit
		// ports does (mount -o port=,mountport=): write, list, read back.
		file := fmt.Sprintf("nfs-%d.txt", n)
		url := fmt.Sprintf("nfs://%s/export/%s?nfsport=%d&mountport=%d&version=3&uid=1000&gid=1000", ip, file, port, port)
		s.nfsRoundTrip(t, url, file)
	case "nfs-rpc/TCP":
		// The port DittoFS's portmapper hands out: a client that asks the
		// portmapper (111 on the same address) for MOUNT and NFS dials it.
		if port != nfsPort {
			t.Fatalf("nfs-rpc is %d, want the NFS port the portmapper hands out, %d", port, nfsPort)
		}
		file := fmt.Sprintf("pm-%d.txt", n)
		s.nfsRoundTrip(t, fmt.Sprintf("nfs://%s/export/%s?version=3&uid=1000&gid=1000", ip, file), file)
	case "nfs-udp/UDP", "nfs-rpc-udp/UDP":
		// MOUNT, NLM and NSM over UDP; NFS itself is not served over UDP.
		for _, prog := range [][2]string{{"100005", "3"}, {"100021", "4"}, {"100024", "1"}} {
			if out, err := rpcinfo(t, "-a", uaddr(ip, port), "-T", "udp", prog[0], prog[1]); err != nil || !strings.Contains(out, "ready and waiting") {
				t.Errorf("program %s v%s over UDP on %s:%d: %v\n%s", prog[0], prog[1], ip, port, err, out)
			}
		}
		if out, err := rpcinfo(t, "-a", uaddr(ip, port), "-T", "udp", "100003", "3"); err == nil {
			t.Errorf("NFSv3 answers over UDP, which DittoFS v0.29.0 does not serve: %s", out)
		}
	case "portmap/TCP":
		out, err := rpcinfo(t, "-a", uaddr(ip, port), "-T", "tcp", "100000", "2")
		if err != nil || !strings.Contains(out, "ready and waiting") {
			t.Fatalf("portmapper over TCP on %s:%d: %v\n%s", ip, port, err, out)
		}
		if port == 111 { // rpcinfo -p always asks port 111
			s.checkRegistrations(t, ip, nfsPort, s.services[ip])
		}
	case "portmap-udp/UDP":
		out, err := rpcinfo(t, "-a", uaddr(ip, port), "-T", "udp", "100000", "2")
		if err != nil || !strings.Contains(out, "ready and waiting") {
			t.Fatalf("portmapper over UDP on %s:%d: %v\n%s", ip, port, err, out)
		}
	case "smb/TCP":
		s.smbList(t, ip, port)
	default:
		t.Errorf("no client check for the composed port %s (%d/%s): add one before composing it", name, port, proto)
	}
}

// checkRegistrations: rpcinfo -p on ip (port 111) lists NFS, MOUNT, NLM and
// NSM over TCP and UDP as DittoFS registers them, all on nfsPort, and the
// Service serves every port the portmapper hands out, over its protocol: a
// client that asked the portmapper dials the Service's address there. (On
// this machine dfs listens on every address, so only this comparison shows
// that the Service needs those ports.) The portmapper's own entry, at the
// port it listens on in the pod, is left out: whoever reads it has already
// reached the portmapper.
func (s *shareServer) checkRegistrations(t *testing.T, ip string, nfsPort int, svc corev1.Service) {
	t.Helper()
	out, err := rpcinfo(t, "-p", ip)
	if err != nil {
		t.Fatalf("rpcinfo -p %s: %v\n%s", ip, err, out)
	}
	t.Logf("rpcinfo -p %s:\n%s", ip, out)
	rows := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] == "program" {
			continue
		}
		rows[f[0]+"/"+f[2]+"/"+f[3]] = true
		if f[0] == "100000" {
			continue
		}
		served := false
		for _, p := range svc.Spec.Ports {
			served = served || (strconv.Itoa(int(p.Port)) == f[3] && strings.EqualFold(string(p.Protocol), f[2]))
		}
		if !served {
			t.Errorf("the portmapper hands out %s/%s for program %s, which Service %s does not serve", f[3], f[2], f[0], svc.Name)
		}
	}
	for _, want := range []string{"100003/tcp", "100005/tcp", "100021/tcp", "100024/tcp", "100005/udp", "100021/udp", "100024/udp"} {
		if !rows[want+"/"+strconv.Itoa(nfsPort)] {
			t.Errorf("rpcinfo -p %s has no %s on %d", ip, want, nfsPort)
		}
	}
}

// shareServer is dfs booted from the rendered pod, with one share /export
// open to everyone, on a badger metadata store and a local block store on
// the pod's volumes.
type shareServer struct {
	in       realdfs.BootInput
	services map[string]corev1.Service // by the address standing in for its ClusterIP
	d        *realdfs.DittoFS
	token    string
	password string
}

func bootWithShare(t *testing.T, r realdfs.Rendered) *shareServer {
	t.Helper()
	in, err := realdfs.RenderedInput(t, r, nil, realdfs.PGDatabase{}, "")
	if err != nil {
		t.Fatal(err)
	}
	// Another dfs on this machine (a parallel test) would answer in ours'
	// place on a busy adapter port: dfs only logs an error when it cannot
	// bind one. Every other test's dfs shares the ports' lock; this one
	// waits for them to end and holds it alone.
	realdfs.HoldAdapterPorts(t)
	in.HoldsAdapterPorts = true
	for _, p := range r.StatefulSet.Spec.Template.Spec.Containers[0].Ports {
		if p.Name != "api" && p.Protocol == corev1.ProtocolTCP && realdfs.PortInUse(int(p.ContainerPort)) {
			t.Fatalf("port %d (%s) is already in use on this machine, by another DittoFS or test: run this test alone", p.ContainerPort, p.Name)
		}
	}
	s := &shareServer{in: in, password: in.AdminPassword, services: map[string]corev1.Service{}}
	s.start(t)
	block, ok := in.Mounts["/data/store/block"]
	if !ok { // no spec.storage.contentSize: blocks on a scratch directory
		block = t.TempDir()
		realdfs.GiveTo(t, block, realdfs.DfsUID, realdfs.DfsUID)
	}
	meta := in.Mounts["/data/store/metadata"]
	s.api(t, http.MethodPost, "/api/v1/store/metadata", map[string]any{"name": "meta", "type": "badger", "config": jsonString(map[string]string{"path": meta})}, http.StatusCreated)
	s.api(t, http.MethodPost, "/api/v1/store/block/local", map[string]any{"name": "local", "type": "fs", "config": jsonString(map[string]string{"path": block})}, http.StatusCreated)
	s.api(t, http.MethodPost, "/api/v1/shares", map[string]any{"name": "/export", "metadata_store_id": "meta", "local_block_store": "local"}, http.StatusCreated)
	s.api(t, http.MethodPut, "/api/v1/shares/export", map[string]any{"default_permission": "read-write"}, http.StatusOK)
	return s
}

func (s *shareServer) start(t *testing.T) {
	t.Helper()
	d, err := realdfs.StartDittoFS(t, s.in)
	if err != nil {
		t.Fatal(err)
	}
	s.d = d
	var login struct {
		AccessToken string `json:"access_token"` //nolint:tagliatelle // DittoFS's API names it so
	}
	s.token = ""
	body := s.api(t, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "admin", "password": s.password}, http.StatusOK)
	if err := json.Unmarshal(body, &login); err != nil || login.AccessToken == "" {
		t.Fatalf("login: %v %s", err, body)
	}
	s.token = login.AccessToken
}

// restart stops dfs with SIGTERM and starts it again on the same volumes,
// as a pod restart does: DittoFS starts its portmapper and UDP transport
// only when its NFS adapter starts.
func (s *shareServer) restart(t *testing.T) {
	t.Helper()
	if err := s.d.Stop(); err != nil {
		t.Fatal(err)
	}
	s.start(t)
	t.Cleanup(func() {
		if t.Failed() {
			stdout, stderr := s.d.Logs()
			t.Logf("dfs after the restart:\n%s\n%s", stderr, stdout)
		}
	})
}

func (s *shareServer) patchNFSSettings(t *testing.T, settings map[string]any) {
	t.Helper()
	s.api(t, http.MethodPatch, "/api/v1/adapters/nfs/settings", settings, http.StatusOK)
}

func (s *shareServer) api(t *testing.T, method, path string, body any, want int) []byte {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.d.Base+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, out)
	}
	return out
}

func (s *shareServer) httpOK(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// nfsRoundTrip writes a file with nfs-cp at url, lists it with nfs-ls and
// reads it back with nfs-cat, byte for byte.
func (s *shareServer) nfsRoundTrip(t *testing.T, url, file string) {
	t.Helper()
	content := "written through " + url + "\n"
	local := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(local, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := client(t, "nfs-cp", local, url); err != nil {
		t.Fatalf("nfs-cp %s: %v\n%s", url, err, out)
	}
	dir := strings.Replace(url, "/"+file+"?", "?", 1)
	if out, err := client(t, "nfs-ls", dir); err != nil || !strings.Contains(out, file) {
		t.Fatalf("nfs-ls %s: %v, want %s listed\n%s", dir, err, file, out)
	}
	out, err := client(t, "nfs-cat", url)
	if err != nil || out != content {
		t.Fatalf("nfs-cat %s: %v: got %q, want %q", url, err, out, content)
	}
}

// smbList lists the share over SMB3 as admin, and a wrong password is
// refused.
func (s *shareServer) smbList(t *testing.T, ip string, port int) {
	t.Helper()
	args := []string{"//" + ip + "/export", "-p", strconv.Itoa(port), "-m", "SMB3", "-c", "ls"}
	if out, err := client(t, "smbclient", append(args, "-U", "admin%"+s.password)...); err != nil {
		t.Fatalf("smbclient %s:%d: %v\n%s", ip, port, err, out)
	}
	if out, err := client(t, "smbclient", append(args, "-U", "admin%not-"+s.password)...); err == nil {
		t.Fatalf("smbclient with a wrong password listed the share:\n%s", out)
	}
}

func rpcinfo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return client(t, "rpcinfo", args...)
}

// client runs a client program with a timeout and returns its output.
func client(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// uaddr is an RPC universal address, h1.h2.h3.h4.p1.p2.
func uaddr(ip string, port int) string { return fmt.Sprintf("%s.%d.%d", ip, port>>8, port&0xff) }

// jsonString is DittoFS's store config: a JSON object inside the JSON body.
func jsonString(v map[string]string) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(b)
}

func containerPort(t *testing.T, sts *appsv1.StatefulSet, name string) corev1.ContainerPort {
	t.Helper()
	for _, p := range sts.Spec.Template.Spec.Containers[0].Ports {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("the rendered dittofs container has no port %s", name)
	return corev1.ContainerPort{}
}
