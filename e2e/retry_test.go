package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// outageReceiver answers 503 (no Retry-After) until up, then 200,
// counting each webhook-id it accepted.
type outageReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	up       time.Time
	refused  int
	accepted map[string]int
	last     time.Time
}

func newOutageReceiver(t *testing.T) *outageReceiver {
	r := &outageReceiver{accepted: map[string]int{}, up: time.Now().Add(time.Hour)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if time.Now().Before(r.up) {
			r.refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.accepted[req.Header.Get("webhook-id")]++
		r.last = time.Now()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

// reliabilityEvents reads ROWFLOW_RELIABILITY_EVENTS (events of the
// outage scenario, default 20; make test-reliability sends 500, 50/s).
func reliabilityEvents() int {
	if n, err := strconv.Atoi(os.Getenv("ROWFLOW_RELIABILITY_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// TestReceiverDownTenSeconds: a receiver down for 10 s while events
// arrive at 2/s loses nothing. With the old default (3 attempts, 1 s then
// 2 s) 14 of 20 webhooks were lost for good. The step uses the external
// schedule (doubling, jitter) at a tenth of its pace — 100 ms doubling to
// at most 1 s — so a 10 s outage is exercised in about 11 s; while a step
// waits, its run shows next_attempt_at. Every webhook arrives exactly
// once by webhook-id.
func TestReceiverDownTenSeconds(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newOutageReceiver(t)
	const outage = 10 * time.Second
	events := reliabilityEvents()
	aut := f.automation(t, map[string]any{"name": "outage", "trigger": f.trigger("record_created", nil), "steps": []any{
		webhookStep("notify", rcv.URL, map[string]any{
			"retry": map[string]any{"max_attempts": 36, "backoff": map[string]any{"delay_ms": 100, "max_delay_ms": 1000}},
		}),
	}})
	start := time.Now()
	rcv.mu.Lock()
	rcv.up = start.Add(outage)
	rcv.mu.Unlock()
	every := outage / time.Duration(events)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := range events {
		f.create(t, map[string]any{"Name": "e" + strconv.Itoa(i)})
		if i == 0 {
			// The first run's step waits for its retry, and says when.
			require.Eventually(t, func() bool {
				for _, r := range f.runs(t, aut) {
					for _, s := range stepsOf(r) {
						if at, ok := s["next_attempt_at"].(string); ok && at != "" && s["status"] == "running" {
							return true
						}
					}
				}
				return false
			}, 5*time.Second, 20*time.Millisecond, "a pending retry shows next_attempt_at")
		}
		<-tick.C
	}
	sent := time.Since(start)
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.accepted) >= events
	}, 2*time.Minute, 20*time.Millisecond, "every webhook arrives")
	// The runs list answers at most 200: check the newest 200 runs.
	runs := f.waitRuns(t, aut, min(events, 200))
	maxAttempts := 0
	for _, r := range runs {
		require.Equal(t, "succeeded", r["status"], "%v", r)
		s := stepsOf(r)[0]
		require.Nil(t, s["next_attempt_at"], "a finished step has no next attempt")
		maxAttempts = max(maxAttempts, int(s["attempts"].(float64)))
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Len(t, rcv.accepted, events, "every webhook arrived")
	for id, n := range rcv.accepted {
		require.Equal(t, 1, n, "webhook %s arrived %d times", id, n)
	}
	t.Logf("FIGURE receiver down %s, %d events at %.1f/s (sent over %.1f s): %d delivered, 0 lost, 0 duplicates; %d refused attempts; most attempts of one step %d; last delivery %.2f s after the receiver came back",
		outage, events, float64(events)/sent.Seconds(), sent.Seconds(), len(rcv.accepted), rcv.refused, maxAttempts, rcv.last.Sub(rcv.up).Seconds())
}
