package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/notify"
)

// requireProblem requires status and, when loc is not "", a problem
// detail at loc containing msg.
func requireProblem(t *testing.T, env *apptest.Env, token, method, path string, body any, status int, loc, msg string) {
	t.Helper()
	got, raw := env.Do(method, path, token, body)
	require.Equal(t, status, got, "%s %s answered %s", method, path, raw)
	if loc != "" {
		require.Contains(t, string(raw), `"location":"`+loc+`"`, "%s", raw)
	}
	require.Contains(t, string(raw), msg, "%s", raw)
}

// TestUsers: users CRUD is for the admin token and owners reaching every
// base; emails are unique regardless of case; a deleted user's tokens stop
// working; a token of no user gets a clear 403 on /me and notifications.
func TestUsers(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	base := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "b"}, 201)["id"].(string)
	owner := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "o", "role": "owner"}, 201)["token"].(string)
	editor := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "e", "role": "editor"}, 201)["token"].(string)
	scopedOwner := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "s", "role": "owner", "base_ids": []any{base}}, 201)["token"].(string)

	ada := env.JSONAs(owner, "POST", "/api/v1/users", map[string]any{"email": "ada@example.com", "name": "Ada"}, 201)
	id := ada["id"].(string)
	require.Regexp(t, `^usr_[0-9a-z]{26}$`, id)
	require.Equal(t, "Ada", ada["name"])
	require.NotEmpty(t, ada["created_at"])
	requireProblem(t, env, apptest.AdminToken, "POST", "/api/v1/users", map[string]any{"email": "ADA@example.com"}, http.StatusConflict, "email", "exists")
	requireProblem(t, env, apptest.AdminToken, "POST", "/api/v1/users", map[string]any{"email": "not an email"}, http.StatusUnprocessableEntity, "email", "not an email address")
	requireProblem(t, env, apptest.AdminToken, "POST", "/api/v1/users", map[string]any{"email": "Ada <ada2@example.com>"}, http.StatusUnprocessableEntity, "email", "not an email address")
	requireProblem(t, env, apptest.AdminToken, "POST", "/api/v1/users", map[string]any{"email": "x@example.com", "role": "god"}, http.StatusUnprocessableEntity, "", "role")
	for _, tok := range []string{editor, scopedOwner} {
		requireProblem(t, env, tok, "POST", "/api/v1/users", map[string]any{"email": "eve@example.com"}, http.StatusForbidden, "", "")
		requireProblem(t, env, tok, "GET", "/api/v1/users", nil, http.StatusForbidden, "", "")
		requireProblem(t, env, tok, "GET", "/api/v1/users/"+id, nil, http.StatusForbidden, "", "")
		requireProblem(t, env, tok, "PATCH", "/api/v1/users/"+id, map[string]any{"name": "Eve"}, http.StatusForbidden, "", "")
		requireProblem(t, env, tok, "DELETE", "/api/v1/users/"+id, nil, http.StatusForbidden, "", "")
	}
	requireProblem(t, env, scopedOwner, "GET", "/api/v1/users", nil, http.StatusForbidden, "", "owner token without base_ids")

	// List, pages, get, patch.
	env.JSON("POST", "/api/v1/users", map[string]any{"email": "bob@example.com"}, 201)
	env.JSON("POST", "/api/v1/users", map[string]any{"email": "cy@example.com"}, 201)
	p1 := env.JSON("GET", "/api/v1/users?limit=2", nil, 200)
	require.Len(t, p1["items"], 2)
	p2 := env.JSON("GET", "/api/v1/users?limit=2&cursor="+p1["next_cursor"].(string), nil, 200)
	require.Len(t, p2["items"], 1)
	require.Nil(t, p2["next_cursor"])
	require.Equal(t, "ada@example.com", env.JSON("GET", "/api/v1/users/"+id, nil, 200)["email"])
	requireProblem(t, env, owner, "GET", "/api/v1/users/usr_00000000000000000000000000", nil, http.StatusNotFound, "", "not found")
	patched := env.JSONAs(owner, "PATCH", "/api/v1/users/"+id, map[string]any{"name": "Ada L."}, 200)
	require.Equal(t, "Ada L.", patched["name"])
	require.Equal(t, "ada@example.com", patched["email"], "an omitted email is kept")
	requireProblem(t, env, owner, "PATCH", "/api/v1/users/"+id, map[string]any{"email": "BOB@example.com"}, http.StatusConflict, "email", "exists")
	requireProblem(t, env, owner, "PATCH", "/api/v1/users/"+id, map[string]any{"email": "nope"}, http.StatusUnprocessableEntity, "email", "")
	require.Equal(t, "ada@example.com", env.JSON("GET", "/api/v1/users/"+id, nil, 200)["email"], "a refused patch changed nothing")

	// Tokens of a user; /me.
	requireProblem(t, env, owner, "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer", "user_id": "usr_00000000000000000000000000"}, http.StatusUnprocessableEntity, "user_id", "no user")
	requireProblem(t, env, scopedOwner, "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer", "base_ids": []any{base}, "user_id": id}, http.StatusForbidden, "", "")
	adaTok := env.JSONAs(owner, "POST", "/api/v1/tokens", map[string]any{"name": "ada", "role": "viewer", "base_ids": []any{base}, "user_id": id}, 201)
	me := env.JSONAs(adaTok["token"].(string), "GET", "/api/v1/me", nil, 200)
	require.Equal(t, map[string]any{"id": id, "email": "ada@example.com", "name": "Ada L.", "created_at": ada["created_at"]}, me["user"])
	require.Equal(t, "viewer", me["role"])
	require.Equal(t, adaTok["id"], me["token_id"])
	require.Equal(t, []any{base}, me["base_ids"])
	listed := env.JSON("GET", "/api/v1/tokens", nil, 200)["items"].([]any)
	var found bool
	for _, it := range listed {
		if it.(map[string]any)["id"] == adaTok["id"] {
			found = true
			require.Equal(t, id, it.(map[string]any)["user_id"])
		}
	}
	require.True(t, found)
	for _, tok := range []string{editor, apptest.AdminToken} {
		requireProblem(t, env, tok, "GET", "/api/v1/me", nil, http.StatusForbidden, "", "belongs to no user")
		requireProblem(t, env, tok, "GET", "/api/v1/notifications", nil, http.StatusForbidden, "", "belongs to no user")
		requireProblem(t, env, tok, "POST", "/api/v1/notifications/read-all", nil, http.StatusForbidden, "", "belongs to no user")
		requireProblem(t, env, tok, "GET", "/api/v1/notifications/stream", nil, http.StatusForbidden, "", "belongs to no user")
	}

	// Deleting the user revokes its tokens.
	env.JSONAs(owner, "DELETE", "/api/v1/users/"+id, nil, 204)
	requireProblem(t, env, adaTok["token"].(string), "GET", "/api/v1/me", nil, http.StatusUnauthorized, "", "")
	requireProblem(t, env, owner, "DELETE", "/api/v1/users/"+id, nil, http.StatusNotFound, "", "")
	// The email is free again.
	env.JSON("POST", "/api/v1/users", map[string]any{"email": "Ada@Example.com"}, 201)
}

// TestNotifyUserValidation: bad notify_user configs are refused when the
// automation is saved, at the place of the problem, and nothing is saved.
func TestNotifyUserValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	uid, _ := userWithToken(t, f.env, "ada@example.com", "viewer")
	save := func(cfg map[string]any) (int, []byte) {
		return f.env.Do("POST", "/api/v1/bases/"+f.baseID+"/automations", apptest.AdminToken, map[string]any{
			"name": "n", "trigger": f.trigger("record_created", nil),
			"steps": []any{map[string]any{"id": "tell", "type": "notify_user", "config": cfg}},
		})
	}
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		loc  string
		msg  string
	}{
		{"unknown email", map[string]any{"user": "nobody@example.com", "title": "t"}, "steps[0].config.user", "no user with email"},
		{"unknown id", map[string]any{"user": "usr_00000000000000000000000000", "title": "t"}, "steps[0].config.user", "no user"},
		{"neither id nor email", map[string]any{"user": "ada", "title": "t"}, "steps[0].config.user", "neither a user id"},
		{"no user", map[string]any{"title": "t"}, "steps[0].config.user", ""},
		{"no title", map[string]any{"user": uid}, "steps[0].config.title", ""},
		{"long title", map[string]any{"user": uid, "title": strings.Repeat("é", 501)}, "steps[0].config.title", "at most 500"},
		{"script link", map[string]any{"user": uid, "title": "t", "link": "javascript:alert(1)"}, "steps[0].config.link", "http(s) URL"},
		{"templated script link", map[string]any{"user": uid, "title": "t", "link": "{{trigger.record.fields.Name}}"}, "steps[0].config.link", "must start with"},
		{"bad template", map[string]any{"user": "{{trigger.record.fields.Name", "title": "t"}, "steps[0].config.user", ""},
		{"unknown key", map[string]any{"user": uid, "title": "t", "channel": "x"}, "", "channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := save(tc.cfg)
			require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
			if tc.loc != "" {
				require.Contains(t, string(raw), tc.loc, "%s", raw)
			}
			require.Contains(t, string(raw), tc.msg, "%s", raw)
		})
	}
	require.Empty(t, f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)["items"])
	// Good ones: by id, by email in any case, by template.
	var byCause string
	for _, u := range []string{uid, "ADA@example.com", "{{trigger.cause.user_id}}"} {
		status, raw := save(map[string]any{"user": u, "title": "t", "link": "https://example.com/x"})
		require.Equal(t, http.StatusCreated, status, "%s", raw)
		var a struct{ ID string }
		require.NoError(t, json.Unmarshal(raw, &a))
		byCause = a.ID
	}
	// A change made with a token of no user (the admin token) leaves the
	// cause's user empty: that run fails saying so, the others notify Ada.
	f.create(t, map[string]any{"Name": "x"})
	run := f.waitExactly(t, byCause, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, stepsOf(run)[0]["error"], "the template rendered empty")
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE user_id = $1`, uid).Scan(&n))
		return n == 2
	}, 30*time.Second, 10*time.Millisecond)
}

// TestNotificationsKeepToTheTokensBases: a base-scoped token of a user
// sees (lists, reads, streams) only the notifications of its bases.
func TestNotificationsKeepToTheTokensBases(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	ctx := context.Background()
	a := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "A"}, 201)["id"].(string)
	b := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "B"}, 201)["id"].(string)
	uid, wide := userWithToken(t, env, "ada@example.com", "viewer")
	narrow := env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "a", "role": "viewer", "base_ids": []any{a}, "user_id": uid}, 201)["token"].(string)
	insert := func(base, title string) notify.Notification {
		tx, err := env.App.Pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		n, err := env.App.Notifications.Insert(ctx, tx, notify.Message{User: uid, Title: title, BaseID: base})
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
		return n
	}
	narrowStream := openStream(t, env, narrow, nil)
	wideStream := openStream(t, env, wide, nil)
	nb := insert(b, "in B")
	na := insert(a, "in A")
	require.Equal(t, na.ID, narrowStream.next(t).ID, "the A token's stream skipped B's notification")
	require.Equal(t, nb.ID, wideStream.next(t).ID)
	require.Equal(t, na.ID, wideStream.next(t).ID)

	ids := func(token, query string) []string {
		var out []string
		for _, it := range env.JSONAs(token, "GET", "/api/v1/notifications"+query, nil, 200)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	require.Equal(t, []string{na.ID}, ids(narrow, ""))
	require.Equal(t, []string{na.ID, nb.ID}, ids(wide, ""), "newest first")
	env.JSONAs(narrow, "POST", "/api/v1/notifications/"+nb.ID+"/read", nil, 404)
	require.EqualValues(t, 1, env.JSONAs(narrow, "POST", "/api/v1/notifications/read-all", nil, 200)["marked"])
	require.Equal(t, []string{nb.ID}, ids(wide, "?unread=true"), "read-all of the A token left B's unread")

	// EventSource cannot send headers: the stream (and only the stream)
	// takes the token in the query.
	sctx, stop := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, "GET", env.URL+"/api/v1/notifications/stream?access_token="+narrow, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	stop()
	resp.Body.Close()
	requireProblem(t, env, "", "GET", "/api/v1/notifications/stream?access_token=rf_wrong", nil, http.StatusUnauthorized, "", "")
	requireProblem(t, env, "", "GET", "/api/v1/me?access_token="+narrow, nil, http.StatusUnauthorized, "", "")

	// Pages follow the cursor.
	nc := insert(a, "third")
	page := env.JSONAs(wide, "GET", "/api/v1/notifications?limit=2", nil, 200)
	require.Len(t, page["items"], 2)
	require.Equal(t, nc.ID, page["items"].([]any)[0].(map[string]any)["id"])
	require.Equal(t, []string{nb.ID}, ids(wide, "?limit=2&cursor="+page["next_cursor"].(string)))
}

// TestCloseEndsStreams: shutting the app down ends open notification
// streams at once (an open stream would otherwise hold the HTTP server's
// graceful shutdown until its deadline).
func TestCloseEndsStreams(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, tok := userWithToken(t, env, "ada@example.com", "viewer")
	stream := openStream(t, env, tok, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, env.App.Close(ctx))
	took := time.Since(start)
	select {
	case <-stream.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after Close")
	}
	require.Less(t, took, 10*time.Second, "Close waited for the stream")
	t.Logf("Close took %s with a stream open", took)
}
