package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
)

// TestRunErrorsReadWell: after the last attempt of a retryable failure the
// error does not promise a retry, steps the stop left out are listed as
// not_run, and the run's times are in order.
func TestRunErrorsReadWell(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 500, 500, 500)
	aut := f.automation(t, map[string]any{"name": "fails", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			webhookStep("first", rcv.URL, map[string]any{"retry": fastRetry}),
			webhookStep("second", rcv.URL, nil),
			webhookStep("third", rcv.URL, nil),
		}})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	steps := stepsOf(run)
	require.Len(t, steps, 3, "every step listed: %v", steps)
	first := steps[0]
	assert.Equal(t, "failed", first["status"])
	assert.EqualValues(t, 3, first["attempts"])
	msg, _ := first["error"].(string)
	assert.Equal(t, "outbound: delivery failed: status 500", msg)
	assert.NotContains(t, run["error"], "retry")
	for i, id := range []string{"second", "third"} {
		s := steps[i+1]
		assert.Equal(t, id, s["id"])
		assert.Equal(t, "not_run", s["status"])
		assert.EqualValues(t, 0, s["attempts"])
		assert.Nil(t, s["started_at"])
	}
	// The same through the single-run answer.
	one := f.env.JSON("GET", "/api/v1/runs/"+run["id"].(string), nil, 200)
	require.Len(t, stepsOf(one), 3)
	assert.Equal(t, "not_run", stepsOf(one)[2]["status"])

	created, err := time.Parse(time.RFC3339Nano, run["created_at"].(string))
	require.NoError(t, err)
	started, err := time.Parse(time.RFC3339Nano, run["started_at"].(string))
	require.NoError(t, err)
	assert.False(t, started.Before(created), "started_at %s before created_at %s", started, created)
	assert.Equal(t, 1, strings.Count(msg, "outbound:"))

	// River UI: the step's last job is cancelled with the error (red), not
	// completed; and no sweep job is listed.
	var state string
	var errs int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT state, coalesce(array_length(errors, 1), 0) FROM river_job WHERE kind = 'run_step' AND args->>'run_id' = $1 ORDER BY id DESC LIMIT 1`,
		run["id"]).Scan(&state, &errs))
	assert.Equal(t, "cancelled", state)
	assert.GreaterOrEqual(t, errs, 1)
	var housekeeping int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind NOT IN ('run_step', 'record_event')`).Scan(&housekeeping))
	assert.Zero(t, housekeeping, "the backstop sweep and the schedule tick are not River jobs: River UI lists the work only")
}

// TestRefusedAddressErrorHasOnePrefix: the guard's refusal reads
// "outbound: delivery failed: destination address not allowed".
func TestRefusedAddressErrorHasOnePrefix(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.OutboundAllowCIDRs = "" })
	aut := f.automation(t, map[string]any{"name": "refused", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", "http://127.0.0.1:9/x", nil)}})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	assert.Equal(t, "outbound: delivery failed: destination address not allowed", stepsOf(run)[0]["error"])
}

// TestMissingTokenFailsTheStep: a field deleted (here renamed) after the
// save makes {{trigger.record.fields.X}} resolve to nothing: the step fails
// naming the token, unless the token has a default.
func TestMissingTokenFailsTheStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	strict := f.automation(t, map[string]any{"name": "strict", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"a": "{{trigger.record.fields.Amount}}"}}}}})
	lenient := f.automation(t, map[string]any{"name": "lenient", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"a": `{{trigger.record.fields.Amount | default: 0}}`}}}}})
	_, err := f.env.App.Pool.Exec(context.Background(), `UPDATE fields SET name = 'Total' WHERE table_id = $1 AND name = 'Amount'`, f.tableID)
	require.NoError(t, err)
	f.create(t, map[string]any{"Name": "a"})

	run := f.waitExactly(t, strict, 1)[0]
	require.Equal(t, "failed", run["status"])
	assert.Contains(t, stepsOf(run)[0]["error"], `{{trigger.record.fields.Amount}} resolves to nothing`)
	run = f.waitExactly(t, lenient, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	d := rcv.wait(t)
	assert.Equal(t, map[string]any{"a": 0.0}, d.Body)
}

// TestNumbersExactFromClientsRoundedFromSteps: the API refuses a number
// with more decimals than its field's precision (nothing rounded silently),
// while a step's computed value is rounded to it.
func TestNumbersExactFromClientsRoundedFromSteps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body := f.env.Do("POST", "/api/v1/tables/"+f.tableID+"/records", apptest.AdminToken, map[string]any{"fields": map[string]any{"Name": "x", "Amount": 1.005}})
	require.Equal(t, 422, status, "%s", body)
	assert.Contains(t, string(body), "precision (2)")

	aut := f.automation(t, map[string]any{"name": "copy", "trigger": f.trigger("record_created", nil),
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "src"}}},
		"steps": []any{map[string]any{"id": "make", "type": "create_record",
			"config": map[string]any{"table_id": f.tableID, "fields": map[string]any{"Name": "made", "Amount": 2.345}}}}})
	f.create(t, map[string]any{"Name": "src"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	out := stepsOf(run)[0]["output"].(map[string]any)["record"].(map[string]any)["fields"].(map[string]any)
	assert.Equal(t, 2.35, out["Amount"])
}
