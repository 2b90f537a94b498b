package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
)

// sseEvent is one Server-Sent Event a stream client got.
type sseEvent struct {
	ID, Event string
	Data      map[string]any
	At        time.Time
}

// sseStream is a real SSE client of GET /api/v1/notifications/stream.
type sseStream struct {
	events chan sseEvent
	closed chan struct{} // closed when the server ended the stream
	cancel context.CancelFunc
}

// openStream connects as token; it returns once the server answered 200
// (the subscription is live from then on).
func openStream(t *testing.T, env *apptest.Env, token string, header http.Header) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", env.URL+"/api/v1/notifications/stream", nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &sseStream{events: make(chan sseEvent, 100), closed: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.closed)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					ev.At = time.Now()
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

// next waits for the next event.
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-s.closed:
		t.Fatal("the stream ended")
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30 s")
	}
	return sseEvent{}
}

// userWithToken creates a user and a token of theirs (role editor unless
// given, bases optional).
func userWithToken(t *testing.T, env *apptest.Env, email string, role string, baseIDs ...string) (userID, token string) {
	t.Helper()
	u := env.JSON("POST", "/api/v1/users", map[string]any{"email": email, "name": strings.Split(email, "@")[0]}, 201)
	body := map[string]any{"name": "tok " + email, "role": role, "user_id": u["id"]}
	if len(baseIDs) > 0 {
		body["base_ids"] = baseIDs
	}
	tok := env.JSON("POST", "/api/v1/tokens", body, 201)
	require.Equal(t, u["id"], tok["user_id"])
	return u["id"].(string), tok["token"].(string)
}

// TestNotifyUserReachesTheStream: a record written with Ada's token fires
// an automation whose notify_user step names "the user who made the
// change"; Ada's open SSE stream gets the notification, and the API lists
// it until it is read. The user is carried through a chain: the record
// the first run creates fires a second automation, whose trigger still
// names Ada.
func TestNotifyUserReachesTheStream(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ada, adaToken := userWithToken(t, f.env, "ada@example.com", "editor")
	me := f.env.JSONAs(adaToken, "GET", "/api/v1/me", nil, 200)
	require.Equal(t, ada, me["user"].(map[string]any)["id"])
	require.Equal(t, "ada@example.com", me["user"].(map[string]any)["email"])
	require.Equal(t, "editor", me["role"])

	invoices := f.addInvoices(t)
	first := f.automation(t, map[string]any{"name": "invoice", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "invoice", "type": "create_record", "config": map[string]any{"table_id": invoices, "fields": map[string]any{"Title": "for {{trigger.record.fields.Name}}"}}},
	}})
	second := f.automation(t, map[string]any{"name": "tell", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": invoices}},
		"steps": []any{map[string]any{"id": "tell", "type": "notify_user", "config": map[string]any{
			"user": "{{trigger.cause.user_id}}", "title": "Invoice {{trigger.record.fields.Title}}", "body": "made by run {{trigger.cause.run_id}}",
			"link": "/records/{{trigger.record.id}}",
		}}}})

	stream := openStream(t, f.env, adaToken, nil)
	written := time.Now()
	rec := f.env.JSONAs(adaToken, "POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": map[string]any{"Name": "Order 42"}}, 201)
	ev := stream.next(t)
	t.Logf("record write → SSE event: %s", ev.At.Sub(written))
	require.Equal(t, "notification", ev.Event)
	require.True(t, strings.HasPrefix(ev.ID, "ntf_"), ev.ID)
	require.Equal(t, ev.ID, ev.Data["id"])
	require.Equal(t, ada, ev.Data["user_id"])
	require.Equal(t, "Invoice for Order 42", ev.Data["title"])
	require.Equal(t, second, ev.Data["automation_id"])
	require.Nil(t, ev.Data["read_at"])

	// The runs record Ada as the cause: the first directly, the second
	// through the first run's write.
	r1 := f.waitExactly(t, first, 1)[0]
	require.Equal(t, rec["id"], triggerRecordID(r1))
	require.Equal(t, ada, r1["trigger"].(map[string]any)["data"].(map[string]any)["cause"].(map[string]any)["user_id"])
	r2 := f.waitExactly(t, second, 1)[0]
	cause := r2["trigger"].(map[string]any)["data"].(map[string]any)["cause"].(map[string]any)
	require.Equal(t, ada, cause["user_id"])
	require.Equal(t, r1["id"], cause["run_id"])
	require.Equal(t, "made by run "+r1["id"].(string), ev.Data["body"])
	require.Equal(t, r2["id"], ev.Data["run_id"])
	require.Equal(t, map[string]any{"notification_id": ev.ID, "user_id": ada}, stepsOf(r2)[0]["output"])

	// Listed until read.
	unread := f.env.JSONAs(adaToken, "GET", "/api/v1/notifications?unread=true", nil, 200)["items"].([]any)
	require.Len(t, unread, 1)
	require.Equal(t, ev.ID, unread[0].(map[string]any)["id"])
	read := f.env.JSONAs(adaToken, "POST", "/api/v1/notifications/"+ev.ID+"/read", nil, 200)
	require.NotNil(t, read["read_at"])
	require.Empty(t, f.env.JSONAs(adaToken, "GET", "/api/v1/notifications?unread=true", nil, 200)["items"])
	require.Len(t, f.env.JSONAs(adaToken, "GET", "/api/v1/notifications", nil, 200)["items"], 1)
	require.EqualValues(t, 0, f.env.JSONAs(adaToken, "POST", "/api/v1/notifications/read-all", nil, 200)["marked"])

	// Another user sees none of it, on the list, the stream or by id.
	_, bobToken := userWithToken(t, f.env, "bob@example.com", "editor")
	bobStream := openStream(t, f.env, bobToken, nil)
	require.Empty(t, f.env.JSONAs(bobToken, "GET", "/api/v1/notifications", nil, 200)["items"])
	f.env.JSONAs(bobToken, "POST", "/api/v1/notifications/"+ev.ID+"/read", nil, 404)

	// A second write: a second event for Ada (none for Bob), and a
	// reconnecting client with Last-Event-ID gets what it missed.
	f.env.JSONAs(adaToken, "POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": map[string]any{"Name": "Order 43"}}, 201)
	ev2 := stream.next(t)
	require.Equal(t, "Invoice for Order 43", ev2.Data["title"])
	resumed := openStream(t, f.env, adaToken, http.Header{"Last-Event-Id": {ev.ID}})
	require.Equal(t, ev2.ID, resumed.next(t).ID)
	require.EqualValues(t, 1, f.env.JSONAs(adaToken, "POST", "/api/v1/notifications/read-all", nil, 200)["marked"])
	select {
	case got := <-bobStream.events:
		t.Fatalf("Bob's stream got Ada's notification %v", got)
	default:
	}
}

// TestNotifyUserIsTransactional: the notification commits with the step's
// completion. A completion that fails (a trigger on run_steps makes the
// database refuse it) rolls the notification back — no row, and no event
// on the open stream, because PostgreSQL delivers a NOTIFY only on commit.
func TestNotifyUserIsTransactional(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	ada, adaToken := userWithToken(t, f.env, "ada@example.com", "editor")
	_, err := f.env.App.Pool.Exec(ctx, `
CREATE FUNCTION refuse_notify_completion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.type = 'notify_user' AND NEW.status = 'succeeded' THEN
    RAISE EXCEPTION 'completion refused by the test';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_notify_completion BEFORE INSERT OR UPDATE ON run_steps
  FOR EACH ROW EXECUTE FUNCTION refuse_notify_completion();`)
	require.NoError(t, err)

	aut := f.automation(t, map[string]any{"name": "tell", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "tell", "type": "notify_user", "retry": map[string]any{"max_attempts": 1},
			"config": map[string]any{"user": "ADA@example.com", "title": "New {{trigger.record.fields.Name}}"}},
	}})
	stream := openStream(t, f.env, adaToken, nil)
	f.create(t, map[string]any{"Name": "refused"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, stepsOf(run)[0]["error"], "completion refused by the test")
	var n int
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n))
	require.Zero(t, n, "the rolled-back completion left a notification")

	// Once completions may commit, the next record's notification is the
	// first (and only) event the stream sees.
	_, err = f.env.App.Pool.Exec(ctx, `DROP TRIGGER refuse_notify_completion ON run_steps`)
	require.NoError(t, err)
	f.create(t, map[string]any{"Name": "accepted"})
	ev := stream.next(t)
	require.Equal(t, "New accepted", ev.Data["title"])
	require.Equal(t, ada, ev.Data["user_id"])
	f.waitExactly(t, aut, 2)
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n))
	require.Equal(t, 1, n)
	select {
	case extra := <-stream.events:
		t.Fatalf("an extra event: %v", extra)
	default:
	}

	// A user that does not exist (any more) fails the step for good and
	// writes nothing.
	f.env.JSON("DELETE", "/api/v1/users/"+ada, nil, 204)
	f.create(t, map[string]any{"Name": "nobody"})
	runs := f.waitExactly(t, aut, 3)
	failed := 0
	for _, r := range runs {
		if r["status"] == "failed" {
			failed++
		}
	}
	require.Equal(t, 2, failed)
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n))
	require.Zero(t, n, "deleting the user deleted its notification")
	require.Contains(t, stepsOf(oldestFirst(runs)[2])[0]["error"], `no user with email "ADA@example.com"`)
}

// TestNotifyAcrossProcesses: the step runs in a worker-only process, the
// stream is held by an API-only process; NOTIFY crosses between them, as
// it would between machines.
func TestNotifyAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.Role = "api" })
	apptest.Start(t, func(c *app.Config) {
		c.DatabaseURL = f.env.App.Config.DatabaseURL
		c.Role = "worker"
	})
	ada, adaToken := userWithToken(t, f.env, "ada@example.com", "editor")
	f.automation(t, map[string]any{"name": "tell", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "tell", "type": "notify_user", "config": map[string]any{"user": "{{trigger.cause.user_id}}", "title": "{{trigger.record.fields.Name}}"}},
	}})
	stream := openStream(t, f.env, adaToken, nil)
	f.env.JSONAs(adaToken, "POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": map[string]any{"Name": "across"}}, 201)
	ev := stream.next(t)
	require.Equal(t, "across", ev.Data["title"])
	require.Equal(t, ada, ev.Data["user_id"])
}
