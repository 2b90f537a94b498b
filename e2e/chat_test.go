package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// fakeSlack is a Slack Web API on 127.0.0.1: chat.postMessage and
// auth.test, answering from a plan (per call: a status and a body).
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	calls []slackCall
	plan  []func(w http.ResponseWriter)
	ch    chan slackCall
}

type slackCall struct {
	Path  string
	Auth  string
	Form  map[string]string
	Body  map[string]any
	Raw   string
	CType string
}

func newFakeSlack(t *testing.T, plan ...func(w http.ResponseWriter)) *fakeSlack {
	s := &fakeSlack{plan: plan, ch: make(chan slackCall, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		c := slackCall{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Raw: string(raw), CType: r.Header.Get("Content-Type"), Form: map[string]string{}}
		if strings.HasPrefix(c.CType, "application/json") {
			_ = json.Unmarshal(raw, &c.Body)
		} else {
			c.Form, _ = parseQuery(string(raw))
		}
		s.mu.Lock()
		n := len(s.calls)
		s.calls = append(s.calls, c)
		var answer func(http.ResponseWriter)
		if n < len(s.plan) {
			answer = s.plan[n]
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if answer != nil {
			answer(w)
		} else {
			ch := c.Form["channel"]
			if ch == "" {
				ch, _ = c.Body["channel"].(string)
			}
			_, _ = io.WriteString(w, `{"ok":true,"channel":"`+ch+`","ts":"1700000000.000100","user_id":"U1"}`)
		}
		s.ch <- c
	}))
	t.Cleanup(s.Close)
	return s
}

func parseQuery(s string) (map[string]string, error) {
	out := map[string]string{}
	vals, err := urlParseQuery(s)
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, err
}

func (s *fakeSlack) wait(t *testing.T) slackCall {
	t.Helper()
	select {
	case c := <-s.ch:
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("Slack was not called")
		return slackCall{}
	}
}

// TestSendSlackMessageBot: chat.postMessage with the bot token, the
// channel (default_channel unless the step names one), text and blocks;
// a 429 waits Retry-After without spending an attempt; ok:false puts
// Slack's error in the step error.
func TestSendSlackMessageBot(t *testing.T) {
	t.Parallel()
	slack := newFakeSlack(t,
		func(w http.ResponseWriter) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) },
		nil,
		func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`) },
	)
	f := setup(t, func(c *app.Config) { c.SlackAPIURL = slack.URL + "/api/" })
	conn := f.connection(t, "slack", map[string]any{"bot_token": "xoxb-B0T-token_1", "default_channel": "C0DEFAULT"})
	blocks := []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "*{{trigger.record.fields.Name}}*"}}}
	aut := f.automation(t, map[string]any{"name": "slack", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_slack_message", "retry": fastRetry, "config": map[string]any{
			"connection_id": conn, "text": "New order {{trigger.record.fields.Name}}", "blocks": blocks}},
	}})
	f.create(t, map[string]any{"Name": "ada"})
	first, second := slack.wait(t), slack.wait(t)
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	require.EqualValues(t, 1, stepsOf(run)[0]["attempts"], "the 429 spent no attempt")
	for _, c := range []slackCall{first, second} {
		require.Equal(t, "/api/chat.postMessage", c.Path)
		require.True(t, c.Auth == "Bearer xoxb-B0T-token_1" || c.Form["token"] == "xoxb-B0T-token_1", "the bot token authenticates: %+v", c)
	}
	require.Equal(t, "C0DEFAULT", second.Form["channel"])
	require.Equal(t, "New order ada", second.Form["text"])
	var gotBlocks []map[string]any
	require.NoError(t, json.Unmarshal([]byte(second.Form["blocks"]), &gotBlocks), "%v", second.Form)
	require.Equal(t, "section", gotBlocks[0]["type"])
	require.Equal(t, "*ada*", gotBlocks[0]["text"].(map[string]any)["text"])
	require.Equal(t, map[string]any{"ok": true, "channel": "C0DEFAULT", "ts": "1700000000.000100"}, stepsOf(run)[0]["output"])

	// ok:false → the Slack error, no retry.
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	aut2 := f.automation(t, map[string]any{"name": "slack2", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_slack_message", "retry": fastRetry, "config": map[string]any{
			"connection_id": conn, "channel": "#nowhere", "text": "x"}},
	}})
	f.create(t, map[string]any{"Name": "bob"})
	require.Equal(t, "#nowhere", slack.wait(t).Form["channel"])
	run = f.waitExactly(t, aut2, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, *strPtr(stepsOf(run)[0]["error"]), "channel_not_found")
	require.EqualValues(t, 1, stepsOf(run)[0]["attempts"])

	// The connection test calls auth.test.
	res := f.env.JSON("POST", "/api/v1/connections/"+conn+"/test", nil, 200)
	require.Equal(t, true, res["ok"], "%v", res)
	require.Equal(t, "/api/auth.test", slack.wait(t).Path)
}

// TestSendSlackMessageWebhook: an incoming webhook gets {text, blocks}
// as JSON; Slack's error body ends up in the step error.
func TestSendSlackMessageWebhook(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, http.StatusOK, http.StatusNotFound)
	f := setup(t)
	conn := f.connection(t, "slack", map[string]any{"webhook_url": rcv.URL + "/services/T0/B0/W3BH00K-secret_x"})
	aut := f.automation(t, map[string]any{"name": "slack", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_slack_message", "config": map[string]any{
			"connection_id": conn, "text": "Hi {{trigger.record.fields.Name}}",
			"blocks": []any{map[string]any{"type": "divider"}}}},
	}})
	f.create(t, map[string]any{"Name": "ada"})
	d := rcv.wait(t)
	require.Equal(t, "Hi ada", d.Body["text"])
	require.Equal(t, []any{map[string]any{"type": "divider"}}, d.Body["blocks"])
	require.Equal(t, "application/json", d.Header.Get("Content-Type"))
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	require.Equal(t, true, stepsOf(run)[0]["output"].(map[string]any)["ok"])

	f.create(t, map[string]any{"Name": "bob"})
	rcv.wait(t)
	runs := f.waitExactly(t, aut, 2)
	var failed map[string]any
	for _, r := range runs {
		if r["status"] == "failed" {
			failed = r
		}
	}
	require.NotNil(t, failed)
	require.Contains(t, *strPtr(stepsOf(failed)[0]["error"]), "404")
	require.NotContains(t, string(mustJSON(t, failed)), "W3BH00K-secret_x")
}

// TestSendTeamsMessage: the card goes in the Adaptive Card envelope; a
// whole card may be given; more than 28 KB fails with a clear error.
func TestSendTeamsMessage(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, http.StatusAccepted, http.StatusAccepted)
	f := setup(t)
	conn := f.connection(t, "teams", map[string]any{"webhook_url": rcv.URL + "/workflows/T3AMS-secret_x"})
	aut := f.automation(t, map[string]any{"name": "teams", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_teams_message", "config": map[string]any{
			"connection_id": conn, "title": "Order {{trigger.record.fields.Name}}", "text": "{{trigger.record.fields.Status}}"}},
		map[string]any{"id": "card", "type": "send_teams_message", "config": map[string]any{
			"connection_id": conn, "text": "unused", "card": map[string]any{"body": []any{map[string]any{"type": "TextBlock", "text": "custom {{trigger.record.fields.Name}}"}}}}},
	}})
	f.create(t, map[string]any{"Name": "ada", "Status": "Todo"})
	d := rcv.wait(t)
	require.Equal(t, "message", d.Body["type"])
	att := d.Body["attachments"].([]any)
	require.Len(t, att, 1)
	a := att[0].(map[string]any)
	require.Equal(t, "application/vnd.microsoft.card.adaptive", a["contentType"])
	require.Contains(t, a, "contentUrl")
	card := a["content"].(map[string]any)
	require.Equal(t, "AdaptiveCard", card["type"])
	require.NotEmpty(t, card["version"])
	body := card["body"].([]any)
	require.Equal(t, "Order ada", body[0].(map[string]any)["text"])
	require.Equal(t, "Todo", body[1].(map[string]any)["text"])
	d = rcv.wait(t)
	card = d.Body["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
	require.Equal(t, "AdaptiveCard", card["type"])
	require.Equal(t, "custom ada", card["body"].([]any)[0].(map[string]any)["text"])
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	require.EqualValues(t, 202, stepsOf(run)[0]["output"].(map[string]any)["status"])

	// Over 28 KB.
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	big := f.automation(t, map[string]any{"name": "big", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "post", "type": "send_teams_message", "config": map[string]any{"connection_id": conn, "text": "{{trigger.record.fields.Name}}"}},
	}})
	f.create(t, map[string]any{"Name": strings.Repeat("x", 30<<10)})
	run = f.waitExactly(t, big, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, *strPtr(stepsOf(run)[0]["error"]), "28 KB")
	require.Equal(t, 2, rcv.count(), "nothing was posted")
}

var urlParseQuery = url.ParseQuery
