package outbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deliverTo sends req to a fresh loopback server answering with h, through a
// guard that allows 127.0.0.0/8.
func deliverTo(t *testing.T, h http.HandlerFunc, req Request) (*Response, error) {
	t.Helper()
	srv, _ := loopbackServer(t, h)
	if req.URL == "" {
		req.URL = srv.URL + "/hook"
	}
	return Deliver(context.Background(), loopbackGuard(t).Client(30*time.Second), req)
}

func deliveryError(t *testing.T, err error) *DeliveryError {
	t.Helper()
	var de *DeliveryError
	require.ErrorAs(t, err, &de)
	return de
}

func TestDeliverJSONBody(t *testing.T) {
	resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("X-Multi", "first")
		w.Header().Add("X-Multi", "second")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true,"id":12345678901234567890,"items":[1,"a"]}`)
	}, Request{Body: []byte(`{"a":1}`)})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.Status)
	assert.False(t, resp.Truncated)
	assert.Equal(t, map[string]any{
		"ok":    true,
		"id":    json.Number("12345678901234567890"), // exact, not a float64
		"items": []any{json.Number("1"), "a"},
	}, resp.Body)
	assert.Equal(t, "first", resp.Headers["X-Multi"])
	assert.Equal(t, "application/json; charset=utf-8", resp.Headers["Content-Type"])

	// What the step output stores.
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"status":201`)
	assert.Contains(t, string(b), `"body":{"id":12345678901234567890,"items":[1,"a"],"ok":true}`)
	assert.NotContains(t, string(b), "truncated")
}

func TestDeliverProblemJSON(t *testing.T) {
	resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, `{"title":"bad"}`)
	}, Request{Body: []byte(`{}`)})
	de := deliveryError(t, err)
	assert.False(t, de.Retryable)
	assert.Same(t, resp, de.Response)
	assert.Equal(t, map[string]any{"title": "bad"}, resp.Body)
}

func TestDeliverTextBody(t *testing.T) {
	for name, tc := range map[string]struct{ ct, body string }{
		"text":             {"text/plain", "ok, thanks"},
		"json but invalid": {"application/json", `{"oops"`},
		"json with tail":   {"application/json", `{"a":1} {"b":2}`},
		"no content type":  {"", `{"a":1}`},
		"empty":            {"application/json", ""},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tc.ct} // no sniffing
				_, _ = io.WriteString(w, tc.body)
			}, Request{Body: []byte(`{}`)})
			require.NoError(t, err)
			assert.Equal(t, tc.body, resp.Body)
		})
	}
}

func TestDeliverTruncatesLargeBody(t *testing.T) {
	big := strings.Repeat("x", 1000)
	resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, big)
	}, Request{Body: []byte(`{}`), MaxResponseBytes: 100})
	require.NoError(t, err)
	assert.True(t, resp.Truncated)
	assert.Equal(t, big[:100], resp.Body)

	// Exactly the limit is not truncated.
	resp, err = deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, big[:100])
	}, Request{Body: []byte(`{}`), MaxResponseBytes: 100})
	require.NoError(t, err)
	assert.False(t, resp.Truncated)
	assert.Len(t, resp.Body, 100)

	// Default limit: 64 KiB; truncated JSON stays a string; a multi-byte
	// character cut by the limit is dropped.
	huge := `{"s": "` + strings.Repeat("é", 40<<10) + `"}`
	resp, err = deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, huge)
	}, Request{Body: []byte(`{}`)})
	require.NoError(t, err)
	assert.True(t, resp.Truncated)
	s, ok := resp.Body.(string)
	require.True(t, ok)
	assert.Equal(t, huge[:DefaultMaxResponseBytes-1], s) // 7 + 2·k bytes: the cut is mid-rune
}

func TestDeliverStatusClassification(t *testing.T) {
	cases := []struct {
		status    int
		retryable bool
	}{
		{500, true}, {502, true}, {503, true}, {504, true},
		{408, true}, {429, true},
		{400, false}, {401, false}, {403, false}, {404, false}, {409, false}, {410, false}, {422, false},
		{301, false}, {302, false}, {307, false}, {308, false},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.status/100 == 3 {
					w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, "nope")
			}, Request{Body: []byte(`{}`)})
			de := deliveryError(t, err)
			assert.Equal(t, tc.status, de.Status)
			assert.Equal(t, tc.retryable, de.Retryable)
			assert.Zero(t, de.RetryAfter)
			require.NotNil(t, resp)
			assert.Same(t, resp, de.Response)
			assert.Equal(t, tc.status, resp.Status)
			assert.Equal(t, "nope", resp.Body)
			assert.Contains(t, de.Error(), strconv.Itoa(tc.status))
		})
	}
}

func TestDeliverRetryAfter(t *testing.T) {
	answer := func(status int, retryAfter string) *DeliveryError {
		_, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
		}, Request{Body: []byte(`{}`)})
		return deliveryError(t, err)
	}

	de := answer(429, "7")
	assert.True(t, de.Retryable)
	assert.Equal(t, 7*time.Second, de.RetryAfter)

	de = answer(503, time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	assert.True(t, de.Retryable)
	assert.Greater(t, de.RetryAfter, 25*time.Second)
	assert.LessOrEqual(t, de.RetryAfter, 30*time.Second)

	assert.Equal(t, time.Hour, answer(429, "86400").RetryAfter, "capped")
	assert.Equal(t, time.Hour, answer(503, time.Now().Add(48*time.Hour).UTC().Format(http.TimeFormat)).RetryAfter)
	assert.Zero(t, answer(429, "soon").RetryAfter, "invalid")
	assert.Zero(t, answer(429, "-5").RetryAfter, "negative")
	assert.Zero(t, answer(503, time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)).RetryAfter, "past")
	assert.Zero(t, answer(500, "7").RetryAfter, "only on 429/503")
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	assert.Equal(t, 120*time.Second, parseRetryAfter(" 120 ", now))
	assert.Zero(t, parseRetryAfter("0", now))
	assert.Zero(t, parseRetryAfter("", now))
	assert.Equal(t, time.Hour, parseRetryAfter("99999999999999999999", now))
	assert.Equal(t, 90*time.Second, parseRetryAfter("Fri, 02 Jan 2026 15:05:35 GMT", now))
	assert.Equal(t, 90*time.Second, parseRetryAfter("Friday, 02-Jan-26 15:05:35 GMT", now)) // RFC 850
	assert.Equal(t, 90*time.Second, parseRetryAfter("Fri Jan  2 15:05:35 2026", now))       // asctime
}

func TestDeliverTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	resp, err := deliverTo(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, Request{Body: []byte(`{}`), Timeout: 200 * time.Millisecond})
	assert.Nil(t, resp)
	de := deliveryError(t, err)
	assert.True(t, de.Retryable)
	assert.Zero(t, de.Status)
	assert.Nil(t, de.Response)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestDeliverClientTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := Deliver(context.Background(), loopbackGuard(t).Client(150*time.Millisecond), Request{URL: srv.URL})
	de := deliveryError(t, err)
	assert.True(t, de.Retryable)
}

func TestDeliverConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	_, err = Deliver(context.Background(), loopbackGuard(t).Client(5*time.Second),
		Request{URL: "http://" + addr + "/hook", Body: []byte(`{}`)})
	de := deliveryError(t, err)
	assert.True(t, de.Retryable)
	assert.Zero(t, de.Status)
	assert.Nil(t, de.Response)
	assert.NotErrorIs(t, err, ErrBlocked)
}

func TestDeliverBlockedIsNotRetryable(t *testing.T) {
	srv, hits := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {})
	for _, c := range []*http.Client{NewGuard(nil).Client(5 * time.Second), nil} {
		_, err := Deliver(context.Background(), c, Request{URL: srv.URL + "/secret-token", Body: []byte(`{}`)})
		de := deliveryError(t, err)
		assert.False(t, de.Retryable)
		assert.ErrorIs(t, err, ErrBlocked)
		assert.NotContains(t, err.Error(), "secret-token", "the URL is not quoted")
	}
	assert.Zero(t, hits.Load())
}

func TestDeliverBadRequestIsNotRetryable(t *testing.T) {
	c := loopbackGuard(t).Client(time.Second)
	for _, r := range []Request{
		{URL: ""},
		{URL: "ftp://127.0.0.1/x"},
		{URL: "file:///etc/passwd"},
		{URL: "/relative"},
		{URL: "http://"},
		{URL: "http:opaque"},
		{URL: "http://127.0.0.1:99999/"},
		{URL: "http://127.0.0.1/" + strings.Repeat("a", 2048)},
		{URL: "http://127.0.0.1/", Method: "GE T"},
		{URL: "http://127.0.0.1/", Headers: map[string]string{"Bad Name": "x"}},
		{URL: "http://127.0.0.1/", Headers: map[string]string{"X-Ok": "line\r\nInjected: 1"}},
		{URL: "http://127.0.0.1/", MsgID: "id\nx"},
	} {
		_, err := Deliver(context.Background(), c, r)
		de := deliveryError(t, err)
		assert.False(t, de.Retryable, "%+v", r)
		assert.Zero(t, de.Status)
	}
}

func TestDeliverHeaders(t *testing.T) {
	key := []byte("a 32-byte key for webhook tests!")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	ts := time.Unix(1767366245, 0)
	body := []byte(`{"event":"row.created","id":"rec_1"}`)

	type seen struct {
		method, path string
		header       http.Header
		body         []byte
		sigOK        bool
	}
	got := make(chan seen, 1)
	handler := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		// Independent verification, as a Standard Webhooks receiver does.
		id, tsh := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + tsh + "."))
		m.Write(b)
		expected := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		sigOK := false
		for _, s := range strings.Fields(r.Header.Get("webhook-signature")) {
			sigOK = sigOK || hmac.Equal([]byte(s), []byte(expected))
		}
		got <- seen{r.Method, r.URL.Path, r.Header.Clone(), b, sigOK}
		w.WriteHeader(http.StatusNoContent)
	}

	resp, err := deliverTo(t, handler, Request{
		Headers: map[string]string{
			"Authorization":     "Bearer t0k",
			"x-custom":          "yes",
			"WEBHOOK-ID":        "spoofed",
			"webhook-timestamp": "1",
			"Webhook-Signature": "v1,spoofed",
		},
		Body:      body,
		Secret:    secret,
		MsgID:     "run_42.step_7",
		Timestamp: ts,
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.Status)
	assert.Equal(t, "", resp.Body)

	s := <-got
	assert.Equal(t, http.MethodPost, s.method)
	assert.Equal(t, "/hook", s.path)
	assert.Equal(t, body, s.body)
	assert.True(t, s.sigOK, "signature verified by the receiver")
	assert.Equal(t, []string{"run_42.step_7"}, s.header.Values("Webhook-Id"))
	assert.Equal(t, []string{"1767366245"}, s.header.Values("Webhook-Timestamp"))
	assert.Equal(t, []string{Sign(secret, "run_42.step_7", ts, body)}, s.header.Values("Webhook-Signature"))
	assert.Equal(t, "application/json", s.header.Get("Content-Type"))
	assert.Equal(t, "Bearer t0k", s.header.Get("Authorization"))
	assert.Equal(t, "yes", s.header.Get("X-Custom"))
	assert.Equal(t, userAgent, s.header.Get("User-Agent"))

	// User Content-Type and method are kept; no secret → no signature (even
	// a user one); no body → no Content-Type; empty MsgID and zero Timestamp
	// are filled in.
	before := time.Now().Unix()
	_, err = deliverTo(t, handler, Request{
		Method:  "put",
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "webhook-signature": "v1,x"},
		Body:    []byte("a=1"),
	})
	require.NoError(t, err)
	s = <-got
	assert.Equal(t, http.MethodPut, s.method)
	assert.Equal(t, "application/x-www-form-urlencoded", s.header.Get("Content-Type"))
	assert.Empty(t, s.header.Values("Webhook-Signature"))
	assert.True(t, strings.HasPrefix(s.header.Get("Webhook-Id"), "msg_"))
	sent, err := strconv.ParseInt(s.header.Get("Webhook-Timestamp"), 10, 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, sent, before)
	assert.LessOrEqual(t, sent, time.Now().Unix())

	_, err = deliverTo(t, handler, Request{Method: http.MethodGet})
	require.NoError(t, err)
	s = <-got
	assert.Equal(t, http.MethodGet, s.method)
	assert.Empty(t, s.header.Get("Content-Type"))
	assert.Empty(t, s.body)
}

func TestDeliverErrorMessages(t *testing.T) {
	e := &DeliveryError{Status: 503, Retryable: true, Err: errors.New("status 503")}
	assert.Equal(t, "outbound: delivery failed: status 503", e.Error(), "retrying is the caller's to say")
	e = &DeliveryError{Err: fmt.Errorf("dial tcp 127.0.0.1:9: %w", ErrBlocked)}
	assert.Equal(t, "outbound: delivery failed: destination address not allowed", e.Error(), "one prefix")
	e = &DeliveryError{Err: errors.New("outbound: invalid header name \"x y\"")}
	assert.Equal(t, "outbound: delivery failed: invalid header name \"x y\"", e.Error())
	e = &DeliveryError{Status: 404}
	assert.Equal(t, "outbound: delivery failed: status 404", e.Error())
	inner := errors.New("boom")
	assert.ErrorIs(t, &DeliveryError{Err: inner}, inner)
}

func TestValidateURL(t *testing.T) {
	for _, ok := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXX",
		"http://example.com",
		"HTTPS://Example.COM:8443/path?q=1#frag",
		"https://user:pass@example.com/",
		"http://[2001:db8::1]:8080/",
		"http://does-not-exist.invalid/", // no DNS lookup at save time
		"http://127.0.0.1/",              // addresses are judged at dial time
		"https://example.com/" + strings.Repeat("a", MaxURLLength-len("https://example.com/")),
	} {
		assert.NoError(t, ValidateURL(ok), ok)
	}
	for _, bad := range []string{
		"",
		"example.com/path",
		"//example.com/path",
		"ftp://example.com/",
		"javascript:alert(1)",
		"http://",
		"http:///path",
		"http://:80/",
		"http:example.com",
		"http://example.com:0/",
		"http://example.com:70000/",
		"http://exa mple.com/",
		"http://example.com/\x00",
		"https://example.com/" + strings.Repeat("a", MaxURLLength),
	} {
		assert.Error(t, ValidateURL(bad), bad)
	}
}
