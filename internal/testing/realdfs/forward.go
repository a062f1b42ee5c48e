package realdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ServeService stands in for kube-proxy: every port of svc listens on ip
// (a loopback address of its own, the "ClusterIP") at its port number, over
// its protocol, and forwards to 127.0.0.1 (the pod) at its numeric
// targetPort, so clients dial exactly the ports the Service composes. The
// listeners close when the test ends. Ports below 1024 (111, 445, 2049)
// need root. A port whose targetPort is the same number is not forwarded:
// dfs listens on all addresses, so ip already reaches the pod there.
func ServeService(t *testing.T, ip string, svc corev1.Service) error {
	t.Helper()
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.IntValue() == 0 {
			return fmt.Errorf("service %s port %s: targetPort %q is not a number", svc.Name, p.Name, p.TargetPort.String())
		}
		if int(p.Port) == p.TargetPort.IntValue() {
			// dfs listens on every address, ip included: a port forwarded
			// to the same number is already served there, by the pod
			// itself, as the identity forward would.
			continue
		}
		listen := net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
		target := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.TargetPort.IntValue()))
		var err error
		switch p.Protocol {
		case corev1.ProtocolUDP:
			err = forwardUDP(t, listen, target)
		case corev1.ProtocolTCP, "":
			err = forwardTCP(t, listen, target)
		default:
			err = fmt.Errorf("protocol %s is not supported here", p.Protocol)
		}
		if err != nil {
			return fmt.Errorf("service %s port %s (%d/%s): %w", svc.Name, p.Name, p.Port, p.Protocol, err)
		}
	}
	return nil
}

func forwardTCP(t *testing.T, listen, target string) error {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", listen)
	if err != nil {
		return err
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d := net.Dialer{Timeout: 5 * time.Second}
				u, err := d.DialContext(context.Background(), "tcp", target)
				if err != nil {
					return // the client sees the connection closed, as with no endpoint
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return nil
}

// forwardUDP relays datagrams: one upstream socket per client address, its
// replies sent back from the listening address, as kube-proxy's conntrack
// does.
func forwardUDP(t *testing.T, listen, target string) error {
	t.Helper()
	addr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return err
	}
	l, err := net.ListenUDP("udp", addr)
	if err != nil {
		return err
	}
	t.Cleanup(func() { _ = l.Close() })
	var mu sync.Mutex
	upstreams := map[string]*net.UDPConn{}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, u := range upstreams {
			_ = u.Close()
		}
	})
	go func() {
		buf := make([]byte, 65535)
		for {
			n, client, err := l.ReadFromUDP(buf)
			if err != nil {
				return
			}
			mu.Lock()
			u, ok := upstreams[client.String()]
			if !ok {
				raddr, _ := net.ResolveUDPAddr("udp", target)
				if u, err = net.DialUDP("udp", nil, raddr); err != nil {
					mu.Unlock()
					continue
				}
				upstreams[client.String()] = u
				go func(u *net.UDPConn, client *net.UDPAddr) {
					reply := make([]byte, 65535)
					for {
						m, err := u.Read(reply)
						if err != nil {
							if errors.Is(err, net.ErrClosed) {
								return
							}
							continue // ICMP refused from the target: keep relaying
						}
						_, _ = l.WriteToUDP(reply[:m], client)
					}
				}(u, client)
			}
			mu.Unlock()
			_, _ = u.Write(buf[:n])
		}
	}()
	return nil
}
