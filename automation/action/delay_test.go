package action

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation/kind"
)

// TestParseDelay: Go durations led by optional whole days, never negative,
// at most 30 days.
func TestParseDelay(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"0s": 0, "90s": 90 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute,
		"2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "0d": 0, "30d": MaxDelay, " 5m ": 5 * time.Minute,
	} {
		got, err := ParseDelay(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "soon", "10", "-1s", "31d", "30d1s", "721h", "d", "1dd", "1.5d", "-1d"} {
		_, err := ParseDelay(in)
		require.Error(t, err, in)
	}
}

// TestParseUntil: RFC 3339, and ISO 8601 dates and date-times without an
// offset read as UTC.
func TestParseUntil(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		"2026-12-24":                time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC),
		"2026-12-24T09:30":          time.Date(2026, 12, 24, 9, 30, 0, 0, time.UTC),
		"2026-12-24T09:30:15":       time.Date(2026, 12, 24, 9, 30, 15, 0, time.UTC),
		"2026-12-24 09:30:15":       time.Date(2026, 12, 24, 9, 30, 15, 0, time.UTC),
		"2026-12-24T09:30:15Z":      time.Date(2026, 12, 24, 9, 30, 15, 0, time.UTC),
		"2026-12-24T09:30:15+02:00": time.Date(2026, 12, 24, 7, 30, 15, 0, time.UTC),
		"2026-12-24T09:30:15.5Z":    time.Date(2026, 12, 24, 9, 30, 15, 5e8, time.UTC),
	} {
		got, err := ParseUntil(in)
		require.NoError(t, err, in)
		require.True(t, want.Equal(got), "%s: %s", in, got)
	}
	for _, in := range []string{"", "tomorrow", "24/12/2026", "2026-13-01", "1734000000"} {
		_, err := ParseUntil(in)
		require.Error(t, err, in)
	}
}

// TestDelayExecute: the output's resume time is now + for, or until;
// a time not ahead is no wait (kind.Waiter says zero); beyond 30 days
// fails for good.
func TestDelayExecute(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	sc := &kind.StepContext{Now: now}
	run := func(c DelayConfig) (DelayOutput, error) {
		out, err := Delay{}.Execute(context.Background(), sc, &c)
		if err != nil {
			return DelayOutput{}, err
		}
		return out.(DelayOutput), nil
	}
	out, err := run(DelayConfig{For: "10m"})
	require.NoError(t, err)
	require.Equal(t, now.Add(10*time.Minute), out.ResumeAt)
	require.Equal(t, int64(600000), out.WaitMS)
	require.Equal(t, now.Add(10*time.Minute), Delay{}.ResumeAt(out))

	out, err = run(DelayConfig{Until: "2026-12-05"})
	require.NoError(t, err)
	require.Equal(t, now.Add(14*time.Hour), Delay{}.ResumeAt(out))

	for _, c := range []DelayConfig{{For: "0s"}, {Until: "2020-01-01"}} {
		out, err = run(c)
		require.NoError(t, err)
		require.Zero(t, out.WaitMS)
		require.Equal(t, now, out.ResumeAt)
		require.True(t, Delay{}.ResumeAt(out).IsZero(), "%+v", c)
	}
	for _, c := range []DelayConfig{{Until: "2027-01-04T10:00:01Z"}, {For: "nope"}, {Until: "nope"}, {}, {For: "1m", Until: "2026-12-05"}} {
		_, err = run(c)
		var ae *kind.ActionError
		require.ErrorAs(t, err, &ae, "%+v", c)
		require.False(t, ae.Retryable)
	}
}
