package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// fastRetry is a retry policy that waits 10 ms between attempts.
var fastRetry = map[string]any{"max_attempts": 3, "backoff": map[string]any{"type": "fixed", "delay_ms": 10}}

func TestStepsSeeEarlierOutputs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	invoices := f.addInvoices(t)
	aut := f.automation(t, map[string]any{
		"name":    "invoice every order",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "create_invoice", "type": "create_record", "config": map[string]any{
				"table_id": invoices, "fields": map[string]any{"Title": "for {{trigger.record.fields.Name}}"},
			}},
			map[string]any{"id": "rename", "type": "update_record", "config": map[string]any{
				"table_id": invoices, "record_id": "{{steps.create_invoice.output.record.id}}",
				"fields": map[string]any{"Title": "{{steps.create_invoice.output.record.fields.Title}} (final)"},
			}},
			map[string]any{"id": "link", "type": "link_records", "config": map[string]any{
				"table_id": f.tableID, "record_id": "{{trigger.record.id}}", "field": "Invoices",
				"record_ids": []any{"{{steps.create_invoice.output.record.id}}"},
			}},
			map[string]any{"id": "scratch", "type": "create_record", "config": map[string]any{
				"table_id": invoices, "fields": map[string]any{"Title": "temporary"},
			}},
			map[string]any{"id": "drop", "type": "delete_record", "config": map[string]any{
				"table_id": invoices, "record_id": "{{steps.scratch.output.record.id}}",
			}},
		},
	})
	order := f.create(t, map[string]any{"Name": "A-1"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "run: %v", run)
	steps := stepsOf(run)
	require.Len(t, steps, 5)
	for _, s := range steps {
		require.Equal(t, "succeeded", s["status"], "step %v: %v", s["id"], s["error"])
		require.EqualValues(t, 1, s["attempts"])
	}

	inv := f.records(t, invoices)
	require.Len(t, inv, 1, "the scratch record was created and deleted")
	invID := inv[0]["id"].(string)
	require.Equal(t, "for A-1 (final)", inv[0]["fields"].(map[string]any)["Title"])
	require.Equal(t, []any{order}, inv[0]["fields"].(map[string]any)["Orders"], "the inverse side is linked")
	require.Equal(t, []any{invID}, f.record(t, f.tableID, order)["fields"].(map[string]any)["Invoices"])

	// Rendered inputs show what each step really got.
	require.Equal(t, invID, steps[0]["output"].(map[string]any)["record"].(map[string]any)["id"])
	require.Equal(t, invID, steps[1]["input"].(map[string]any)["record_id"])
	require.Equal(t, []any{invID}, steps[2]["input"].(map[string]any)["record_ids"])
	scratch := steps[3]["output"].(map[string]any)["record"].(map[string]any)["id"]
	require.Equal(t, scratch, steps[4]["input"].(map[string]any)["record_id"])
	require.Equal(t, true, steps[4]["output"].(map[string]any)["deleted"])
}

func TestStepIfFalseSkipsOnlyThatStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	onlyDone, always := newReceiver(t), newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":    "if",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{
			webhookStep("only_done", onlyDone.URL, map[string]any{
				"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}},
			}),
			webhookStep("always", always.URL, nil),
		},
	})
	todo := f.create(t, map[string]any{"Name": "todo", "Status": "Todo"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	steps := stepsOf(run)
	require.Len(t, steps, 2)
	require.Equal(t, "skipped", steps[0]["status"])
	require.Equal(t, "succeeded", steps[1]["status"])
	require.Equal(t, todo, always.wait(t).Body["id"])

	done := f.create(t, map[string]any{"Name": "done", "Status": "Done"})
	require.Equal(t, done, onlyDone.wait(t).Body["id"])
	require.Equal(t, done, always.wait(t).Body["id"])
	f.waitExactly(t, aut, 2)
	require.Equal(t, 1, onlyDone.count(), "the skipped step sent nothing")
}

func TestOnErrorContinueGoesOnAfterAFailedStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	missing, next := newReceiver(t, 404, 404, 404), newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":    "continue",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{
			webhookStep("gone", missing.URL, map[string]any{"on_error": "continue", "retry": fastRetry}),
			webhookStep("next", next.URL, nil),
		},
	})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.Nil(t, run["error"])
	steps := stepsOf(run)
	require.Len(t, steps, 2)
	require.Equal(t, "failed", steps[0]["status"])
	require.EqualValues(t, 1, steps[0]["attempts"], "a 404 is not retried")
	require.Contains(t, steps[0]["error"], "404")
	require.EqualValues(t, 404, steps[0]["output"].(map[string]any)["status"], "the answer is kept with the error")
	require.Equal(t, "succeeded", steps[1]["status"])
	require.Equal(t, 1, missing.count())
	require.Equal(t, 1, next.count())
}

func TestOnErrorStopEndsTheRun(t *testing.T) {
	t.Parallel()
	f := setup(t)
	missing, never := newReceiver(t, 404, 404, 404), newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":    "stop",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{
			webhookStep("gone", missing.URL, map[string]any{"retry": fastRetry}),
			webhookStep("never", never.URL, nil),
		},
	})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, run["error"], "step gone (send_webhook) failed")
	require.Contains(t, run["error"], "404")
	require.NotNil(t, run["finished_at"])
	steps := stepsOf(run)
	require.Len(t, steps, 2, "later steps listed")
	require.Equal(t, "failed", steps[0]["status"])
	require.Equal(t, "not_run", steps[1]["status"], "later steps never run")

	// waitExactly drained the queue: the second step was never enqueued.
	require.Equal(t, 0, never.count())
}

// TestFailingMiddleStepRetriesAlone: a retry repeats only the failing step,
// never the steps before it (each step is its own job that completes in the
// transaction storing its output).
func TestFailingMiddleStepRetriesAlone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	invoices := f.addInvoices(t)
	flaky, last := newReceiver(t, 500), newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":    "middle",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "create_invoice", "type": "create_record", "config": map[string]any{
				"table_id": invoices, "fields": map[string]any{"Title": "{{trigger.record.fields.Name}}"},
			}},
			webhookStep("flaky", flaky.URL, map[string]any{"retry": fastRetry}),
			webhookStep("last", last.URL, nil),
		},
	})
	f.create(t, map[string]any{"Name": "A"})
	first, second := flaky.wait(t), flaky.wait(t)
	require.Equal(t, first.Header.Get("webhook-id"), second.Header.Get("webhook-id"))
	last.wait(t)
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	steps := stepsOf(run)
	require.Len(t, steps, 3)
	for i, want := range []int{1, 2, 1} {
		require.Equal(t, "succeeded", steps[i]["status"])
		require.EqualValues(t, want, steps[i]["attempts"], "attempts of %s", steps[i]["id"])
	}
	inv := f.records(t, invoices)
	require.Len(t, inv, 1, "the first step ran once")
	require.Equal(t, "A", inv[0]["fields"].(map[string]any)["Title"])
	require.Equal(t, 2, flaky.count())
	require.Equal(t, 1, last.count())
}

func TestWebhook4xxFailsAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 400, 400, 400)
	aut := f.automation(t, map[string]any{
		"name":    "bad request",
		"trigger": f.trigger("record_created", nil),
		"steps":   []any{webhookStep("notify", rcv.URL, map[string]any{"retry": fastRetry})},
	})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	step := stepsOf(run)[0]
	require.Equal(t, "failed", step["status"])
	require.EqualValues(t, 1, step["attempts"])
	require.Contains(t, step["error"], "400")
	require.Equal(t, 1, rcv.count())
}

func TestWebhook429RetryAfterDoesNotUseAnAttempt(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, http.StatusTooManyRequests)
	rcv.withHeader(0, http.Header{"Retry-After": {"1"}})
	aut := f.automation(t, map[string]any{
		"name":    "rate limited",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{
			"retry": map[string]any{"max_attempts": 1},
		})},
	})
	f.create(t, map[string]any{"Name": "a"})
	first, second := rcv.wait(t), rcv.wait(t)
	require.Equal(t, first.Header.Get("webhook-id"), second.Header.Get("webhook-id"))
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "max_attempts 1 and still retried: the wait used no attempt")
	step := stepsOf(run)[0]
	require.Equal(t, "succeeded", step["status"])
	require.EqualValues(t, 1, step["attempts"])
	require.Nil(t, step["error"])
	require.Equal(t, 2, rcv.count())
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	rcv.hold(t, 0) // never answered: the first try times out
	aut := f.automation(t, map[string]any{
		"name":    "slow receiver",
		"trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{
			"config": map[string]any{"url": rcv.URL, "timeout_ms": 200}, "retry": fastRetry,
		})},
	})
	f.create(t, map[string]any{"Name": "a"})
	held, answered := rcv.wait(t), rcv.wait(t)
	require.Equal(t, held.Header.Get("webhook-id"), answered.Header.Get("webhook-id"))
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.EqualValues(t, 2, stepsOf(run)[0]["attempts"])
}
