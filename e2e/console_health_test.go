package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
)

// TestBaseHealth: the console list's per-automation health (two
// statements for a whole base) agrees with AutomationStats over the same
// 24 hours — runs, success rate, p95 duration — spreads exactly those runs
// over the hours, names the newest failed run as the run list does, and
// is not found for a token of another base.
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
	now := time.Now()
	health, err := rt.BaseHealth(ctx, f.baseID, now, 24)
	require.NoError(t, err)
	for _, id := range ids[:2] {
		st, err := rt.AutomationStats(ctx, id, automation.StatsQuery{From: now.Add(-24 * time.Hour), To: now, Bucket: "hour"})
		require.NoError(t, err)
		h := health[id]
		require.Equal(t, st.Total.Runs, h.Runs, id)
		require.NotZero(t, h.Runs)
		require.InDelta(t, *st.Total.SuccessRate, *h.SuccessRate, 1e-12)
		require.InDelta(t, *st.Total.Duration.P95, *h.DurationP95, 1e-9)
		var sum int64
		for _, n := range h.Hourly {
			sum += n
		}
		require.Equal(t, h.Runs, sum)
		failed, _, err := rt.ListRuns(ctx, id, automation.RunFilter{Status: automation.RunFailed, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, failed[0].ID, h.LastFailedRunID)
	}
	require.Zero(t, health[ids[2]].Runs, "no runs, no entry")

	other := rowflow.WithPrincipal(ctx, rowflow.Principal{TokenID: "tok_x", Role: rowflow.RoleOwner, BaseIDs: []string{"bas_other"}})
	_, err = rt.BaseHealth(other, f.baseID, now, 24)
	require.Equal(t, rowflow.CodeNotFound, rowflow.ErrorCode(err))
}
