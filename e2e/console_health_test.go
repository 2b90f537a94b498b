package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
)

// TestBaseHealth: the console list's per-automation health (three
// statements for a whole base, from the stats rollup) over the 24 whole
// hours up to now's: runs and success rate equal the test's own SQL over
// that window, p95 duration within the histogram error; it agrees exactly
// with AutomationStats over those hours, spreads exactly those runs,
// names the newest failed run as the run list does, and is not found for
// a token of another base.
func TestBaseHealth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rt := f.env.App.Automations
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"one", "two", "idle"} {
		id := f.automation(t, map[string]any{"name": name, "trigger": f.trigger("record_created", nil),
			"steps": []any{webhookStep("send", "https://example.com/in", nil)}, "enabled": false})
		ids = append(ids, id)
	}
	seedRuns(t, f.env, f.baseID, ids[0], "send", 400, 48*time.Hour)
	seedRuns(t, f.env, f.baseID, ids[1], "send", 150, 30*time.Hour)
	// BaseHealth's window is the 24 whole UTC hours up to now's hour.
	now := time.Now()
	end := now.UTC().Truncate(time.Hour).Add(time.Hour)
	health, err := rt.BaseHealth(ctx, f.baseID, now, 24)
	require.NoError(t, err)
	for _, id := range ids[:2] {
		var runs, succeeded, failed int64
		var p95 float64
		require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed'),
			percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)::float8)
			FROM runs WHERE automation_id = $1 AND NOT is_test AND created_at >= $2 AND created_at < $3`, id, end.Add(-24*time.Hour), end).
			Scan(&runs, &succeeded, &failed, &p95))
		h := health[id]
		require.Equal(t, runs, h.Runs, id)
		require.NotZero(t, h.Runs)
		require.InDelta(t, float64(succeeded)/float64(succeeded+failed), *h.SuccessRate, 1e-12)
		require.InEpsilon(t, p95, *h.DurationP95, automation.HistMaxError)
		st, err := rt.AutomationStats(ctx, id, automation.StatsQuery{From: end.Add(-24 * time.Hour), To: end, Bucket: "hour"})
		require.NoError(t, err)
		require.Equal(t, st.Total.Runs, h.Runs)
		require.InDelta(t, *st.Total.SuccessRate, *h.SuccessRate, 1e-12)
		require.Equal(t, *st.Total.Duration.P95, *h.DurationP95, "the same histogram")
		var sum int64
		for _, n := range h.Hourly {
			sum += n
		}
		require.Equal(t, h.Runs, sum)
		last, _, err := rt.ListRuns(ctx, id, automation.RunFilter{Status: automation.RunFailed, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, last[0].ID, h.LastFailedRunID)
	}
	require.Zero(t, health[ids[2]].Runs, "no runs, no entry")

	other := rowflow.WithPrincipal(ctx, rowflow.Principal{TokenID: "tok_x", Role: rowflow.RoleOwner, BaseIDs: []string{"bas_other"}})
	_, err = rt.BaseHealth(other, f.baseID, now, 24)
	require.Equal(t, rowflow.CodeNotFound, rowflow.ErrorCode(err))
}
