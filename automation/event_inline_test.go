package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// inlineEnv is an engine that matches its writes' events itself (no River
// client runs: whatever reaches River stays in river_job for the test to
// see), a table Items with an automation "record created → create a Log
// record", and a table Quiet with no automation.
type inlineEnv struct {
	rt                *Runtime
	pool              *pgxpool.Pool
	items, log, quiet *record.Table
	automationID      string
	sys               context.Context
}

func setupInline(t *testing.T) *inlineEnv {
	t.Helper()
	pool := dbtest.New(t)
	rt := newTestRuntime(t, pool, Opts{InlineBackstop: time.Hour, InlineEvents: true})
	t.Cleanup(func() { _ = rt.Drain(context.Background()) })
	ctx := context.Background()
	base, err := rt.records.CreateBase(ctx, "Inline")
	require.NoError(t, err)
	env := &inlineEnv{rt: rt, pool: pool, sys: ctx}
	env.items, err = rt.records.CreateTable(ctx, base.ID, "Items", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	env.log, err = rt.records.CreateTable(ctx, base.ID, "Log", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	env.quiet, err = rt.records.CreateTable(ctx, base.ID, "Quiet", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	name := "log items"
	cfg, _ := json.Marshal(map[string]any{"table_id": env.items.ID})
	step, _ := json.Marshal(map[string]any{"table_id": env.log.ID, "fields": map[string]any{"Name": "{{trigger.record.fields.Name}}"}})
	a, err := rt.CreateAutomation(ctx, base.ID, AutomationInput{Name: &name,
		Trigger: &TriggerSpec{Type: "record_created", Config: cfg},
		Steps:   &[]StepSpec{{ID: "log", Type: "create_record", Config: step}}})
	require.NoError(t, err)
	env.automationID = a.ID
	return env
}

func (env *inlineEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, env.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// TestInlineEventRunsAndLeavesNoJobs: a create is matched by the writing
// engine itself, at write time — no River client runs here — and its run
// executes inline to success; no event job and no step job is left for
// River.
func TestInlineEventRunsAndLeavesNoJobs(t *testing.T) {
	t.Parallel()
	env := setupInline(t)
	recs, err := env.rt.records.CreateRecords(env.sys, env.items.ID, []map[string]any{{"Name": "first"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return env.count(t, `SELECT count(*) FROM runs WHERE automation_id = $1 AND status = 'succeeded'`, env.automationID) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, env.rt.Drain(context.Background()))
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM runs WHERE id = $1`, rowflow.RunIDFor(env.automationID, "new:"+recs[0].ID)),
		"matched at write time: the run's id follows from the new record")
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM records WHERE table_id = $1 AND cells->>$2 = 'first'`, env.log.ID, env.log.Fields[0].ID))
	require.Zero(t, env.count(t, `SELECT count(*) FROM river_job WHERE kind = 'record_event' AND args->'changes'->0->>'record_id' = $1`, recs[0].ID),
		"the event's backstop job is claimed")
	require.Zero(t, env.count(t, `SELECT count(*) FROM river_job WHERE kind = 'run_step'`), "the step's backstop job is claimed")
	// The Log record's own event came from a step's transaction: River's.
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM river_job WHERE kind = 'record_event' AND state = 'available'`))
}

// TestInlineEventWithoutMatchDeletesItsJob: an event nothing matches
// leaves no job behind (River would otherwise match it again at the
// backstop, against automations as they are then).
func TestInlineEventWithoutMatchDeletesItsJob(t *testing.T) {
	t.Parallel()
	env := setupInline(t)
	recs, err := env.rt.records.CreateRecords(env.sys, env.quiet.ID, []map[string]any{{"Name": "x"}})
	require.NoError(t, err)
	require.NoError(t, env.rt.Drain(context.Background()))
	require.Zero(t, env.count(t, `SELECT count(*) FROM river_job WHERE args->'changes'->0->>'record_id' = $1`, recs[0].ID))
	require.Zero(t, env.count(t, `SELECT count(*) FROM runs`))
}

// TestInlineEventLosesToRiver: when River took the event's job at its
// backstop, the writer's late matching starts nothing (River's worker owns
// the event); while the job is still scheduled, matching claims it and the
// run's id is the one River would have given it for that event.
func TestInlineEventLosesToRiver(t *testing.T) {
	t.Parallel()
	env := setupInline(t)
	ctx := context.Background()
	rt := env.rt
	args := RecordEventArgs{BaseID: env.items.BaseID, Changes: []record.Change{{TableID: env.items.ID, RecordID: "rec_x", Kind: record.ChangeCreated,
		After: map[string]any{env.items.Fields[0].ID: "late"}, Version: 1}}}
	insert := func() int64 {
		ids, err := rt.insertJobs(ctx, rt.q, []jobSpec{{args: args, maxAttempts: eventMaxAttempts, scheduledAt: time.Now().Add(time.Hour)}})
		require.NoError(t, err)
		return ids[0]
	}
	job := func(id int64) *river.Job[RecordEventArgs] {
		return &river.Job[RecordEventArgs]{JobRow: &rivertype.JobRow{ID: id, Attempt: 1}, Args: args}
	}

	taken := insert()
	_, err := env.pool.Exec(ctx, `UPDATE river_job SET state = 'running' WHERE id = $1`, taken)
	require.NoError(t, err)
	require.NoError(t, rt.processEvent(ctx, job(taken), taken))
	require.Zero(t, env.count(t, `SELECT count(*) FROM runs`), "River owns the event")
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM river_job WHERE id = $1`, taken), "River's job is left alone")

	mine := insert()
	require.NoError(t, rt.processEvent(ctx, job(mine), mine))
	require.Zero(t, env.count(t, `SELECT count(*) FROM river_job WHERE id = $1`, mine), "claimed")
	want := rowflow.RunIDFor(env.automationID, fmt.Sprintf("evt:%d:0", mine))
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'succeeded'`, want))
}

// TestRunIDForIsAFunctionOfAutomationAndEvent: the same pair gives the
// same id (a repeated matching reuses it, and with it the webhook-id);
// another pair another id.
func TestRunIDForIsAFunctionOfAutomationAndEvent(t *testing.T) {
	t.Parallel()
	a := rowflow.RunIDFor("aut_1", "evt:7:0")
	require.Equal(t, a, rowflow.RunIDFor("aut_1", "evt:7:0"))
	require.Len(t, a, len(rowflow.PrefixRun)+26)
	require.Equal(t, rowflow.PrefixRun, a[:len(rowflow.PrefixRun)])
	require.NotEqual(t, a, rowflow.RunIDFor("aut_1", "evt:7:1"))
	require.NotEqual(t, a, rowflow.RunIDFor("aut_2", "evt:7:0"))
}
