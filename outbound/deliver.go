package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits and defaults of a delivery.
const (
	MaxURLLength            = 2048
	DefaultTimeout          = 10 * time.Second
	MaxTimeout              = 60 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	MaxRetryAfter           = time.Hour

	// drainLimit is how much of an over-long answer is read and discarded so
	// the connection can go back to the pool; beyond it the connection is
	// closed instead.
	drainLimit = 64 << 10

	userAgent = "rowflow-webhook/1"
)

// Standard Webhooks headers.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// ValidateURL checks, without any DNS lookup, that raw is an absolute http or
// https URL with a host, at most 2048 bytes. It is the save-time check; which
// addresses the host may resolve to is decided by the Guard at dial time. The
// error never quotes the URL (it may contain a token).
func ValidateURL(raw string) error {
	if raw == "" {
		return errors.New("outbound: URL is empty")
	}
	if len(raw) > MaxURLLength {
		return fmt.Errorf("outbound: URL is longer than %d bytes", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("outbound: URL is not valid")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("outbound: URL scheme must be http or https")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return errors.New("outbound: URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return errors.New("outbound: URL port is not valid")
		}
	}
	return nil
}

// Request is one delivery.
type Request struct {
	URL, Method string // Method default POST
	// User headers. The webhook-* headers and Content-Type (application/json
	// when Body is non-nil and no Content-Type is given) are set by Deliver
	// and win over user ones; without a Secret a user webhook-signature is
	// dropped. Host, Content-Length, Transfer-Encoding and Trailer are ignored
	// (net/http controls them).
	Headers map[string]string
	Body    []byte
	Secret  string // optional; when set, webhook-signature is sent
	// MsgID is webhook-id, stable across retries (caller passes run id + step
	// id). Empty → a random "msg_…" id (then not stable across retries).
	MsgID string
	// Timestamp is webhook-timestamp (unix seconds). Zero → now.
	Timestamp time.Time
	// Timeout bounds the whole exchange, body included: default 10s, max 60s.
	Timeout time.Duration
	// MaxResponseBytes bounds the stored answer: default 64 KiB; larger
	// bodies are truncated and Response.Truncated=true.
	MaxResponseBytes int64
}

// Response is what the step output stores.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"` // first value of each, canonical names
	// Body is JSON-decoded (numbers as json.Number) when Content-Type is JSON
	// (application/json or */*+json) and the whole body decodes, else the
	// string.
	Body      any  `json:"body"`
	Truncated bool `json:"truncated,omitempty"`
}

// DeliveryError classifies a failed delivery.
type DeliveryError struct {
	Status int // 0 for transport errors
	// Retryable: 5xx, 408, 429, timeouts, connection errors; NOT ErrBlocked,
	// not an invalid request, not a redirect and not other 4xx.
	Retryable bool
	// RetryAfter comes from Retry-After (seconds or HTTP date) on 429/503,
	// capped at 1h; 0 if none.
	RetryAfter time.Duration
	Response   *Response // when an answer was received
	Err        error
}

// Error describes the failure without the URL (Slack and Teams URLs are
// secrets): the status, or the transport error, with one "outbound:"
// prefix. Whether it will be retried is for the caller to say: after the
// last attempt a retryable error is just a failure.
func (e *DeliveryError) Error() string {
	msg := "outbound: delivery failed"
	switch {
	case errors.Is(e.Err, ErrBlocked):
		msg += ": " + strings.TrimPrefix(ErrBlocked.Error(), "outbound: ")
	case e.Err != nil:
		msg += ": " + strings.ReplaceAll(e.Err.Error(), "outbound: ", "")
	case e.Status != 0:
		msg += fmt.Sprintf(": status %d", e.Status)
	}
	return msg
}

// Unwrap returns the cause, so errors.Is finds ErrBlocked and deadlines.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Deliver sends r with client c (nil: a client of a guard without allow
// list). 2xx → (*Response, nil). Anything else → (*Response or nil,
// *DeliveryError). A redirect answer (3xx) is a non-retryable failure and is
// never followed, whatever c's CheckRedirect. A bad URL (not http/https, no
// host) or bad header is non-retryable; so is a refusal by the Guard.
func Deliver(ctx context.Context, c *http.Client, r Request) (*Response, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	} else if timeout > MaxTimeout {
		timeout = MaxTimeout
	}
	maxBytes := r.MaxResponseBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	if c == nil {
		c = defaultGuard.Client(0)
	}
	cc := *c
	cc.CheckRedirect = noRedirect

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := buildRequest(ctx, r)
	if err != nil {
		return nil, err
	}

	resp, err := cc.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	out := readResponse(resp, maxBytes)

	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		return out, nil
	case s >= 300 && s <= 399:
		return out, &DeliveryError{Status: s, Response: out,
			Err: fmt.Errorf("redirect (%d) not followed", s)}
	default:
		e := &DeliveryError{Status: s, Response: out, Retryable: retryableStatus(s),
			Err: fmt.Errorf("status %d", s)}
		if s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
			e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return out, e
	}
}

func retryableStatus(s int) bool {
	return s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || (s >= 500 && s <= 599)
}

// transportError classifies an error of Client.Do. The *url.Error layer is
// dropped: its message quotes the URL.
func transportError(err error) *DeliveryError {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		inner = ue.Err
	}
	return &DeliveryError{Retryable: !errors.Is(err, ErrBlocked), Err: inner}
}

// parseRetryAfter reads delay-seconds or an HTTP date, capped at
// MaxRetryAfter; 0 when absent, invalid or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if errors.Is(err, strconv.ErrRange) {
		if v[0] == '-' {
			return 0
		}
		return MaxRetryAfter
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// readResponse reads at most maxBytes of the body (a read error keeps what
// was read and marks it truncated) and closes it.
func readResponse(resp *http.Response, maxBytes int64) *Response {
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	truncated := rerr != nil
	if int64(len(data)) > maxBytes {
		data = data[:maxBytes]
		truncated = true
		// Let the connection be reused when the rest is small.
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	}
	if truncated {
		data = trimPartialRune(data)
	}

	out := &Response{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header)), Truncated: truncated}
	for k, vs := range resp.Header {
		if len(vs) > 0 {
			out.Headers[k] = vs[0]
		}
	}
	out.Body = string(data)
	if !truncated && isJSON(resp.Header.Get("Content-Type")) && json.Valid(data) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			out.Body = v
		}
	}
	return out
}

func isJSON(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// trimPartialRune drops an incomplete UTF-8 sequence cut at the end.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// validToken reports whether s is an RFC 9110 token (header name, method).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters other than horizontal tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
