package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/console"
)

// TestConsoleLogin: pages need a session; the login form needs its CSRF
// token; a wrong token is 401; the cookie is HttpOnly and SameSite=Strict;
// logout ends the session on the server.
func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	b := newBrowser(t, env)

	a := b.get("/console/")
	require.Equal(t, http.StatusSeeOther, a.Status)
	require.Equal(t, "/console/login?next=%2Fconsole%2F", a.Header.Get("Location"))
	require.Equal(t, http.StatusUnauthorized, b.get("/console/runs/run_x/events").Status, "a stream is not redirected")
	post := b.post("/console/runs/run_x/retry", url.Values{"csrf": {"x"}})
	require.Equal(t, http.StatusSeeOther, post.Status, "a form post without a session goes to the login page")
	require.Equal(t, "/console/login", post.Header.Get("Location"))

	page := b.get("/console/login")
	require.Equal(t, 200, page.Status)
	require.Contains(t, page.Body, `<label for="token">`)
	require.Equal(t, http.StatusForbidden, b.post("/console/login", url.Values{"token": {apptest.AdminToken}}).Status, "no CSRF token")
	require.Equal(t, http.StatusForbidden, b.post("/console/login", url.Values{"token": {apptest.AdminToken}, "csrf": {"forged"}}).Status)
	bad := b.post("/console/login", url.Values{"csrf": {b.csrf("/console/login")}, "token": {"rf_wrong"}})
	require.Equal(t, http.StatusUnauthorized, bad.Status)
	require.Contains(t, bad.Body, "not valid")

	ok := b.post("/console/login", url.Values{"csrf": {b.csrf("/console/login")}, "token": {apptest.AdminToken}, "next": {"//evil.example/x"}})
	require.Equal(t, http.StatusSeeOther, ok.Status)
	require.Equal(t, "/console/", ok.Header.Get("Location"), "no open redirect")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: ok.Header}).Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	require.NotContains(t, cookie.Value, apptest.AdminToken)

	list := b.get("/console/")
	require.Equal(t, 200, list.Status)
	require.Contains(t, list.Body, "admin token")
	require.Equal(t, "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'", list.Header.Get("Content-Security-Policy"))

	require.Equal(t, http.StatusForbidden, b.post("/console/logout", nil).Status, "logout needs the CSRF token too")
	require.Equal(t, http.StatusSeeOther, b.post("/console/logout", url.Values{"csrf": {b.csrf("/console/")}}).Status)
	// The old cookie is dead on the server, not only forgotten.
	replay := newBrowser(t, env)
	replay.c.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{{Name: auth.SessionCookie, Value: cookie.Value, Path: "/"}})
	require.Equal(t, http.StatusSeeOther, replay.get("/console/").Status)
}

// TestConsolePages: the three pages show what the API has — the list with
// 24 h health and a sparkline, the automation with its definition
// (secret masked), stats and filtered runs, the run with its failed step
// and controls.
func TestConsolePages(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	runID := f.failedRun(t)
	b := newBrowser(t, env)
	b.login(token(t, env, "owner"))

	list := b.get("/console/")
	require.Equal(t, 200, list.Status)
	require.Contains(t, list.Body, "Shop notifier")
	require.Contains(t, list.Body, `<svg class="spark"`)
	require.Contains(t, list.Body, `href="/console/runs/`+runID+`"`, "last failure links the run")
	require.Contains(t, list.Body, "0.0 %", "success rate of one failed run")
	require.Contains(t, list.Body, "/disable", "an owner may disable in place")

	page := b.get("/console/automations/" + f.automationID)
	require.Equal(t, 200, page.Status, page.Body)
	require.Contains(t, page.Body, "send_webhook")
	require.NotContains(t, page.Body, "whsec_topsecret", "secrets are masked")
	require.Contains(t, page.Body, `id="row-`+runID+`"`)
	require.Contains(t, page.Body, `<svg class="chart"`)
	require.Contains(t, page.Body, `data-live="/console/automations/`+f.automationID+`/events?`)
	require.Contains(t, b.get("/console/automations/"+f.automationID+"?status=failed").Body, runID)
	require.NotContains(t, b.get("/console/automations/"+f.automationID+"?status=succeeded").Body, runID)
	require.NotContains(t, b.get("/console/automations/"+f.automationID+"?is_test=true").Body, runID)
	bad := b.get("/console/automations/" + f.automationID + "?is_test=maybe")
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, bad.Body, "is_test")
	require.Equal(t, http.StatusUnprocessableEntity, b.get("/console/automations/"+f.automationID+"?status=lost").Status)

	run := b.get("/console/runs/" + runID)
	require.Equal(t, 200, run.Status)
	require.Contains(t, run.Body, "status s-failed")
	require.Contains(t, run.Body, "<code>notify</code>")
	require.Contains(t, run.Body, "500")
	require.Contains(t, run.Body, `id="retry"`)
	require.Contains(t, run.Body, `id="replay"`)
	require.Contains(t, run.Body, "Condition trace: <span")
	require.Contains(t, run.Body, "<td>Name</td><td>is_not_empty</td>")
	require.NotContains(t, run.Body, "whsec_topsecret")
	// "Dry-run this again" with the app's hook (Runtime.DryRunAgain): the
	// step's request is shown, nothing is sent, no run is added.
	require.Contains(t, run.Body, `id="dry-run"`)
	callsBefore := f.calls.Load()
	runsBefore := countRuns(t, env, f.automationID)
	dry := b.post("/console/runs/"+runID+"/dry-run", url.Values{"csrf": {b.csrf("/console/runs/" + runID)}})
	require.Equal(t, 200, dry.Status, dry.Body)
	require.Contains(t, dry.Body, "previewed", "the dry run's step trace")
	require.NotContains(t, dry.Body, "whsec_topsecret")
	require.Equal(t, callsBefore, f.calls.Load(), "a dry run sends nothing")
	require.Equal(t, runsBefore, countRuns(t, env, f.automationID), "a dry run stores no run")

	// Retry goes through the runtime: the run runs its failed step again.
	sub, err := env.App.RunFeed.Subscribe(context.Background(), runID)
	require.NoError(t, err)
	defer sub.Close()
	retry := b.post("/console/runs/"+runID+"/retry", url.Values{"csrf": {b.csrf("/console/runs/" + runID)}})
	require.Equal(t, http.StatusSeeOther, retry.Status, retry.Body)
	require.Equal(t, "/console/runs/"+runID+"?done=retry", retry.Header.Get("Location"))
	for ev := range sub.C {
		if ev.Status == "failed" {
			break
		}
	}
	require.EqualValues(t, 2, f.calls.Load(), "the retry sent the step's request once more")

	// Disable in place, then enable again.
	csrf := b.csrf("/console/")
	require.Equal(t, http.StatusSeeOther, b.post("/console/automations/"+f.automationID+"/disable", url.Values{"csrf": {csrf}, "back": {"/console/"}}).Status)
	require.Equal(t, false, env.JSON("GET", "/api/v1/automations/"+f.automationID, nil, 200)["enabled"])
	require.Equal(t, http.StatusSeeOther, b.post("/console/automations/"+f.automationID+"/enable", url.Values{"csrf": {csrf}}).Status)
	require.Equal(t, true, env.JSON("GET", "/api/v1/automations/"+f.automationID, nil, 200)["enabled"])

	require.Equal(t, http.StatusNotFound, b.get("/console/runs/run_00000000000000000000000000").Status)
	require.Equal(t, http.StatusNotFound, b.get("/console/nowhere").Status)
	css := b.get("/console/static/console.css")
	require.Equal(t, 200, css.Status)
	require.True(t, strings.HasPrefix(css.Header.Get("Content-Type"), "text/css"))
}

// TestConsoleScoping: a token of base B sees nothing of base A — not in
// the list, not its automation, run or their streams, and cannot change
// them.
func TestConsoleScoping(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	a := setup(t, env, "Alpha")
	bb := setup(t, env, "Beta")
	runA := a.failedRun(t)
	b := newBrowser(t, env)
	b.login(token(t, env, "owner", bb.baseID))

	list := b.get("/console/")
	require.Equal(t, 200, list.Status)
	require.Contains(t, list.Body, "Beta notifier")
	require.NotContains(t, list.Body, "Alpha")
	require.NotContains(t, list.Body, a.automationID)
	require.NotContains(t, list.Body, a.baseID)
	for _, path := range []string{"/console/automations/" + a.automationID, "/console/runs/" + runA,
		"/console/automations/" + a.automationID + "/events", "/console/runs/" + runA + "/events"} {
		got := b.get(path)
		require.Equal(t, http.StatusNotFound, got.Status, path)
		require.NotContains(t, got.Body, "Alpha", path)
	}
	csrf := b.csrf("/console/")
	for _, path := range []string{"/console/automations/" + a.automationID + "/disable", "/console/runs/" + runA + "/retry",
		"/console/runs/" + runA + "/replay", "/console/runs/" + runA + "/cancel"} {
		require.Equal(t, http.StatusNotFound, b.post(path, url.Values{"csrf": {csrf}}).Status, path)
	}
	require.Equal(t, true, env.JSON("GET", "/api/v1/automations/"+a.automationID, nil, 200)["enabled"])
}

// TestConsoleViewerCannotMutate: a viewer sees the pages without
// controls, and a POST it makes anyway (with a valid CSRF token) is 403
// from the runtime's role check, changing nothing.
func TestConsoleViewerCannotMutate(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	runID := f.failedRun(t)
	b := newBrowser(t, env)
	b.login(token(t, env, "viewer"))

	list := b.get("/console/")
	require.Contains(t, list.Body, "Shop notifier")
	require.NotContains(t, list.Body, "/disable")
	run := b.get("/console/runs/" + runID)
	require.Equal(t, 200, run.Status)
	require.NotContains(t, run.Body, `id="retry"`)
	csrf := b.csrf("/console/")
	for _, path := range []string{"/console/automations/" + f.automationID + "/disable", "/console/runs/" + runID + "/retry",
		"/console/runs/" + runID + "/replay"} {
		require.Equal(t, http.StatusForbidden, b.post(path, url.Values{"csrf": {csrf}}).Status, path)
	}
	require.Equal(t, true, env.JSON("GET", "/api/v1/automations/"+f.automationID, nil, 200)["enabled"])
	require.Len(t, env.JSON("GET", "/api/v1/automations/"+f.automationID+"/runs", nil, 200)["items"], 1, "no replay")
	require.EqualValues(t, 1, f.calls.Load(), "no retry")
}

// TestConsoleCSRF: every mutating form needs the session's CSRF token
// (403 without it or with another's), and cross-origin posts are refused.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	b := newBrowser(t, env)
	b.login(apptest.AdminToken)
	other := newBrowser(t, env)
	other.login(apptest.AdminToken)
	path := "/console/automations/" + f.automationID + "/disable"
	require.Equal(t, http.StatusForbidden, b.post(path, nil).Status, "missing")
	require.Equal(t, http.StatusForbidden, b.post(path, url.Values{"csrf": {other.csrf("/console/")}}).Status, "another session's")
	require.Equal(t, http.StatusForbidden, b.post(path, url.Values{"csrf": {b.csrf("/console/")}}, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site").Status, "cross-origin")
	require.Equal(t, true, env.JSON("GET", "/api/v1/automations/"+f.automationID, nil, 200)["enabled"])
	require.Equal(t, http.StatusSeeOther, b.post(path, url.Values{"csrf": {b.csrf("/console/")}}, "Origin", env.URL).Status)
	require.Equal(t, false, env.JSON("GET", "/api/v1/automations/"+f.automationID, nil, 200)["enabled"])
}

// TestConsoleLive: the automation page's stream sends the row of a run as
// soon as a record write commits, and the run page's stream its state.
func TestConsoleLive(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	b := newBrowser(t, env)
	b.login(apptest.AdminToken)
	events := b.openEvents("/console/automations/" + f.automationID + "/events")
	runID := f.failedRun(t)
	ev := next(t, events, "run", func(e sseEvent) bool {
		return e.Data["id"] == runID && strings.Contains(e.Data["html"].(string), "s-failed")
	})
	require.Contains(t, ev.Data["html"], `<tr id="row-`+runID+`"`)

	runEvents := b.openEvents("/console/runs/" + runID + "/events")
	first := next(t, runEvents, "run", nil)
	require.Contains(t, first.Data["html"], `id="run-live"`)
	require.Contains(t, first.Data["html"], "s-failed")
}

// TestRiverUISession: River UI accepts the console's session cookie of
// an owner reaching every base, and refuses a viewer's.
func TestRiverUISession(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	owner := newBrowser(t, env)
	owner.login(token(t, env, "owner"))
	got := owner.get("/riverui/")
	require.Equal(t, 200, got.Status)
	require.Contains(t, strings.ToLower(got.Body), "<html")
	require.Contains(t, got.Body, `<a href="/console/"`, "River UI links back to the console")
	require.Contains(t, owner.get("/console/").Body, `href="/riverui/"`, "and the console to River UI")
	viewer := newBrowser(t, env)
	viewer.login(token(t, env, "viewer"))
	require.Equal(t, http.StatusForbidden, viewer.get("/riverui/").Status)
	require.Equal(t, http.StatusUnauthorized, newBrowser(t, env).get("/riverui/").Status)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// TestConsoleLoginRateLimit: refused logins count against the API's
// failed-authentication limit of the client IP; past it, 429 before the
// token is looked at (even a right one).
func TestConsoleLoginRateLimit(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.RateAuthFailures = 3 })
	b := newBrowser(t, env)
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, b.post("/console/login", url.Values{"csrf": {b.csrf("/console/login")}, "token": {"rf_wrong"}}).Status)
	}
	got := b.post("/console/login", url.Values{"csrf": {b.csrf("/console/login")}, "token": {apptest.AdminToken}})
	require.Equal(t, http.StatusTooManyRequests, got.Status)
	require.NotEmpty(t, got.Header.Get("Retry-After"))
}

// TestConsoleRequestRateLimit: a session's requests count against the
// per-token request limit (here 2/s, burst 4): past it the console answers
// 429 with Retry-After, and another token's session is not affected.
func TestConsoleRequestRateLimit(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *app.Config) { c.RateTokenRequests = 2 })
	b := newBrowser(t, env)
	b.login(token(t, env, "viewer"))
	limited := 0
	for range 12 {
		got := b.get("/console/")
		if got.Status == http.StatusTooManyRequests {
			limited++
			require.NotEmpty(t, got.Header.Get("Retry-After"))
		}
	}
	require.NotZero(t, limited, "12 pages at once stay under a 2/s limit")
	other := newBrowser(t, env)
	other.login(token(t, env, "viewer"))
	require.Equal(t, 200, other.get("/console/").Status, "another token has its own bucket")
}

// TestConsoleDryRun: with a DryRun hook the run page offers "dry-run this
// again" to editors and shows the hook's answer; a viewer's POST is 403
// and never reaches the hook. Without the hook the button is hidden; the
// app's own hook is tested in TestConsolePages.
func TestConsoleDryRun(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	runID := f.failedRun(t)
	var calls atomic.Int64
	c := console.New(console.Opts{Records: env.App.Records, Automations: env.App.Automations, Sessions: env.App.Sessions,
		DryRun: func(ctx context.Context, automationID, gotRun string) (json.RawMessage, error) {
			calls.Add(1)
			require.Equal(t, f.automationID, automationID)
			require.Equal(t, runID, gotRun)
			return json.RawMessage(`{"steps":[{"id":"notify","would":"POST /hook"}]}`), nil
		}})
	srv := httptest.NewServer(c)
	defer srv.Close()
	editor := newBrowser(t, &apptest.Env{T: t, App: env.App, URL: srv.URL})
	editor.login(token(t, env, "editor"))
	page := editor.get("/console/runs/" + runID)
	require.Contains(t, page.Body, `id="dry-run"`)
	got := editor.post("/console/runs/"+runID+"/dry-run", url.Values{"csrf": {editor.csrf("/console/runs/" + runID)}})
	require.Equal(t, 200, got.Status, got.Body)
	require.Contains(t, got.Body, "&#34;would&#34;: &#34;POST /hook&#34;")

	viewer := newBrowser(t, &apptest.Env{T: t, App: env.App, URL: srv.URL})
	viewer.login(token(t, env, "viewer"))
	require.NotContains(t, viewer.get("/console/runs/"+runID).Body, `id="dry-run"`)
	require.Equal(t, http.StatusForbidden, viewer.post("/console/runs/"+runID+"/dry-run", url.Values{"csrf": {viewer.csrf("/console/")}}).Status)
	require.EqualValues(t, 1, calls.Load())
}

// TestConsoleSessionEndsWithToken: deleting the token a session was
// opened with ends the session at once.
func TestConsoleSessionEndsWithToken(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	tok := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "short", "role": "editor"}, 201)
	b := newBrowser(t, env)
	b.login(tok["token"].(string))
	require.Equal(t, 200, b.get("/console/").Status)
	env.JSON("DELETE", "/api/v1/tokens/"+tok["id"].(string), nil, 204)
	require.Equal(t, http.StatusSeeOther, b.get("/console/").Status, "back to the login page")
}

// TestConsoleCancelReplay: Cancel stops a waiting run (its Cancel button
// shown while it waits), and Replay starts a new run with the same trigger
// data, linked to the original — both through the runtime, each landing
// on the run it concerns.
func TestConsoleCancelReplay(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	waiting := env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
		"name":    "slow",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{map[string]any{"id": "pause", "type": "delay", "config": map[string]any{"for": "1h"}},
			map[string]any{"id": "after", "type": "send_webhook", "config": map[string]any{"url": f.hook.URL + "/after"}}},
	}, 201)["id"].(string)
	sub, err := env.App.RunFeed.Subscribe(context.Background(), waiting)
	require.NoError(t, err)
	defer sub.Close()
	failed := f.failedRun(t)
	var runID string
	for ev := range sub.C {
		if ev.Status == "waiting" {
			runID = ev.RunID
			break
		}
	}
	b := newBrowser(t, env)
	b.login(token(t, env, "editor"))

	page := b.get("/console/runs/" + runID)
	require.Contains(t, page.Body, `id="cancel"`)
	require.NotContains(t, page.Body, `id="retry"`)
	got := b.post("/console/runs/"+runID+"/cancel", url.Values{"csrf": {b.csrf("/console/")}})
	require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
	require.Equal(t, "/console/runs/"+runID+"?done=cancel", got.Header.Get("Location"))
	require.Equal(t, "cancelled", env.JSON("GET", "/api/v1/runs/"+runID, nil, 200)["status"])
	require.Contains(t, b.get("/console/runs/"+runID+"?done=cancel").Body, "The run is cancelled.")

	got = b.post("/console/runs/"+failed+"/replay", url.Values{"csrf": {b.csrf("/console/")}})
	require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
	loc := got.Header.Get("Location")
	require.NotContains(t, loc, failed, "the replay is a run of its own")
	replay := strings.TrimSuffix(strings.TrimPrefix(loc, "/console/runs/"), "?done=replay")
	require.Equal(t, failed, env.JSON("GET", "/api/v1/runs/"+replay, nil, 200)["replay_of"])
	require.Contains(t, b.get(loc).Body, `replay of <a href="/console/runs/`+failed+`">`)
}

// countRuns counts an automation's runs.
func countRuns(t *testing.T, env *apptest.Env, automationID string) int {
	t.Helper()
	var n int
	require.NoError(t, env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM runs WHERE automation_id = $1`, automationID).Scan(&n))
	return n
}

// TestConsoleStreamEndsWithSession: an open event stream ends within a
// heartbeat of its session ending (here: its token deleted), so a revoked
// holder stops receiving runs.
func TestConsoleStreamEndsWithSession(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	f := setup(t, env, "Shop")
	c := console.New(console.Opts{Records: env.App.Records, Automations: env.App.Automations, Sessions: env.App.Sessions,
		Feed: env.App.RunFeed, Heartbeat: 50 * time.Millisecond})
	srv := httptest.NewServer(c)
	defer srv.Close()
	tok := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "short", "role": "editor"}, 201)
	b := newBrowser(t, &apptest.Env{T: t, App: env.App, URL: srv.URL})
	b.login(tok["token"].(string))
	events := b.openEvents("/console/automations/" + f.automationID + "/events")
	// Alive across several heartbeats while the session is.
	select {
	case _, ok := <-events:
		require.True(t, ok, "the stream ended while its session lived")
	case <-time.After(300 * time.Millisecond):
	}
	env.JSON("DELETE", "/api/v1/tokens/"+tok["id"].(string), nil, 204)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the stream outlived its session")
		}
	}
}

// TestConsoleCookiesSecureBehindTLSProxy: behind a proxy that terminated
// TLS (X-Forwarded-Proto: https) the console's cookies are Secure; over
// plain HTTP they are not (they would never be sent back).
func TestConsoleCookiesSecureBehindTLSProxy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	for _, proto := range []string{"https", ""} {
		req, err := http.NewRequest("GET", env.URL+"/console/login", nil)
		require.NoError(t, err)
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.NotEmpty(t, resp.Cookies())
		for _, c := range resp.Cookies() {
			require.Equal(t, proto == "https", c.Secure, "%s: %q", c.Name, proto)
		}
	}
}
