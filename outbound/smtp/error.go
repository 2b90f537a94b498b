package smtp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"syscall"

	"github.com/wneessen/go-mail"

	"github.com/rowflow/rowflow/outbound"
)

// Error is a failed send. Temporary failures (a 4xx reply, a refused or
// dropped connection, a timeout) may succeed later; the others (a 5xx
// reply, a TLS policy the server cannot meet, a bad address, a refused
// destination) will not. Code is the SMTP reply code when there was one.
type Error struct {
	Err       error
	Temporary bool
	Code      int
}

// Error is the cause's text, which carries the server's reply.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Err: err, Temporary: true}
	var se *mail.SendError
	var tp *textproto.Error
	var cve *tls.CertificateVerificationError
	var rhe tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var alert tls.AlertError
	switch {
	case errors.As(err, &se):
		out.Code = se.ErrorCode()
		switch se.Reason {
		case mail.ErrConnCheck, mail.ErrSMTPReset:
			out.Temporary = true
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			out.Temporary = false
		default:
			out.Temporary = se.IsTemp() || out.Code == 0 && isNetwork(err)
		}
	case errors.As(err, &tp):
		out.Code = tp.Code
		out.Temporary = tp.Code/100 == 4
	case errors.Is(err, mail.ErrNoSupportedAuthDiscovered), strings.Contains(err.Error(), "does not support STARTTLS"),
		errors.As(err, &cve), errors.As(err, &rhe), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &alert):
		// TLS policy mismatch or a certificate we do not trust: retrying
		// changes nothing.
		out.Temporary = false
	case errors.Is(err, outbound.ErrBlocked):
		out.Temporary = false
	case isNetwork(err):
		out.Temporary = true
	}
	return out
}

// isNetwork reports connection-level failures worth retrying.
func isNetwork(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) || strings.Contains(err.Error(), "EOF")
}
