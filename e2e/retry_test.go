package e2e_test

import (
	"context"
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
	receiverOutage(t, "10s", 10*time.Second, reliabilityEvents(),
		map[string]any{"max_attempts": 36, "backoff": map[string]any{"delay_ms": 100, "max_delay_ms": 1000}})
}

// outageScale is how much faster than real time TestReceiverDownFiveMinutes
// runs: the default external schedule (1 s doubling to 1 h, jitter, 36
// attempts) and the outage are both divided by it.
const outageScale = 30

// TestReceiverDownFiveMinutes: a receiver down for 5 minutes, on a clock 30
// times faster than real time — the outage lasts 10 s and the step's
// schedule is the default external one divided by 30 (33 ms doubling to
// at most 120 s, jitter, 36 attempts) — while events arrive at 2/s and
// (make test-reliability only) 50/s. Unlike the 10 s outage, the last
// retries wait longer than River's 5 s scheduling horizon, so they go
// through River's scheduled state and its leader's promotion (every 5 s
// real time: up to 150 s of the compressed clock). Every webhook arrives
// exactly once by webhook-id.
func TestReceiverDownFiveMinutes(t *testing.T) {
	t.Parallel()
	retry := map[string]any{"max_attempts": 36, "backoff": map[string]any{
		"delay_ms": 1000 / outageScale, "max_delay_ms": 3_600_000 / outageScale}}
	outage := 5 * time.Minute / outageScale
	for _, rate := range []int{2, 50} {
		t.Run(strconv.Itoa(rate)+"_per_s", func(t *testing.T) {
			t.Parallel()
			if rate > 2 && os.Getenv("ROWFLOW_RELIABILITY") == "" {
				t.Skip("heavy: run with make test-reliability")
			}
			receiverOutage(t, "5min (compressed 30x)", outage, rate*int(outage/time.Second), retry)
		})
	}
}

// receiverOutage sends events record creations spread evenly over an
// outage of the receiver (which answers 503 until then) to a webhook step
// with retry policy retry, and checks that every webhook arrives exactly
// once by webhook-id, every run succeeds and a waiting step shows
// next_attempt_at. It logs the FIGURE line, naming the outage label.
func receiverOutage(t *testing.T, label string, outage time.Duration, events int, retry map[string]any) {
	f := setup(t)
	rcv := newOutageReceiver(t)
	aut := f.automation(t, map[string]any{"name": "outage", "trigger": f.trigger("record_created", nil), "steps": []any{
		webhookStep("notify", rcv.URL, map[string]any{"retry": retry}),
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
	// Every run succeeded, not only the newest 200.
	var runsDone int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*), max(s.attempts) FROM runs r JOIN run_steps s ON s.run_id = r.id
		  WHERE r.automation_id = $1 AND r.status = 'succeeded' AND s.status = 'succeeded'`, aut).Scan(&runsDone, &maxAttempts))
	require.Equal(t, events, runsDone, "every run succeeded")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Len(t, rcv.accepted, events, "every webhook arrived")
	for id, n := range rcv.accepted {
		require.Equal(t, 1, n, "webhook %s arrived %d times", id, n)
	}
	t.Logf("FIGURE receiver down %s, %d events at %.1f/s (sent over %.1f s): %d delivered, 0 lost, 0 duplicates; %d refused attempts; most attempts of one step %d; last delivery %.2f s after the receiver came back",
		label, events, float64(events)/sent.Seconds(), sent.Seconds(), len(rcv.accepted), rcv.refused, maxAttempts, rcv.last.Sub(rcv.up).Seconds())
}
