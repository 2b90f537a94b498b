package webhook

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// authHeaders are the request headers that carry credentials: never
// stored, never shown to automations.
var authHeaders = map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Webhook-Signature": true}

// secrets are the secrets a request may use now: the current one and,
// within its grace period, the one before the last rotation.
func secrets(w db.Webhook, now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != nil && w.PreviousUntil != nil && now.Before(*w.PreviousUntil) {
		out = append(out, *w.PreviousSecret)
	}
	return out
}

// verify checks a request's credentials against webhook w; the error is a
// CodeUnauthorized saying what was wrong (never a secret).
func verify(w db.Webhook, h http.Header, body []byte, now time.Time) error {
	switch w.AuthMode {
	case ModeNone:
		return nil
	case ModeHMAC:
		return verifyHMAC(w, h, body, now)
	case ModeBearer:
		scheme, tok, _ := strings.Cut(h.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "bearer") || tok == "" {
			return unauthorized("send Authorization: Bearer <the webhook's secret>")
		}
		return matchSecret(w, strings.TrimSpace(tok), now)
	case ModeBasic:
		r := http.Request{Header: h}
		_, pass, ok := r.BasicAuth()
		if !ok {
			return unauthorized("send HTTP Basic credentials: any user name, the webhook's secret as password")
		}
		return matchSecret(w, pass, now)
	}
	return unauthorized("unknown auth mode")
}

func matchSecret(w db.Webhook, given string, now time.Time) error {
	for _, s := range secrets(w, now) {
		if s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(given)) == 1 {
			return nil
		}
	}
	return unauthorized("wrong secret")
}

// verifyHMAC is Standard Webhooks over the raw body: webhook-id,
// webhook-timestamp within 5 minutes, webhook-signature (several
// space-separated signatures accepted), tried with each valid secret.
func verifyHMAC(w db.Webhook, h http.Header, body []byte, now time.Time) error {
	// The library checks the timestamp against the wall clock; the
	// service's clock decides instead (tests pin it).
	if h.Get("webhook-id") == "" || h.Get("webhook-signature") == "" {
		return unauthorized("missing Standard Webhooks headers: webhook-id, webhook-timestamp and webhook-signature are required")
	}
	if err := checkTimestamp(h.Get("webhook-timestamp"), now); err != nil {
		return err
	}
	var last error
	for _, s := range secrets(w, now) {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return err
		}
		if last = wh.VerifyIgnoringTimestamp(body, h); last == nil {
			return nil
		}
	}
	switch {
	case errors.Is(last, standardwebhooks.ErrRequiredHeaders):
		return unauthorized("missing Standard Webhooks headers: webhook-id, webhook-timestamp and webhook-signature are required")
	case errors.Is(last, standardwebhooks.ErrInvalidHeaders):
		return unauthorized("malformed webhook-timestamp or webhook-signature")
	}
	return unauthorized("no webhook-signature matches the body (signed over the raw body: <webhook-id>.<webhook-timestamp>.<body>)")
}

// tolerance is how far webhook-timestamp may be from now.
const tolerance = 5 * time.Minute

func checkTimestamp(v string, now time.Time) error {
	if v == "" {
		return unauthorized("missing Standard Webhooks headers: webhook-id, webhook-timestamp and webhook-signature are required")
	}
	var sec int64
	for _, c := range v {
		if c < '0' || c > '9' || sec > 1<<40 {
			return unauthorized("malformed webhook-timestamp (Unix seconds)")
		}
		sec = sec*10 + int64(c-'0')
	}
	ts := time.Unix(sec, 0)
	switch {
	case now.Sub(ts) > tolerance:
		return unauthorized("webhook-timestamp is more than 5 minutes old")
	case ts.Sub(now) > tolerance:
		return unauthorized("webhook-timestamp is more than 5 minutes in the future")
	}
	return nil
}

func unauthorized(msg string) error {
	return rowflow.Errorf(rowflow.CodeUnauthorized, "webhook authentication failed: %s", msg)
}

// Sign returns the Standard Webhooks signature header value of body for
// secret (whsec_…), message id and time: what `rowflow webhook sign` prints
// and what a sender puts in webhook-signature.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", err
	}
	return wh.Sign(id, at, body)
}
