package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Connection-pool and dial settings of a Guard's transport.
const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 512
	maxIdleConnsPerHost   = 64
	maxResponseHeaderSize = 256 << 10
)

// control runs after the socket is created and before connect(2): address is
// the resolved IP and port, so this is where DNS answers are judged (and DNS
// rebinding defeated). Non-IP networks are refused.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dial address %q on %s", ErrBlocked, address, network)
	}
	if g.dialHook != nil {
		g.dialHook(ap)
	}
	return g.Check(ap.Addr())
}

func (g *Guard) newTransport() *http.Transport {
	d := &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: 30 * time.Second,
		Control:   g.control,
	}
	return &http.Transport{
		Proxy:                  nil, // never the environment's HTTP(S)_PROXY
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true, // custom DialContext disables h2 otherwise
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderSize,
	}
}

// noRedirect makes the client return the 3xx answer itself.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client returns an *http.Client whose dialer checks the *resolved* address at
// dial time (net.Dialer.Control), that never follows redirects (the 3xx
// response is returned as is), ignores proxy environment variables and gives
// up after timeout (≤ 0: no limit besides the request context).
//
// Every client of one Guard shares the Guard's Transport, so connections are
// pooled and kept alive across calls (MaxIdleConnsPerHost 64); creating a
// client per call is cheap.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	if g == nil {
		g = defaultGuard
	}
	if timeout < 0 {
		timeout = 0
	}
	return &http.Client{
		Transport:     g.transport,
		CheckRedirect: noRedirect,
		Timeout:       timeout,
	}
}

// CloseIdleConnections closes the idle connections of the Guard's pool.
func (g *Guard) CloseIdleConnections() {
	if g != nil {
		g.transport.CloseIdleConnections()
	}
}

// DialContext opens a TCP connection the way the Guard's HTTP clients do:
// the resolved address is checked before connect(2). Non-HTTP clients
// (SMTP) dial through it.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if g == nil {
		g = defaultGuard
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Control: g.control}
	return d.DialContext(ctx, network, address)
}
