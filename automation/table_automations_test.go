package automation

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCachedAutomationsFollowOtherProcesses: engine a matches its own
// writes with a cached list of the table's automations; engine b (another
// process) adds one and disables another. a's next writes see exactly the
// automations enabled when each write committed.
func TestCachedAutomationsFollowOtherProcesses(t *testing.T) {
	t.Parallel()
	env := setupInline(t)
	a := env.rt
	b := newTestRuntime(t, env.pool, Opts{})
	ctx := context.Background()
	runsOf := func(automationID string) int {
		return env.count(t, `SELECT count(*) FROM runs WHERE automation_id = $1 AND status = 'succeeded'`, automationID)
	}
	write := func(name string) {
		_, err := a.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": name}})
		require.NoError(t, err)
		a.inflight.Wait() // the write's event, matched inline
	}

	write("one") // caches the list with the first automation
	require.Equal(t, 1, runsOf(env.automationID))
	cached, ok := a.automations.Get(env.items.ID)
	require.True(t, ok)
	require.Len(t, cached.rows, 1)

	name := "second"
	cfg, _ := json.Marshal(map[string]any{"table_id": env.items.ID})
	step, _ := json.Marshal(map[string]any{"table_id": env.log.ID, "fields": map[string]any{"Name": "again"}})
	second, err := b.CreateAutomation(ctx, env.items.BaseID, AutomationInput{Name: &name,
		Trigger: &TriggerSpec{Type: "record_created", Config: cfg},
		Steps:   &[]StepSpec{{ID: "log", Type: "create_record", Config: step}}})
	require.NoError(t, err)
	write("two")
	require.Eventually(t, func() bool { return runsOf(second.ID) == 1 }, 5*time.Second, 10*time.Millisecond, "the new automation fires")
	require.Equal(t, 2, runsOf(env.automationID))

	_, err = b.SetAutomationEnabled(ctx, env.automationID, false)
	require.NoError(t, err)
	write("three")
	require.Eventually(t, func() bool { return runsOf(second.ID) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 2, runsOf(env.automationID), "the disabled automation does not fire")
}
