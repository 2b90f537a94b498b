package e2e_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunHistoryFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// The 2nd and 4th deliveries are refused (400: no retry), so two runs fail.
	rcv := newReceiver(t, 200, 400, 200, 400, 200)
	aut := f.automation(t, map[string]any{"name": "history", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", rcv.URL, nil)}})
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		f.create(t, map[string]any{"Name": n})
	}
	all := f.waitExactly(t, aut, 5)
	require.Equal(t, 5, rcv.count())

	failed := items(f.runsWhere(t, aut, url.Values{"status": {"failed"}}))
	require.Len(t, failed, 2)
	for _, r := range failed {
		require.Equal(t, "failed", r["status"])
	}
	succeeded := items(f.runsWhere(t, aut, url.Values{"status": {"succeeded"}}))
	require.Len(t, succeeded, 3)
	for _, r := range succeeded {
		require.Equal(t, "succeeded", r["status"])
	}
	require.Empty(t, items(f.runsWhere(t, aut, url.Values{"status": {"cancelled"}})))
	status, _, raw := f.send(t, "GET", "/api/v1/automations/"+aut+"/runs?status=exploded", nil)
	require.Equal(t, 422, status, "%s", raw)

	// Newest first, each run exactly once over pages of 2.
	var paged []string
	cursor := ""
	pages := 0
	for {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		page := f.runsWhere(t, aut, q)
		pages++
		for _, r := range items(page) {
			paged = append(paged, r["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		require.Less(t, pages, 5, "pagination must end")
		cursor = next
	}
	require.Equal(t, 3, pages)
	var want []string
	for _, r := range all {
		want = append(want, r["id"].(string))
	}
	require.Equal(t, want, paged, "the pages are the full list, in order, each run once")
	for i := 1; i < len(all); i++ {
		require.False(t, createdAt(t, all[i]).After(createdAt(t, all[i-1])), "newest first")
	}

	// Paging the failed runs only.
	page := f.runsWhere(t, aut, url.Values{"limit": {"1"}, "status": {"failed"}})
	require.Len(t, items(page), 1)
	rest := f.runsWhere(t, aut, url.Values{"limit": {"1"}, "status": {"failed"}, "cursor": {page["next_cursor"].(string)}})
	require.Len(t, items(rest), 1)
	require.ElementsMatch(t, []any{failed[0]["id"], failed[1]["id"]}, []any{items(page)[0]["id"], items(rest)[0]["id"]})
	require.Nil(t, rest["next_cursor"])

	status, _, raw = f.send(t, "GET", "/api/v1/automations/"+aut+"/runs?cursor=garbage", nil)
	require.Equal(t, 422, status, "%s", raw)
}

func createdAt(t *testing.T, run map[string]any) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, run["created_at"].(string))
	require.NoError(t, err)
	return ts
}

func TestRunDetailShowsEveryStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ok, refused := newReceiver(t), newReceiver(t, 400)
	aut := f.automation(t, map[string]any{"name": "detail", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": ok.URL, "secret": "whsec-top", "headers": map[string]any{"Authorization": "Bearer tok-123", "X-Request-Id": "{{trigger.record.fields.Name}}", "X-Order": "{{trigger.record.fields.Name}}"},
			"body": map[string]any{"id": "{{trigger.record.id}}", "amount": "{{trigger.record.fields.Amount}}"},
		}},
		webhookStep("refused", refused.URL, map[string]any{"on_error": "continue"}),
		webhookStep("skipped", ok.URL, map[string]any{"if": map[string]any{"formula": "{Amount} > 1000"}}),
	}})
	id := f.create(t, map[string]any{"Name": "A-7", "Amount": 9.5})
	d := ok.wait(t)
	require.Equal(t, "Bearer tok-123", d.Header.Get("Authorization"), "the real secret is sent")
	require.Equal(t, "A-7", d.Header.Get("X-Order"))
	require.Equal(t, "A-7", d.Header.Get("X-Request-Id"))

	summary := f.waitExactly(t, aut, 1)[0]
	run := f.getRun(t, summary["id"].(string))
	require.Equal(t, summary["id"], run["id"])
	require.Equal(t, aut, run["automation_id"])
	require.Equal(t, "succeeded", run["status"])
	require.EqualValues(t, 1, run["version"])
	require.Equal(t, "record_created", run["trigger"].(map[string]any)["type"])
	require.Equal(t, id, triggerRecordID(run))
	require.NotEmpty(t, run["created_at"])
	require.NotEmpty(t, run["finished_at"])

	steps := stepsOf(run)
	require.Len(t, steps, 3)
	for i, want := range []struct{ id, status string }{{"notify", "succeeded"}, {"refused", "failed"}, {"skipped", "skipped"}} {
		s := steps[i]
		require.Equal(t, want.id, s["id"])
		require.Equal(t, "send_webhook", s["type"])
		require.Equal(t, want.status, s["status"])
		require.EqualValues(t, 1, s["attempts"])
		started, err := time.Parse(time.RFC3339Nano, s["started_at"].(string))
		require.NoError(t, err, "step %s started_at", want.id)
		finished, err := time.Parse(time.RFC3339Nano, s["finished_at"].(string))
		require.NoError(t, err, "step %s finished_at", want.id)
		require.False(t, finished.Before(started))
	}

	// The rendered input, with secrets hidden.
	in := steps[0]["input"].(map[string]any)
	require.Equal(t, ok.URL, in["url"])
	require.Equal(t, "********", in["secret"])
	headers := in["headers"].(map[string]any)
	require.Equal(t, "********", headers["Authorization"])
	require.Equal(t, "A-7", headers["X-Request-Id"], "templates are rendered")
	require.Equal(t, "********", headers["X-Order"], "a header not known to be harmless is hidden")
	require.Equal(t, map[string]any{"id": id, "amount": 9.5}, in["body"])
	require.NotContains(t, string(mustJSON(t, run)), "whsec-top")
	require.NotContains(t, string(mustJSON(t, run)), "tok-123")

	out := steps[0]["output"].(map[string]any)
	require.EqualValues(t, 200, out["status"])
	require.Equal(t, map[string]any{"n": float64(1)}, out["body"], "a JSON answer is decoded")
	require.Nil(t, steps[0]["error"])

	require.Contains(t, steps[1]["error"], "400")
	require.EqualValues(t, 400, steps[1]["output"].(map[string]any)["status"])

	require.Nil(t, steps[2]["error"])
	require.Nil(t, steps[2]["output"])

	f.env.JSON("GET", "/api/v1/runs/run_00000000000000000000000000", nil, 404)
}
