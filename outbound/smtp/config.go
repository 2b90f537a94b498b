package smtp

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// TLS modes of a Config.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must be offered
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS at all (local development servers)
)

// Config says how to reach one SMTP server and who mail comes from.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // TLSStartTLS (default), TLSImplicit or TLSNone
	From     string // the envelope and header sender
}

// DefaultPort is the port of a TLS mode when a Config names none.
func DefaultPort(tls string) int {
	switch tls {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

// Check validates c, naming the first bad setting ("host", "port", …).
func (c Config) Check() (key string, err error) {
	switch {
	case strings.TrimSpace(c.Host) == "" || strings.ContainsAny(c.Host, " /\\@"):
		return "host", errors.New("must be a host name or address")
	case c.Port < 0 || c.Port > 65535:
		return "port", errors.New("must be between 1 and 65535")
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return "tls", errors.New(`must be "starttls", "tls" or "none"`)
	}
	if c.Password != "" && c.Username == "" {
		return "username", errors.New("a password needs a username")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return "from", fmt.Errorf("is not an email address")
	}
	return "", nil
}

// ParseURL reads a server URL, smtp://user:pass@host:port?tls=starttls&from=a@b
// (tls defaults to starttls, from to rowflow@<host>). Errors never quote the
// URL, which may hold a password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" && u.Scheme != "smtps" {
		return Config{}, errors.New("must be smtp://[user:pass@]host[:port][?tls=starttls|tls|none&from=address]")
	}
	c := Config{Host: u.Hostname(), TLS: u.Query().Get("tls"), From: u.Query().Get("from")}
	if u.Scheme == "smtps" && c.TLS == "" {
		c.TLS = TLSImplicit
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return Config{}, errors.New("port is not a number")
		}
	}
	if c.Port == 0 {
		c.Port = DefaultPort(c.TLS)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if c.From == "" {
		c.From = "rowflow@" + c.Host
		if strings.Contains(c.Host, ":") || c.Host == "" {
			c.From = "rowflow@localhost"
		}
	}
	if key, err := c.Check(); err != nil {
		return Config{}, fmt.Errorf("%s %w", key, err)
	}
	return c, nil
}

// key identifies the server and credentials of c for the idle pool.
func (c Config) key() string {
	return strings.Join([]string{c.Host, strconv.Itoa(c.Port), c.TLS, c.Username, c.Password}, "\x00")
}
