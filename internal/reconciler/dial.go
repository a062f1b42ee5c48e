package reconciler

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// DialAPIAt makes every connection of DittoFS's client go to addr (the
// pod's 127.0.0.1:<port>), whatever host its URL names. Over TLS the URL
// names the API Service's DNS name, so that the certificate is verified
// for the name it carries, while the connection stays on localhost.
//
// It sets the dialer of http.DefaultTransport, the process's only HTTP
// client transport: apiclient v0.29.0 takes no transport or dialer, and
// uses http.DefaultTransport, or (with WithCACert or WithClientCert) a
// Clone of it, which keeps the dialer. Call it before the first
// apiclient.New. TLS settings are apiclient's own: verification is never
// turned off.
func DialAPIAt(addr string) error {
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return errors.New("http.DefaultTransport is not an *http.Transport: cannot pin DittoFS's API address")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return err
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return nil
}
