package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/dbtest"
)

// TestDatabaseLostAnswers503 is the regression test of losing the
// database answering 500: with the app's database refusing connections
// (and its connections cut), a request answers 503 with Retry-After and a
// message that shows no internals; once the database is back, 200.
func TestDatabaseLostAnswers503(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	u, err := url.Parse(env.App.Config.DatabaseURL)
	require.NoError(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	ctx := context.Background()
	adm, err := pgx.Connect(ctx, dbtest.AdminURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = adm.Close(ctx) })
	allow := func(on bool) {
		_, err := adm.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS "+map[bool]string{true: "true", false: "false"}[on])
		require.NoError(t, err)
	}
	allow(false)
	t.Cleanup(func() { allow(true) })
	_, err = adm.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
	require.NoError(t, err)

	r := send(t, env, "GET", "/api/v1/bases", apptest.AdminToken, nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Equal(t, "5", r.Header.Get("Retry-After"))
	require.NotContains(t, string(r.Body), "accepting connections")
	allow(true)
	back := time.Now()
	// Pooled connections cut earlier are found dead and replaced.
	require.Eventually(t, func() bool {
		return send(t, env, "GET", "/api/v1/bases", apptest.AdminToken, nil).Status == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	t.Logf("FIGURE database refusing connections: 503 + Retry-After; 200 again %s after it accepts them", time.Since(back).Round(time.Millisecond))
}
