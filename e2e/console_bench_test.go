package e2e_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestConsolePageLoad measures the console's three pages with 10,000 runs
// in the database (5 automations × 2,000 over the last 7 days): 100 loads
// of each, p50 and p95 of the time from sending the request to the last
// byte of the answer over loopback (server time plus a loopback round
// trip). Target: p50 ≤ 50 ms. It runs only with ROWFLOW_CONSOLE_BENCH=1;
// ROWFLOW_CONSOLE_BENCH_AUTOMATIONS=50 spreads the runs over 50
// automations instead (the list page reads each one's health).
func TestConsolePageLoad(t *testing.T) {
	if os.Getenv("ROWFLOW_CONSOLE_BENCH") == "" {
		t.Skip("set ROWFLOW_CONSOLE_BENCH=1 to measure the console's page loads")
	}
	f := setup(t)
	env := f.env
	automations := 5
	if v, err := strconv.Atoi(os.Getenv("ROWFLOW_CONSOLE_BENCH_AUTOMATIONS")); err == nil && v > 0 {
		automations = v
	}
	perAutomation := 10000 / automations
	var first string
	for i := range automations {
		id := f.automation(t, map[string]any{
			"name": "Notifier " + strconv.Itoa(i), "trigger": f.trigger("record_created", nil),
			"steps": []any{webhookStep("reserve", "https://inventory.example/reserve", nil)},
		})
		seedRuns(t, env, f.baseID, id, "reserve", perAutomation, 7*24*time.Hour)
		if first == "" {
			first = id
		}
	}
	_, err := env.App.Pool.Exec(t.Context(), `ANALYZE runs; ANALYZE run_steps`)
	require.NoError(t, err)
	var runs int
	require.NoError(t, env.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM runs`).Scan(&runs))
	require.Equal(t, automations*perAutomation, runs)
	var failedRun string
	require.NoError(t, env.App.Pool.QueryRow(t.Context(), `SELECT id FROM runs WHERE automation_id = $1 AND status = 'failed' ORDER BY created_at DESC LIMIT 1`, first).Scan(&failedRun))

	c := consoleClient(t, env, apptest.AdminToken)
	for _, p := range []struct{ name, path, marker string }{
		{"list", "/console/", `href="/console/automations/` + first + `"`},
		{"automation", "/console/automations/" + first, `<tbody id="runs"`},
		{"run", "/console/runs/" + failedRun, `<h1>Run <code>` + failedRun},
	} {
		times := make([]time.Duration, 0, 100)
		for i := range 101 {
			start := time.Now()
			resp, err := c.Get(env.URL + p.path)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode, p.path)
			if i == 0 {
				require.Contains(t, string(body), p.marker, "the page itself, not the login page")
			}
			if i > 0 { // the first load warms the caches
				times = append(times, time.Since(start))
			}
		}
		slices.Sort(times)
		t.Logf("console %-10s page over %d runs of %d automations: p50 %6.1f ms, p95 %6.1f ms (100 loads)", p.name, runs, automations,
			ms(times[49]), ms(times[94]))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// consoleClient is an HTTP client logged in to the console with token.
func consoleClient(t testing.TB, env *apptest.Env, token string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(env.URL + "/console/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	require.NotNil(t, m)
	resp, err = c.Post(env.URL+"/console/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {string(m[1])}, "token": {token}}.Encode()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	return c
}
