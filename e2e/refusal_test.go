package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWebhook410FailsAtOnce: a receiver answering 410 Gone fails the step
// on its first attempt although the step keeps the default external
// schedule (36 attempts): 410, like every 4xx except 408 and 429, is not
// retried. The run fails with the status in the step's error, and the
// receiver saw exactly one request.
func TestWebhook410FailsAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, http.StatusGone, http.StatusGone, http.StatusGone)
	aut := f.automation(t, map[string]any{
		"name":    "gone",
		"trigger": f.trigger("record_created", nil),
		"steps":   []any{webhookStep("notify", rcv.URL, nil)}, // default retry: 36 attempts
	})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	step := stepsOf(run)[0]
	require.Equal(t, "failed", step["status"])
	require.EqualValues(t, 1, step["attempts"])
	require.Contains(t, step["error"], "status 410")
	require.Nil(t, step["next_attempt_at"])
	time.Sleep(2 * time.Second) // the first retry of the default schedule would be due after ~1 s
	require.Equal(t, 1, rcv.count(), "410 is not retried")
	t.Logf("FIGURE receiver answers 410: 1 request, step failed after 1 of 36 attempts, not retried")
}

// TestWebhookRedirectIsNotFollowed: a receiver answering 301, 302, 303,
// 307 or 308 with a Location on another receiver fails the step on its
// first attempt: the redirect is not followed (the target sees nothing —
// a redirect would otherwise carry the body and signature to a host the
// automation never named) and not retried, whatever the schedule. The
// step's error names the status.
func TestWebhookRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var followed atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(target.Close)
	statuses := []int{301, 302, 303, 307, 308}
	hits := make([]atomic.Int64, len(statuses))
	auts := make([]string, len(statuses))
	for i, s := range statuses {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			http.Redirect(w, r, target.URL+"/moved", s)
		}))
		t.Cleanup(rcv.Close)
		auts[i] = f.automation(t, map[string]any{
			"name":    "redirect " + strconv.Itoa(s),
			"trigger": f.trigger("record_created", nil),
			"steps":   []any{webhookStep("notify", rcv.URL, map[string]any{"retry": fastRetry})},
		})
	}
	f.create(t, map[string]any{"Name": "a"})
	for i, s := range statuses {
		run := f.waitExactly(t, auts[i], 1)[0]
		require.Equal(t, "failed", run["status"], "%d", s)
		step := stepsOf(run)[0]
		require.Equal(t, "failed", step["status"], "%d", s)
		require.EqualValues(t, 1, step["attempts"], "%d: a redirect is not retried", s)
		require.Contains(t, step["error"], "redirect ("+strconv.Itoa(s)+") not followed")
	}
	time.Sleep(200 * time.Millisecond) // fastRetry's retries would be due after 10 ms
	for i, s := range statuses {
		require.EqualValues(t, 1, hits[i].Load(), "%d: one request", s)
	}
	require.Zero(t, followed.Load(), "no redirect was followed")
	t.Logf("FIGURE receiver answers 301/302/303/307/308: 1 request each, step failed after 1 attempt, 0 requests to the Location")
}
