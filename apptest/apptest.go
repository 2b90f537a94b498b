// Package apptest starts a whole rowflow (API + River workers) on its own
// fresh database and a port on 127.0.0.1, for end-to-end tests through the
// real HTTP handler. It is a test helper: import it from _test files only.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/dbtest"
)

// AdminToken is the ROWFLOW_ADMIN_TOKEN of every test app (at least
// app.MinAdminTokenLen characters).
const AdminToken = "test-admin-token-0123456789abcdefghij"

// Env is one running rowflow for one test.
type Env struct {
	T   testing.TB
	App *app.App
	URL string
}

// Start runs rowflow on a fresh database; opts may adjust the config. The
// app is closed when the test ends. It logs warnings to stderr
// (everything with ROWFLOW_TEST_LOG set).
func Start(t testing.TB, opts ...func(*app.Config)) *Env {
	t.Helper()
	return StartWithLog(t, nil, opts...)
}

// StartWithLog is Start logging everything, down to debug, to w (nil:
// as Start does), for tests that check what the logs hold.
func StartWithLog(t testing.TB, w io.Writer, opts ...func(*app.Config)) *Env {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DatabaseURL = dbtest.NewURL(t)
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminToken = AdminToken
	cfg.MaxWorkers = 20
	cfg.PoolMaxConns = 10
	cfg.OutboundAllowCIDRs = "127.0.0.0/8"
	cfg.DataDir = t.TempDir()
	var key [32]byte
	_, _ = rand.Read(key[:])
	cfg.SecretKey = base64.StdEncoding.EncodeToString(key[:]) // connection secrets
	// Tests make many requests from one address with one token; the rate
	// limit tests turn the limits on with an option.
	cfg.RateAuthFailures, cfg.RateFormSubmits, cfg.RateTokenRequests = 0, 0, 0
	for _, o := range opts {
		o(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("ROWFLOW_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	var out io.Writer = os.Stderr
	if w != nil {
		out, level = w, slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	ctx := context.Background()
	// Migrations are already in the template the database was cloned from.
	a, err := app.New(ctx, cfg, log, false)
	require.NoError(t, err)
	require.NoError(t, a.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	return &Env{T: t, App: a, URL: a.URL()}
}

// Do sends a request with token (may be "") and a JSON body (nil for none)
// and returns the status and raw body.
func (e *Env) Do(method, path, token string, body any) (int, []byte) {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			rd = bytes.NewBufferString(raw)
		} else {
			b, err := json.Marshal(body)
			require.NoError(e.T, err)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	require.NoError(e.T, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.T, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(e.T, err)
	return resp.StatusCode, out
}

// JSON sends a request as the admin, requires status want, and decodes the
// answer into a map (nil for an empty body).
func (e *Env) JSON(method, path string, body any, want int) map[string]any {
	e.T.Helper()
	return e.JSONAs(AdminToken, method, path, body, want)
}

// JSONAs is JSON with a given token.
func (e *Env) JSONAs(token, method, path string, body any, want int) map[string]any {
	e.T.Helper()
	status, raw := e.Do(method, path, token, body)
	require.Equal(e.T, want, status, "%s %s answered %s", method, path, raw)
	if len(raw) == 0 {
		return nil
	}
	var out map[string]any
	require.NoError(e.T, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}
