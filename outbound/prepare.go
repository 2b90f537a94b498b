package outbound

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Prepared is the request Deliver would send for a Request, as a dry run
// shows it: method, URL, the headers as they would go out (canonical
// names, the Standard Webhooks ones included) and the body.
type Prepared struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    []byte            `json:"-"`
}

// Prepare checks r as Deliver does before it dials (URL, method, header
// names and values, message id) and returns the request Deliver would
// send, without opening any connection or resolving any name. Which
// addresses the host may resolve to is decided by the Guard only when a
// delivery dials. The errors are Deliver's (*DeliveryError, permanent).
func Prepare(r Request) (Prepared, error) {
	req, err := buildRequest(context.Background(), r)
	if err != nil {
		return Prepared{}, err
	}
	out := Prepared{Method: req.Method, URL: req.URL.String(), Headers: map[string]string{}, Body: r.Body}
	for k, v := range req.Header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	return out, nil
}

// buildRequest is the request Deliver sends for r: checked URL, method and
// headers, Content-Type and User-Agent defaults, and the Standard Webhooks
// headers (webhook-id, webhook-timestamp, webhook-signature with a
// secret).
func buildRequest(ctx context.Context, r Request) (*http.Request, error) {
	if err := ValidateURL(r.URL); err != nil {
		return nil, &DeliveryError{Err: err}
	}
	method := strings.ToUpper(strings.TrimSpace(r.Method))
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		if !validToken(method) {
			return nil, &DeliveryError{Err: fmt.Errorf("outbound: invalid method %q", method)}
		}
		return nil, &DeliveryError{Err: errors.New("outbound: cannot build request")}
	}
	for k, v := range r.Headers {
		if !validToken(k) {
			return nil, &DeliveryError{Err: fmt.Errorf("outbound: invalid header name %q", k)}
		}
		if !validHeaderValue(v) {
			return nil, &DeliveryError{Err: fmt.Errorf("outbound: invalid value for header %q", k)}
		}
		req.Header.Set(k, v)
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}

	msgID := r.MsgID
	if msgID == "" {
		msgID = "msg_" + rand.Text()
	} else if !validHeaderValue(msgID) {
		return nil, &DeliveryError{Err: errors.New("outbound: invalid message id")}
	}
	ts := r.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	if r.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(r.Secret, msgID, ts, r.Body))
	} else {
		req.Header.Del(HeaderSignature)
	}
	return req, nil
}
