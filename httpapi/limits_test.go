package httpapi_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
)

// TestRateLimits is the regression test of unlimited requests: failed
// authentications per client IP (then even a good token from that IP
// waits), anonymous form submissions per IP, and requests per token all
// answer 429 with Retry-After once over their limit.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.RateAuthFailures = 3 })

	for i := range 3 {
		r := send(t, env, "GET", "/api/v1/bases", "rf_not_a_token_"+strconv.Itoa(i), nil)
		require.Equal(t, http.StatusUnauthorized, r.Status)
	}
	r := send(t, env, "GET", "/api/v1/bases", "rf_not_a_token_4", nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, secs, 1)
	r = send(t, env, "GET", "/api/v1/bases", apptest.AdminToken, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "a locked-out address waits even with a good token")
	// Requests without a token are not authentication failures.
	require.Equal(t, http.StatusUnauthorized, send(t, env, "GET", "/api/v1/bases", "", nil).Status)
	for range 2 {
		require.Equal(t, http.StatusOK, send(t, env, "GET", "/healthz", "", nil).Status)
	}
}

// TestFormAndTokenRateLimits: anonymous submissions of a public form, and
// any token's requests, are limited.
func TestFormAndTokenRateLimits(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.RateFormSubmits = 2 })
	s := setupForms(t, env)
	submit := "/api/v1/forms/" + s.Public + "/submit"
	body := map[string]any{"fields": map[string]any{"Name": "Ada", "Tags": []any{"red"}}}
	for range 2 {
		require.Equal(t, http.StatusCreated, send(t, env, "POST", submit, "", body).Status)
	}
	r := send(t, env, "POST", submit, "", body)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+s.ItemsID+"/records", nil, 200)["items"], 2, "nothing written")

	env2 := apptest.Start(t, func(c *app.Config) { c.RateTokenRequests = 2 })
	_, tok := createToken(t, env2, "viewer")
	statuses := map[int]int{}
	for range 8 {
		statuses[send(t, env2, "GET", "/api/v1/bases", tok, nil).Status]++
	}
	require.GreaterOrEqual(t, statuses[http.StatusTooManyRequests], 1, "%v", statuses)
	require.GreaterOrEqual(t, statuses[http.StatusOK], 4, "%v", statuses)
}

// TestServerTimeouts is the regression test of connections kept forever:
// an idle keep-alive connection and one that never sends a header are
// closed by the server.
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) {
		c.IdleTimeout, c.ReadHeaderTimeout = 300*time.Millisecond, 300*time.Millisecond
	})
	addr := strings.TrimPrefix(env.URL, "http://")
	closedWithin := func(t *testing.T, c net.Conn, rd *bufio.Reader) {
		t.Helper()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		_, err := rd.ReadByte()
		require.Error(t, err)
		var ne net.Error
		if ok := asNetErr(err, &ne); ok {
			require.False(t, ne.Timeout(), "the server should have closed the connection")
		}
	}
	// Keep-alive: one request, then idle.
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	closedWithin(t, c, rd)
	// Never a header.
	c2, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c2.Close()
	closedWithin(t, c2, bufio.NewReader(c2))
}

func asNetErr(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// TestMaxConns: beyond MaxConns open connections, a new one is not served
// until one closes.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.MaxConns = 2 })
	addr := strings.TrimPrefix(env.URL, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		resp.Body.Close()
		held = append(held, c)
	}
	third, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer third.Close()
	_, err = third.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	rd := bufio.NewReader(third)
	require.NoError(t, third.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
	_, err = rd.Peek(1)
	require.Error(t, err, "a third connection must wait while two are open")
	held[0].Close()
	require.NoError(t, third.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
}

// TestClientRequestID is the regression test of any client X-Request-Id
// being echoed and logged: a short printable one is kept, a long one or
// one with control characters or spaces is replaced by a fresh id.
func TestClientRequestID(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	get := func(id string) string {
		req, err := http.NewRequest("GET", env.URL+"/healthz", nil)
		require.NoError(t, err)
		req.Header.Set("X-Request-Id", id)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header.Get("X-Request-Id")
	}
	require.Equal(t, "trace-42_ok:1", get("trace-42_ok:1"))
	for _, bad := range []string{strings.Repeat("x", 65), "two words", "forged\u00e9line"} {
		got := get(bad)
		require.NotEqual(t, bad, got)
		require.NotEmpty(t, got)
	}
}

// TestRiverUIPasswordGuessesAreLimited: River UI's Basic password is a
// token too; guessing it counts against the same per-IP limit.
func TestRiverUIPasswordGuessesAreLimited(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.RateAuthFailures = 2 })
	get := func(password string) *http.Response {
		req, err := http.NewRequest("GET", env.URL+"/riverui/", nil)
		require.NoError(t, err)
		req.SetBasicAuth("x", password)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	require.Equal(t, http.StatusUnauthorized, get("rf_guess_1").StatusCode)
	require.Equal(t, http.StatusUnauthorized, get("rf_guess_2").StatusCode)
	resp := get("rf_guess_3")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	require.Equal(t, http.StatusTooManyRequests, send(t, env, "GET", "/api/v1/bases", "rf_guess_4", nil).Status, "the API shares the limit")
}
