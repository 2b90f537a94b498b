package automation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/automation/kind"
)

// schedule is the waits of policy p between its attempts (jitter off).
func schedule(p kind.RetryPolicy) []time.Duration {
	args := automation.StepArgs{RunID: "run_x", BackoffType: "exponential", DelayMS: int(p.Delay / time.Millisecond), MaxDelayMS: int(p.MaxDelay / time.Millisecond)}
	if !p.Exponential {
		args.BackoffType = "fixed"
	}
	now := time.Unix(0, 0)
	var out []time.Duration
	for a := 1; a < p.MaxAttempts; a++ {
		out = append(out, automation.NextRetry(args, a, now).Sub(now))
	}
	return out
}

// TestExternalRetrySchedule: the default of actions that call out waits
// 1 s, 2 s, 4 s … at most 1 h, for about 24 h in all, and is over a 10 s
// outage by the 5th attempt; record actions keep 3 attempts (1 s, 2 s).
func TestExternalRetrySchedule(t *testing.T) {
	t.Parallel()
	waits := schedule(kind.ExternalRetry)
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, waits[:4])
	var total, elapsed time.Duration
	fifth := 0
	for i, w := range waits {
		require.LessOrEqual(t, w, time.Hour)
		total += w
		if elapsed < 10*time.Second && elapsed+w >= 10*time.Second && fifth == 0 {
			fifth = i + 2 // attempt number after this wait
		}
		elapsed += w
	}
	require.InDelta(t, 24, total.Hours(), 0.5, "about 24 h in all: %s", total)
	require.Equal(t, 5, fifth, "a 10 s outage is over by the 5th attempt")
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, schedule(kind.DefaultRetry))
}

// TestRetryJitter: jitter spreads a wait by ±20 %, the same for the same
// run, step and attempt (what the step's next_attempt_at shows is what
// River uses).
func TestRetryJitter(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	seen := map[time.Duration]bool{}
	for i := range 50 {
		args := automation.StepArgs{RunID: "run_" + string(rune('a'+i)), BackoffType: "exponential", DelayMS: 1000, Jitter: true}
		d := automation.NextRetry(args, 4, now).Sub(now)
		require.GreaterOrEqual(t, d, 6400*time.Millisecond)
		require.LessOrEqual(t, d, 9600*time.Millisecond)
		require.Equal(t, d, automation.NextRetry(args, 4, now).Sub(now))
		seen[d] = true
	}
	require.Greater(t, len(seen), 40, "waits are spread")
}
