package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds a headless-capable Chromium. Without one the browser
// test skips on a developer machine and fails in CI (CI set), where
// .ci/run installs Debian's chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium): the console browser test needs it")
	return ""
}

// newChrome starts a headless Chromium of width × height and returns a
// browser context that ends with the test.
func newChrome(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	return ctx
}

// screenshot saves a full-page PNG to $ROWFLOW_CONSOLE_SCREENSHOTS/name
// when that variable names a directory (docs/ screenshots are taken so).
func screenshot(name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("ROWFLOW_CONSOLE_SCREENSHOTS")
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if dir == "" {
			return chromedp.Void{}, nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
}

// waitFor polls the page until the JavaScript expression js is true (30 s
// at most). Errors while it polls are the page navigating or a live
// update replacing the nodes, and are tried again: chromedp's node
// queries can fail on such a node.
func waitFor(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	var last error
	require.Eventually(t, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		last = err
		return err == nil && ok
	}, 30*time.Second, 20*time.Millisecond, "waiting for %s (%s); last error: %v", what, js, &last)
}

// text is the text of the element sel selects.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, "text of %s", sel)
	return s
}

// TestConsoleBrowser drives the runs console in a real headless Chromium:
// log in with a token, open an automation, write a record through the API
// and watch its run appear live (SSE, no reload), open the run, press
// retry on its failed step and see the run fail again live.
func TestConsoleBrowser(t *testing.T) {
	t.Parallel()
	ctx := newChrome(t, 1280, 900)
	var calls atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":"inventory service down"}`, http.StatusServiceUnavailable)
	}))
	defer hook.Close()
	f := setup(t)
	env := f.env
	f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": map[string]any{"Name": "warm-up", "Amount": 12.5}}, 201)
	id := f.automation(t, map[string]any{
		"name":       "Order to inventory",
		"trigger":    f.trigger("record_created", nil),
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Amount", "op": "gt", "value": 100}}},
		"steps": []any{
			map[string]any{"id": "reserve", "type": "send_webhook", "retry": map[string]any{"max_attempts": 1},
				"config": map[string]any{"url": hook.URL + "/reserve", "secret": "whsec_browsertest", "body": map[string]any{"order": "{{trigger.record.id}}", "amount": "{{trigger.record.fields.Amount}}"}}},
		},
	})
	if os.Getenv("ROWFLOW_CONSOLE_SCREENSHOTS") != "" {
		// A week of history, so the screenshots show charts.
		seedRuns(t, env, f.baseID, id, "reserve", 600, 7*24*time.Hour)
		other := f.automation(t, map[string]any{"name": "Ship notice to the warehouse", "enabled": false,
			"trigger": f.trigger("record_updated", nil), "steps": []any{webhookStep("ship", hook.URL+"/ship", nil)}})
		seedRuns(t, env, f.baseID, other, "ship", 300, 7*24*time.Hour)
	}
	owner := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "browser", "role": "owner"}, 201)["token"].(string)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), owner),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/console/automations/`+id+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/console/automations/`+id+`"]`)),
		chromedp.WaitReady(chromedp.CSS(`#runs[data-live-state="open"]`)),
	), "log in and open the automation")

	// A record write: its run appears in the open page by itself.
	written := time.Now()
	recID := f.create(t, map[string]any{"Name": "Blue chair", "Amount": 149})
	// The row of this record's run, failed (seeded history has failed
	// rows of its own).
	rowSel := chromedp.Search(`//tbody[@id="runs"]/tr[td/code[text()="` + recID + `"]]//span[contains(@class, "s-failed")]`)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(rowSel)), "the run appears live")
	t.Logf("run visible in the console %s after the record write", time.Since(written).Round(time.Millisecond))
	require.Contains(t, text(t, ctx, `#runs tr:first-child`), recID)
	require.NoError(t, chromedp.Do(ctx, screenshot("console-automation.png")))

	// Open it, press retry: the failed step runs again and the page shows
	// the run failing again without a reload.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#runs tr:first-child a`))), "open the run")
	// The stream's first event replaces the run's part: look (and click)
	// after it.
	waitFor(t, ctx, `!!document.querySelector('#run-live[data-live-state="updated"] #retry')`, "the live run page")
	require.NoError(t, chromedp.Do(ctx, screenshot("console-run.png")))
	runID := text(t, ctx, `h1 code`)
	body := text(t, ctx, `main`)
	require.Contains(t, body, "reserve")
	require.Contains(t, body, "503")
	require.Contains(t, body, "Condition trace: passed")
	require.NotContains(t, body, "whsec_browsertest")
	require.EqualValues(t, 1, calls.Load())
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#run-live[data-live-state="updated"] #retry`))), "retry")
	waitFor(t, ctx, `!!document.querySelector('.flash') && !!document.querySelector('#run-live[data-live-state="updated"] #retry')`,
		"the retried run failed again, shown live")
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 30*time.Second, 10*time.Millisecond, "the retry called the step again")
	body = text(t, ctx, `.flash`)
	require.True(t, strings.HasPrefix(body, "Retry accepted"), body)

	// The list page, for the README.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`svg.spark`)),
		screenshot("console-list.png"),
	))

	// River UI opens with the console's session (no Basic prompt) and
	// links back.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/riverui/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/console/"][style]`)),
		chromedp.Click(chromedp.CSS(`a[href="/console/"][style]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.spark`)),
	), "to River UI and back")

	// Phone width: every page fits 390 px (wide tables scroll inside
	// their own box, not the page).
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)))
	for _, path := range []string{"/console/", "/console/automations/" + id, "/console/runs/" + runID} {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(env.URL+path), chromedp.WaitVisible(chromedp.CSS(`main h1`))))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		require.NoError(t, err)
		require.LessOrEqual(t, width, 391, "%s is %d px wide at phone width", path, width)
	}
	require.NoError(t, chromedp.Do(ctx, screenshot("console-run-phone.png")))
}
