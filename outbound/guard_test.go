package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every test in this package talks to loopback only: public addresses are
// judged with Check, never dialed.

func TestParseCIDRs(t *testing.T) {
	for _, s := range []string{"", "  ", " , ,\n"} {
		got, err := ParseCIDRs(s)
		require.NoError(t, err, "%q", s)
		assert.Nil(t, got, "%q", s)
	}

	got, err := ParseCIDRs("127.0.0.0/8, 10.1.2.3/8 ::1,fd00::/8\t192.168.1.7")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"), // masked
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("192.168.1.7/32"),
	}, got)

	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0", "fe80::1%eth0", "1.2.3.4/x"} {
		_, err := ParseCIDRs(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestCheckTable(t *testing.T) {
	g := NewGuard(nil)
	cases := []struct {
		addr    string
		blocked bool
		reason  string // substring of the error, when blocked
	}{
		{"127.0.0.1", true, "loopback"},
		{"127.255.0.9", true, "loopback"},
		{"::1", true, "loopback"},
		{"0.0.0.0", true, "unspecified"},
		{"::", true, "unspecified"},
		{"0.1.2.3", true, "this network"},
		{"169.254.169.254", true, "link-local"},
		{"::ffff:169.254.169.254", true, "IPv4-mapped, embedding 169.254.169.254 which is link-local"},
		{"::ffff:127.0.0.1", true, "which is loopback"},
		{"10.0.0.1", true, "private"},
		{"172.16.0.1", true, "private"},
		{"172.31.255.255", true, "private"},
		{"192.168.1.1", true, "private"},
		{"100.64.0.1", true, "carrier-grade NAT"},
		{"100.127.255.254", true, "carrier-grade NAT"},
		{"fc00::1", true, "unique local"},
		{"fd12::1", true, "unique local"},
		{"fe80::1", true, "link-local"},
		{"fe80::1%eth0", true, "link-local"},
		{"fec0::1", true, "site-local"},
		{"64:ff9b::a9fe:a9fe", true, "NAT64, embedding 169.254.169.254"},
		{"64:ff9b:1::a9fe:a9fe", true, "local-use NAT64, embedding 169.254.169.254"},
		{"2002:a9fe:a9fe::1", true, "6to4, embedding 169.254.169.254"},
		{"::a9fe:a9fe", true, "IPv4-compatible, embedding 169.254.169.254"},
		{"::ffff:0:a9fe:a9fe", true, "IPv4-translated, embedding 169.254.169.254"},
		// Teredo: client 127.0.0.1 is stored inverted (80ff:fffe).
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true, "Teredo, embedding 127.0.0.1 which is loopback"},
		// Embedded forms are refused even around a public IPv4.
		{"::ffff:8.8.8.8", true, "IPv4-mapped (embeds 8.8.8.8)"},
		{"64:ff9b::808:808", true, "NAT64 (embeds 8.8.8.8)"},
		{"2002:808:808::1", true, "6to4 (embeds 8.8.8.8)"},
		{"224.0.0.1", true, "multicast"},
		{"239.255.255.250", true, "multicast"},
		{"ff02::1", true, "multicast"},
		{"255.255.255.255", true, "broadcast"},
		{"240.0.0.1", true, "reserved"},
		{"192.0.0.8", true, "IETF protocol assignments"},
		{"192.0.2.1", true, "documentation"},
		{"198.51.100.7", true, "documentation"},
		{"203.0.113.9", true, "documentation"},
		{"2001:db8::1", true, "documentation"},
		{"3fff::1", true, "documentation"},
		{"198.18.0.1", true, "benchmarking"},
		{"198.19.255.255", true, "benchmarking"},
		{"2001:2::1", true, "benchmarking"},
		{"192.88.99.1", true, "6to4 relay"},
		{"100::1", true, "discard-only"},
		{"5f00::1", true, "not global unicast"},
		{"4000::1", true, "not global unicast"},

		// Public: allowed (never dialed).
		{"8.8.8.8", false, ""},
		{"1.1.1.1", false, ""},
		{"2606:4700::1111", false, ""},
		{"2a00:1450:4001:80b::200e", false, ""},
		{"100.63.255.255", false, ""},  // just below CGNAT
		{"100.128.0.0", false, ""},     // just above CGNAT
		{"172.15.255.255", false, ""},  // just below 172.16/12
		{"172.32.0.0", false, ""},      // just above 172.16/12
		{"198.17.255.255", false, ""},  // just below 198.18/15
		{"223.255.255.255", false, ""}, // just below multicast
		{"2001:1::1", false, ""},       // beside Teredo and benchmarking
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			err := g.Check(netip.MustParseAddr(tc.addr))
			if !tc.blocked {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBlocked)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}

	assert.ErrorIs(t, g.Check(netip.Addr{}), ErrBlocked, "invalid address")
	var nilGuard *Guard
	assert.ErrorIs(t, nilGuard.Check(netip.MustParseAddr("127.0.0.1")), ErrBlocked)
	assert.NoError(t, nilGuard.Check(netip.MustParseAddr("8.8.8.8")))
}

func TestCheckAllowList(t *testing.T) {
	allow, err := ParseCIDRs("127.0.0.0/8, fd00:1::/32, 64:ff9b::/96")
	require.NoError(t, err)
	g := NewGuard(allow)

	ok := []string{
		"127.0.0.1", "127.1.2.3",
		"::ffff:127.0.0.1",   // mapped form of an allowed IPv4
		"::7f00:1",           // compatible form of an allowed IPv4
		"fd00:1::5",          // allowed IPv6
		"64:ff9b::a9fe:a9fe", // the whole NAT64 prefix is allowed
		"8.8.8.8",
	}
	for _, a := range ok {
		assert.NoError(t, g.Check(netip.MustParseAddr(a)), a)
	}
	no := []string{
		"10.0.0.1", "::1", "169.254.169.254", "::ffff:169.254.169.254",
		"fd00:2::1", "2002:a9fe:a9fe::1", "0.0.0.0",
	}
	for _, a := range no {
		assert.ErrorIs(t, g.Check(netip.MustParseAddr(a)), ErrBlocked, a)
	}

	// The guard keeps its own copy.
	allow[0] = netip.MustParsePrefix("10.0.0.0/8")
	assert.NoError(t, g.Check(netip.MustParseAddr("127.0.0.1")))
	assert.ErrorIs(t, g.Check(netip.MustParseAddr("10.0.0.1")), ErrBlocked)
}

// loopbackServer starts an httptest server on 127.0.0.1 and counts requests.
func loopbackServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	return srv, &hits
}

func loopbackGuard(t *testing.T) *Guard {
	t.Helper()
	allow, err := ParseCIDRs("127.0.0.0/8")
	require.NoError(t, err)
	return NewGuard(allow)
}

func TestClientEndToEnd(t *testing.T) {
	srv, hits := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	get := func(c *http.Client, url string) (*http.Response, error) {
		resp, err := c.Get(url)
		if err == nil {
			defer resp.Body.Close()
			_, _ = io.ReadAll(resp.Body)
		}
		return resp, err
	}

	t.Run("blocked without allow", func(t *testing.T) {
		c := NewGuard(nil).Client(5 * time.Second)
		for _, u := range []string{
			srv.URL,
			"http://localhost:" + port + "/", // resolves to loopback
			"http://[::1]:" + port + "/",
			"http://[::ffff:127.0.0.1]:" + port + "/",
			"http://0.0.0.0:" + port + "/",
		} {
			_, err := get(c, u)
			require.Error(t, err, u)
			assert.ErrorIs(t, err, ErrBlocked, u)
		}
		assert.Zero(t, hits.Load(), "no request reached the server")
	})

	t.Run("reachable with allow 127.0.0.0/8", func(t *testing.T) {
		c := loopbackGuard(t).Client(5 * time.Second)
		for _, u := range []string{srv.URL, "http://localhost:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"} {
			resp, err := get(c, u)
			require.NoError(t, err, u)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}
		assert.EqualValues(t, 3, hits.Load())
	})

	t.Run("nil guard client refuses loopback", func(t *testing.T) {
		var g *Guard
		_, err := get(g.Client(time.Second), srv.URL)
		assert.ErrorIs(t, err, ErrBlocked)
	})
}

func TestClientSettings(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	g := loopbackGuard(t)
	c1, c2 := g.Client(3*time.Second), g.Client(time.Second)
	assert.Equal(t, 3*time.Second, c1.Timeout)
	assert.Same(t, c1.Transport, c2.Transport, "one Transport per Guard")
	tr := c1.Transport.(*http.Transport)
	assert.Nil(t, tr.Proxy)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64)
	assert.False(t, tr.DisableKeepAlives)
	assert.NotSame(t, tr, NewGuard(nil).Client(time.Second).Transport)

	// Proxy variables are ignored: the request goes straight to the server.
	srv, hits := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {})
	resp, err := c1.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, hits.Load())
}

func TestClientKeepAlive(t *testing.T) {
	var (
		mu    sync.Mutex
		conns = map[string]bool{}
	)
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})
	g := loopbackGuard(t)
	for range 5 {
		// A new client per call still shares the pool.
		resp, err := Deliver(context.Background(), g.Client(5*time.Second), Request{URL: srv.URL, Body: []byte(`{}`)})
		require.NoError(t, err)
		assert.Equal(t, 200, resp.Status)
	}
	assert.Len(t, conns, 1, "connections are reused")
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var dialed []netip.AddrPort
	var mu sync.Mutex
	g := loopbackGuard(t)
	g.dialHook = func(ap netip.AddrPort) {
		mu.Lock()
		dialed = append(dialed, ap)
		mu.Unlock()
	}
	srv, hits := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://169.254.169.254/latest/meta-data/")
		w.WriteHeader(http.StatusFound)
	})

	// Plain client: the 302 itself comes back.
	resp, err := g.Client(5 * time.Second).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)

	// Deliver: a non-retryable failure, even with a client that would follow.
	following := *g.Client(5 * time.Second)
	following.CheckRedirect = nil
	for _, c := range []*http.Client{g.Client(5 * time.Second), &following} {
		out, err := Deliver(context.Background(), c, Request{URL: srv.URL, Body: []byte(`{"a":1}`)})
		var de *DeliveryError
		require.ErrorAs(t, err, &de)
		assert.False(t, de.Retryable)
		assert.Equal(t, http.StatusFound, de.Status)
		require.NotNil(t, out)
		assert.Equal(t, "http://169.254.169.254/latest/meta-data/", out.Headers["Location"])
	}

	assert.EqualValues(t, 3, hits.Load())
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, dialed)
	for _, ap := range dialed {
		assert.True(t, ap.Addr().IsLoopback(), "dialed %s", ap)
		assert.NotEqual(t, netip.MustParseAddr("169.254.169.254"), ap.Addr())
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	_, err := loopbackGuard(t).Client(150 * time.Millisecond).Get(srv.URL)
	require.Error(t, err)
	var ne net.Error
	require.True(t, errors.As(err, &ne))
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), 3*time.Second)
}
