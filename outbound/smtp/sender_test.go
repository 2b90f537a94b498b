package smtp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/outbound/smtp"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

func setup(t testing.TB, o smtpserver.Opts) (*smtpserver.Server, smtp.Config, *smtp.Sender) {
	t.Helper()
	srv, err := smtpserver.Start(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	s := &smtp.Sender{Timeout: 5 * time.Second}
	t.Cleanup(s.Close)
	return srv, smtp.Config{Host: srv.Host, Port: srv.Port, TLS: smtp.TLSNone, From: "Rowflow <rowflow@example.com>",
		Username: o.Username, Password: o.Password}, s
}

func next(t testing.TB, srv *smtpserver.Server) smtpserver.Message {
	t.Helper()
	select {
	case m := <-srv.Messages():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message arrived")
		return smtpserver.Message{}
	}
}

func msg(id string) smtp.Message {
	return smtp.Message{From: "Rowflow <rowflow@example.com>", To: []string{"ada@example.com"}, Cc: []string{"bob@example.com"},
		Bcc: []string{"hidden@example.com"}, ReplyTo: "help@example.com", Subject: "Hello Ada",
		Text: "plain body", HTML: "<p>html body</p>", MessageID: id}
}

// TestSendArrives: the message that arrives carries the headers, both
// bodies, the given Message-ID, and Bcc only in the envelope.
func TestSendArrives(t *testing.T) {
	t.Parallel()
	srv, cfg, s := setup(t, smtpserver.Opts{Username: "u", Password: "p-ss_w0rd"})
	res, err := s.Send(context.Background(), cfg, msg("run_1.s1@example.com"))
	require.NoError(t, err)
	require.Equal(t, []string{"ada@example.com", "bob@example.com", "hidden@example.com"}, res.Accepted)
	m := next(t, srv)
	require.Equal(t, "rowflow@example.com", m.From)
	require.ElementsMatch(t, []string{"ada@example.com", "bob@example.com", "hidden@example.com"}, m.To)
	require.Equal(t, "<run_1.s1@example.com>", m.Header.Get("Message-ID"))
	require.Equal(t, "Hello Ada", m.Header.Get("Subject"))
	require.Contains(t, m.Header.Get("To"), "ada@example.com")
	require.Contains(t, m.Header.Get("Cc"), "bob@example.com")
	require.Contains(t, m.Header.Get("Reply-To"), "help@example.com")
	require.Empty(t, m.Header.Get("Bcc"))
	require.NotContains(t, string(m.Raw), "hidden@example.com")
	require.Contains(t, m.Header.Get("Content-Type"), "multipart/alternative")
	require.Contains(t, m.Body, "plain body")
	require.Contains(t, m.Body, "<p>html body</p>")
}

// TestSendReusesConnections: consecutive sends to one server share one
// SMTP session; a server that dropped the idle connection is redialled
// without losing the message.
func TestSendReusesConnections(t *testing.T) {
	t.Parallel()
	srv, cfg, s := setup(t, smtpserver.Opts{})
	for i := range 5 {
		res, err := s.Send(context.Background(), cfg, msg("m"+string(rune('a'+i))+"@x"))
		require.NoError(t, err)
		require.Equal(t, i > 0, res.Reused, "send %d", i)
		next(t, srv)
	}
	require.EqualValues(t, 1, srv.Sessions())
	dials, reuses := s.Stats()
	require.EqualValues(t, 1, dials)
	require.EqualValues(t, 4, reuses)

	// Another server on the same port cannot exist; restart instead: a new
	// server elsewhere with the old idle connection closed by the old one.
	require.NoError(t, srv.Close())
	srv2, err := smtpserver.Start(smtpserver.Opts{})
	require.NoError(t, err)
	defer srv2.Close()
	cfg.Port = srv2.Port
	_, err = s.Send(context.Background(), cfg, msg("after@x"))
	require.NoError(t, err)
	require.Equal(t, "<after@x>", next(t, srv2).Header.Get("Message-ID"))
}

// TestSendDeadIdleConnection: an idle connection the server closed is
// noticed (NOOP) and replaced; the message arrives once.
func TestSendDeadIdleConnection(t *testing.T) {
	t.Parallel()
	var conns []net.Conn
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv, err := smtpserver.Start(smtpserver.Opts{})
	require.NoError(t, err)
	defer srv.Close()
	// A proxy whose connections we can cut.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			up, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				c.Close()
				continue
			}
			go pipe(c, up)
			go pipe(up, c)
		}
	}()
	defer ln.Close()
	s := &smtp.Sender{Timeout: 5 * time.Second}
	defer s.Close()
	cfg := smtp.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: smtp.TLSNone, From: "a@example.com"}
	_, err = s.Send(context.Background(), cfg, msg("one@x"))
	require.NoError(t, err)
	next(t, srv)
	require.Len(t, conns, 1)
	conns[0].Close()
	res, err := s.Send(context.Background(), cfg, msg("two@x"))
	require.NoError(t, err)
	require.False(t, res.Reused)
	require.Equal(t, "<two@x>", next(t, srv).Header.Get("Message-ID"))
	select {
	case m := <-srv.Messages():
		t.Fatalf("a second copy arrived: %s", m.Header.Get("Message-ID"))
	default:
	}
}

func pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

// TestSendFailures: 4xx, refused connections and timeouts are
// temporary; 5xx, a TLS policy the server cannot meet and bad
// credentials are permanent and carry the server's reply.
func TestSendFailures(t *testing.T) {
	t.Parallel()
	reply := func(code int, text string) smtpserver.Opts {
		return smtpserver.Opts{Reply: func(smtpserver.Message) error {
			return &smtpserver.SMTPError{Code: code, Message: text}
		}}
	}
	closedPort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return p
	}
	for _, tc := range []struct {
		name      string
		opts      smtpserver.Opts
		adjust    func(*smtp.Config)
		temporary bool
		contains  string
	}{
		{"4xx greylisted", reply(451, "greylisted, try later"), nil, true, "greylisted"},
		{"5xx rejected", reply(550, "mailbox unavailable"), nil, false, "mailbox unavailable"},
		{"refused", smtpserver.Opts{}, func(c *smtp.Config) { c.Port = closedPort() }, true, "refused"},
		{"starttls not offered", smtpserver.Opts{}, func(c *smtp.Config) { c.TLS = smtp.TLSStartTLS }, false, "STARTTLS"},
		{"bad password", smtpserver.Opts{Username: "u", Password: "right"}, func(c *smtp.Config) { c.Password = "wrong" }, false, "authentication failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, cfg, s := setup(t, tc.opts)
			if tc.adjust != nil {
				tc.adjust(&cfg)
			}
			_, err := s.Send(context.Background(), cfg, msg("f@x"))
			require.Error(t, err)
			var se *smtp.Error
			require.True(t, errors.As(err, &se), "%T %v", err, err)
			require.Equal(t, tc.temporary, se.Temporary, "%v", err)
			require.Contains(t, strings.ToLower(err.Error()), strings.ToLower(tc.contains))
			require.NotContains(t, err.Error(), "right")
		})
	}
}

func TestSplitAddresses(t *testing.T) {
	t.Parallel()
	got, err := smtp.SplitAddresses("a@example.com, Bob <b@example.com>")
	require.NoError(t, err)
	require.Equal(t, []string{"<a@example.com>", `"Bob" <b@example.com>`}, got)
	_, err = smtp.SplitAddresses("a@example.com, not-an-address")
	require.ErrorContains(t, err, `"not-an-address"`)
}

// BenchmarkSend measures one message to a local server, over a kept
// connection and over a new connection each time.
func BenchmarkSend(b *testing.B) {
	for _, tc := range []struct {
		name    string
		maxIdle int
	}{{"reuse", 0}, {"dial-each", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, cfg, s := setup(b, smtpserver.Opts{})
			s.MaxIdle = tc.maxIdle
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Send(context.Background(), cfg, msg("b@x")); err != nil {
					b.Fatal(err)
				}
				<-srv.Messages()
			}
		})
	}
}

// TestSendBoundsConnections: concurrent sends to one server share at most
// MaxActive connections, every message arriving.
func TestSendBoundsConnections(t *testing.T) {
	t.Parallel()
	srv, cfg, s := setup(t, smtpserver.Opts{})
	s.MaxActive = 4
	errs := make(chan error, 50)
	for i := range 50 {
		go func() {
			_, err := s.Send(context.Background(), cfg, msg(fmt.Sprintf("c%d@x", i)))
			errs <- err
		}()
	}
	for range 50 {
		require.NoError(t, <-errs)
	}
	seen := map[string]bool{}
	for range 50 {
		seen[next(t, srv).Header.Get("Message-ID")] = true
	}
	require.Len(t, seen, 50)
	require.LessOrEqual(t, srv.Sessions(), int64(4))
}
