package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecordCreatedPostsWebhookWhenConditionsMatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":       "post done orders",
		"trigger":    map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}},
		"steps":      []any{webhookStep("notify", rcv.URL, map[string]any{"config": map[string]any{"url": rcv.URL, "secret": "s3cr3t", "body": map[string]any{"id": "{{trigger.record.id}}", "amount": "{{trigger.record.fields.Amount}}"}}})},
	})
	f.create(t, map[string]any{"Name": "skip me", "Status": "Todo"})
	id := f.create(t, map[string]any{"Name": "A", "Status": "Done", "Amount": 12.5})
	d := rcv.wait(t)
	require.Equal(t, id, d.Body["id"])
	require.Equal(t, 12.5, d.Body["amount"], "a lone token keeps its JSON type")
	msgID, ts := d.Header.Get("webhook-id"), d.Header.Get("webhook-timestamp")
	require.NotEmpty(t, msgID)
	mac := hmac.New(sha256.New, []byte("s3cr3t"))
	fmt.Fprintf(mac, "%s.%s.%s", msgID, ts, d.Raw)
	require.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)), d.Header.Get("webhook-signature"))

	runs := f.waitRuns(t, aut, 1)
	require.Len(t, runs, 1, "the Todo record fires nothing")
	run := runs[0]
	require.Equal(t, "succeeded", run["status"])
	step := run["steps"].([]any)[0].(map[string]any)
	require.Equal(t, "succeeded", step["status"])
	require.EqualValues(t, 1, step["attempts"])
	require.EqualValues(t, 200, step["output"].(map[string]any)["status"])
	require.Equal(t, "********", step["input"].(map[string]any)["secret"], "secrets never come back")
	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	cfg := got["steps"].([]any)[0].(map[string]any)["config"].(map[string]any)
	require.Equal(t, "********", cfg["secret"])
	require.Equal(t, 1, rcv.count())
}

func TestWebhookRetriesKeepTheSameWebhookID(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 500, 503)
	aut := f.automation(t, map[string]any{
		"name":    "retry",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{
			"retry": map[string]any{"max_attempts": 3, "backoff": map[string]any{"type": "fixed", "delay_ms": 10}},
		})},
	})
	f.create(t, map[string]any{"Name": "A"})
	ids := []string{rcv.wait(t).Header.Get("webhook-id"), rcv.wait(t).Header.Get("webhook-id"), rcv.wait(t).Header.Get("webhook-id")}
	require.Equal(t, ids[0], ids[1])
	require.Equal(t, ids[0], ids[2])
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	step := run["steps"].([]any)[0].(map[string]any)
	require.EqualValues(t, 3, step["attempts"])
	require.Equal(t, 3, rcv.count())
}

// TestWebhookWithoutBodySendsTheTriggerRecord: a send_webhook step with
// no body posts the trigger's record, {id, fields} (its documented
// default).
func TestWebhookWithoutBodySendsTheTriggerRecord(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	f.automation(t, map[string]any{"name": "no body", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL}},
	}})
	id := f.create(t, map[string]any{"Name": "Ada", "Amount": 12.5})
	d := rcv.wait(t)
	require.Equal(t, id, d.Body["id"])
	fields := d.Body["fields"].(map[string]any)
	require.Equal(t, "Ada", fields["Name"])
	require.Equal(t, 12.5, fields["Amount"])
	require.NotContains(t, d.Body, "run_id")
}
