package automation

import (
	"testing"
	"time"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/stretchr/testify/require"
)

// TestNextRetry: exponential backoff doubles from delay_ms per attempt,
// fixed waits delay_ms every time, both are capped at one hour, and no
// delay means one second.
func TestNextRetry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		args    StepArgs
		attempt int
		want    time.Duration
	}{
		{"exponential first retry waits the delay", StepArgs{BackoffType: "exponential", DelayMS: 500}, 1, 500 * time.Millisecond},
		{"exponential doubles", StepArgs{BackoffType: "exponential", DelayMS: 500}, 2, time.Second},
		{"exponential doubles again", StepArgs{BackoffType: "exponential", DelayMS: 500}, 4, 4 * time.Second},
		{"exponential is the default", StepArgs{DelayMS: 1000}, 3, 4 * time.Second},
		{"exponential capped at one hour", StepArgs{BackoffType: "exponential", DelayMS: 1000}, 20, time.Hour},
		{"exponential cap holds for huge attempts", StepArgs{DelayMS: 3_600_000}, 25, time.Hour},
		{"fixed waits the delay", StepArgs{BackoffType: "fixed", DelayMS: 250}, 1, 250 * time.Millisecond},
		{"fixed does not grow", StepArgs{BackoffType: "fixed", DelayMS: 250}, 7, 250 * time.Millisecond},
		{"fixed capped at one hour", StepArgs{BackoffType: "fixed", DelayMS: 7_200_000}, 1, time.Hour},
		{"no delay means one second", StepArgs{BackoffType: "fixed"}, 3, time.Second},
		{"no delay, exponential", StepArgs{}, 2, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, now.Add(tc.want), NextRetry(tc.args, tc.attempt, now))
		})
	}
}

// TestStepJobCarriesTheRetryPolicy: a step's job copies its retry policy
// (so NextRetry needs no read), with its kind's defaults when the step has
// none (kind.DefaultRetry for a kind that declares nothing).
func TestStepJobCarriesTheRetryPolicy(t *testing.T) {
	t.Parallel()
	rt := &Runtime{kinds: kind.NewRegistry(nil, nil)}
	j := rt.stepJob("run_x", 2, StepSpec{}, time.Time{})
	args := j.args.(StepArgs)
	require.Equal(t, "run_x", args.RunID)
	require.Equal(t, 2, args.Index)
	require.Equal(t, "exponential", args.BackoffType)
	require.Equal(t, 1000, args.DelayMS)
	require.Equal(t, DefaultMaxAttempts, j.maxAttempts)
	j = rt.stepJob("run_x", 0, StepSpec{Retry: &RetrySpec{MaxAttempts: 7, Backoff: &BackoffSpec{Type: "fixed", DelayMS: 50}}}, time.Time{})
	args = j.args.(StepArgs)
	require.Equal(t, "fixed", args.BackoffType)
	require.Equal(t, 50, args.DelayMS)
	require.Equal(t, 7, j.maxAttempts)
}
