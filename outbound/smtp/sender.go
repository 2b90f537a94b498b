package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail"
)

// Defaults of a Sender.
const (
	DefaultTimeout     = 15 * time.Second
	DefaultMaxIdle     = 64
	DefaultIdleTimeout = 30 * time.Second
	DefaultMaxActive   = 32
)

// DialFunc opens the TCP connection to a server (the outbound guard's
// dialer for user-configured servers).
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Message is one email. Addresses are already checked (CheckAddress).
type Message struct {
	From      string
	To        []string
	Cc        []string
	Bcc       []string
	ReplyTo   string
	Subject   string
	Text      string
	HTML      string
	MessageID string // without <>; the same on every attempt of one step
	Date      time.Time
}

// Result is what a server accepted.
type Result struct {
	MessageID string   `json:"message_id"`
	Accepted  []string `json:"accepted"` // bare addresses, to, cc then bcc
	// Reused says the message went over a connection kept from an earlier one.
	Reused bool `json:"-"`
}

// Sender sends messages, at most MaxActive at once per server, keeping up
// to MaxIdle idle connections per server and credentials for IdleTimeout
// so consecutive messages skip the
// connect, EHLO, STARTTLS and AUTH round trips. A connection that died
// while idle is noticed by the NOOP go-mail sends before MAIL FROM, and
// replaced by a new one (nothing was sent on it). Safe for concurrent use.
type Sender struct {
	// Dial opens connections; nil dials directly.
	Dial DialFunc
	// TLSConfig, when set, is used for STARTTLS and implicit TLS (e.g. a
	// private CA in RootCAs); its ServerName is set to each server's host.
	// nil verifies against the system roots.
	TLSConfig *tls.Config
	// Timeout bounds the dial and each command (default DefaultTimeout).
	Timeout time.Duration
	// MaxIdle and IdleTimeout size the pool (defaults above; MaxIdle < 0
	// disables reuse).
	MaxIdle     int
	IdleTimeout time.Duration
	// MaxActive bounds the messages in flight to one server (default
	// DefaultMaxActive): further sends wait for a connection to come back
	// instead of opening more (servers limit connections per client, and
	// a kept connection is cheaper than a new one).
	MaxActive int

	mu     sync.Mutex
	idle   map[string][]idleConn
	active map[string]chan struct{}
	closed bool

	dials, reuses atomic.Int64
}

type idleConn struct {
	c     *mail.Client
	since time.Time
}

// Stats counts the connections dialled and the sends that reused one.
func (s *Sender) Stats() (dials, reuses int64) { return s.dials.Load(), s.reuses.Load() }

// Send delivers m to the server of cfg. Errors are *Error.
func (s *Sender) Send(ctx context.Context, cfg Config, m Message) (Result, error) {
	msg, err := build(m)
	if err != nil {
		return Result{}, err
	}
	slot := s.slot(cfg)
	select {
	case slot <- struct{}{}:
		defer func() { <-slot }()
	case <-ctx.Done():
		return Result{}, &Error{Err: fmt.Errorf("waiting for a connection to %s: %w", cfg.Host, ctx.Err()), Temporary: true}
	}
	c, reused, err := s.take(ctx, cfg)
	if err != nil {
		return Result{}, classify(err)
	}
	err = c.Send(msg)
	var se *mail.SendError
	if err != nil && reused && errors.As(err, &se) && se.Reason == mail.ErrConnCheck {
		// It died while idle; nothing was sent on it.
		_ = c.Close()
		if c, err = s.dial(ctx, cfg); err != nil {
			return Result{}, classify(err)
		}
		reused = false
		err = c.Send(msg)
	}
	if err != nil && !msg.IsDelivered() {
		_ = c.Close()
		return Result{}, classify(err)
	}
	if err != nil {
		// Delivered, but the RSET after it failed: the connection is not reusable.
		_ = c.Close()
	} else {
		s.put(cfg, c)
	}
	if reused {
		s.reuses.Add(1)
	}
	accepted := make([]string, 0, len(m.To)+len(m.Cc)+len(m.Bcc))
	for _, list := range [][]string{m.To, m.Cc, m.Bcc} {
		for _, a := range list {
			if pa, err := netmail.ParseAddress(a); err == nil {
				a = pa.Address
			}
			accepted = append(accepted, a)
		}
	}
	return Result{MessageID: m.MessageID, Accepted: accepted, Reused: reused}, nil
}

// Check connects to the server of cfg, says EHLO, upgrades to TLS and
// authenticates as configured, then quits: the connection test.
func (s *Sender) Check(ctx context.Context, cfg Config) error {
	c, err := s.dial(ctx, cfg)
	if err != nil {
		return classify(err)
	}
	return c.Close()
}

// Close closes the idle connections; later sends dial without pooling.
func (s *Sender) Close() {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, list := range idle {
		for _, ic := range list {
			_ = ic.c.Close()
		}
	}
}

// slot returns the semaphore of cfg's server.
func (s *Sender) slot(cfg Config) chan struct{} {
	key := cfg.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.active[key]
	if !ok {
		n := s.MaxActive
		if n <= 0 {
			n = DefaultMaxActive
		}
		if s.active == nil {
			s.active = map[string]chan struct{}{}
		}
		ch = make(chan struct{}, n)
		s.active[key] = ch
	}
	return ch
}

func (s *Sender) take(ctx context.Context, cfg Config) (*mail.Client, bool, error) {
	key := cfg.key()
	now := time.Now()
	s.mu.Lock()
	list := s.idle[key]
	for len(list) > 0 {
		ic := list[len(list)-1]
		list = list[:len(list)-1]
		if now.Sub(ic.since) < s.idleTimeout() {
			s.idle[key] = list
			s.mu.Unlock()
			return ic.c, true, nil
		}
		go ic.c.Close()
	}
	delete(s.idle, key)
	s.mu.Unlock()
	c, err := s.dial(ctx, cfg)
	return c, false, err
}

func (s *Sender) put(cfg Config, c *mail.Client) {
	max := s.MaxIdle
	if max == 0 {
		max = DefaultMaxIdle
	}
	key := cfg.key()
	s.mu.Lock()
	if !s.closed && max > 0 && len(s.idle[key]) < max {
		if s.idle == nil {
			s.idle = map[string][]idleConn{}
		}
		s.idle[key] = append(s.idle[key], idleConn{c: c, since: time.Now()})
		c = nil
	}
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

func (s *Sender) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Sender) dial(ctx context.Context, cfg Config) (*mail.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort(cfg.TLS)
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout)}
	switch cfg.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			// The configuration says there is no TLS: the password goes in
			// clear, as it asked (local and development servers).
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	if s.Dial != nil {
		opts = append(opts, mail.WithDialContextFunc(mail.DialContextFunc(s.Dial)))
	}
	if s.TLSConfig != nil {
		tc := s.TLSConfig.Clone()
		tc.ServerName = cfg.Host
		opts = append(opts, mail.WithTLSConfig(tc))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	s.dials.Add(1)
	if err := c.DialWithContext(ctx); err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", net.JoinHostPort(cfg.Host, strconv.Itoa(port)), err)
	}
	return c, nil
}
