package automation

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/automation/trigger"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// pinged is a trigger that is not a record write, for StartTriggered:
// config {key}, conditions on trigger data paths.
type pinged struct{}

type pingedConfig struct {
	Key string `json:"key"`
}

func (pinged) Name() string                        { return "pinged" }
func (pinged) Summary() string                     { return "test trigger" }
func (pinged) NewConfig() any                      { return &pingedConfig{} }
func (pinged) Example(string) any                  { return pingedConfig{Key: "k"} }
func (pinged) Validate(kind.Validator, any) string { return "" }
func (pinged) PayloadConditions()                  {}

// TestStartTriggered: an occurrence started inside a caller's transaction
// starts one run per enabled automation of its trigger whose config and
// conditions match, in its own base only; the same key again starts
// nothing and answers the same run ids; a rolled back transaction leaves
// nothing; the commit is synchronous; inline first steps run on Dispatch.
func TestStartTriggered(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	recs := record.New(record.Opts{Pool: pool})
	rt := New(Opts{Pool: pool, Records: recs, InlineBackstop: time.Hour, Kinds: kind.NewRegistry(
		[]kind.Trigger{pinged{}, trigger.RecordCreated{}}, []kind.Action{action.CreateRecord{Records: recs}})})
	recs.SetHook(rt)
	t.Cleanup(func() { _ = rt.Drain(context.Background()) })
	ctx := context.Background()
	base, err := recs.CreateBase(ctx, "A")
	require.NoError(t, err)
	other, err := recs.CreateBase(ctx, "B")
	require.NoError(t, err)
	log, err := recs.CreateTable(ctx, base.ID, "Log", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	mk := func(baseID, key string, cond any, steps []StepSpec) Automation {
		name := "on " + key
		cfg, _ := json.Marshal(map[string]any{"key": key})
		in := AutomationInput{Name: &name, Trigger: &TriggerSpec{Type: "pinged", Config: cfg}, Steps: &steps}
		if cond != nil {
			raw, _ := json.Marshal(cond)
			c := json.RawMessage(raw)
			in.Conditions = &c
		}
		a, err := rt.CreateAutomation(ctx, baseID, in)
		require.NoError(t, err)
		return a
	}
	step, _ := json.Marshal(map[string]any{"table_id": log.ID, "fields": map[string]any{"Name": "{{trigger.body.name}}"}})
	logs := []StepSpec{{ID: "log", Type: "create_record", Config: step}}
	fires := mk(base.ID, "k", nil, logs)
	big := mk(base.ID, "k", map[string]any{"match": "all", "rules": []any{map[string]any{"field": "body.n", "op": "gt", "value": 10}}}, nil)
	mk(base.ID, "other key", nil, nil)
	mk(other.ID, "k", nil, nil) // another base's automation with the same config
	off := mk(base.ID, "k", nil, nil)
	_, err = rt.SetAutomationEnabled(ctx, off.ID, false)
	require.NoError(t, err)

	start := func(key string, n float64, commit bool) Started {
		t.Helper()
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		s, err := rt.StartTriggered(ctx, tx, Occurrence{Type: "pinged", BaseID: base.ID, Config: map[string]any{"key": "k"}, Key: key,
			Data: map[string]any{"body": map[string]any{"name": key, "n": n}}})
		require.NoError(t, err)
		var sync string
		require.NoError(t, tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sync))
		require.Equal(t, "on", sync, "the occurrence commits synchronously")
		if commit {
			require.NoError(t, tx.Commit(ctx))
			rt.Dispatch(s)
		}
		return s
	}
	s := start("occ:1", 5, true)
	require.Equal(t, 3, s.Matched, "fires, big and off; not the other key, not the other base")
	require.Equal(t, 1, s.Disabled)
	require.Len(t, s.Runs, 1, "big's conditions do not hold for n=5")
	again := start("occ:1", 5, true)
	require.Equal(t, s.Runs, again.Runs, "the same key answers the same runs")
	s2 := start("occ:2", 50, true)
	require.Len(t, s2.Runs, 2)
	start("occ:3", 50, false) // rolled back

	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	require.Equal(t, 3, count(`SELECT count(*) FROM runs`))
	require.Equal(t, 2, count(`SELECT count(*) FROM runs WHERE automation_id = $1`, fires.ID))
	require.Equal(t, 1, count(`SELECT count(*) FROM runs WHERE automation_id = $1`, big.ID))
	// The inline first steps ran after commit: one log record per run of "fires".
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM records WHERE table_id = $1`, log.ID) == 2
	}, 10*time.Second, 10*time.Millisecond)
	require.Zero(t, count(`SELECT count(*) FROM records WHERE table_id = $1 AND cells::text LIKE '%occ:3%'`, log.ID))
}
