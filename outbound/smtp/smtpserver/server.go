package smtpserver

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/mail"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
	Body   string
}

// Opts configures a Server.
type Opts struct {
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
	// Username and Password, when set, are required (AUTH PLAIN, allowed
	// without TLS).
	Username, Password string
	// Reply, when set, may refuse a message at DATA: an *smtp.SMTPError
	// (4xx/5xx) is sent to the client; nil accepts it.
	Reply func(m Message) error
	// OnMessage is called for each accepted message.
	OnMessage func(m Message)
	// TLS, when set, is offered with STARTTLS, or from the first byte
	// with ImplicitTLS.
	TLS         *tls.Config
	ImplicitTLS bool
}

// Server is a running server.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int

	srv      *smtp.Server
	opts     Opts
	messages chan Message
	sessions atomic.Int64
	mu       sync.Mutex
	closed   bool
}

// SMTPError is go-smtp's reply error, for Opts.Reply.
type SMTPError = smtp.SMTPError

// Start listens and serves until Close.
func Start(o Opts) (*Server, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	if o.TLS != nil && o.ImplicitTLS {
		ln = tls.NewListener(ln, o.TLS)
	}
	s := &Server{opts: o, messages: make(chan Message, 100000)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.sessions.Add(1)
		return &session{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 32 << 20
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	if o.TLS != nil && !o.ImplicitTLS {
		s.srv.TLSConfig = o.TLS
	}
	host, port, _ := net.SplitHostPort(addr)
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Messages delivers accepted messages in order (buffered: 100000).
func (s *Server) Messages() <-chan Message { return s.messages }

// Sessions counts the SMTP connections the server has accepted.
func (s *Server) Sessions() int64 { return s.sessions.Load() }

// Close stops the server and drops its connections.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.srv.Close()
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != x.s.opts.Username || password != x.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw}
	if pm, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = pm.Header
		body, _ := io.ReadAll(pm.Body)
		m.Body = string(body)
	}
	if x.s.opts.Reply != nil {
		if err := x.s.opts.Reply(m); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				err = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
			}
			return err
		}
	}
	if x.s.opts.OnMessage != nil {
		x.s.opts.OnMessage(m)
	}
	select {
	case x.s.messages <- m:
	default:
	}
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
