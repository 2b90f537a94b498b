package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func token(t *testing.T, f *fixture, role string, bases ...string) string {
	t.Helper()
	body := map[string]any{"name": role, "role": role}
	if bases != nil {
		body["base_ids"] = bases
	}
	return f.env.JSON("POST", "/api/v1/tokens", body, 201)["token"].(string)
}

// TestConnectionsAPI: secrets are write-only (mask + has_<name>), a patch
// that omits a secret or sends the mask back keeps it, bad configs are
// refused at a named place with nothing written, viewers cannot change
// connections and a token of another base finds none.
func TestConnectionsAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	srv := newMailServer(t, smtpserver.Opts{Username: "u", Password: "C0NN-pass_word"})
	base := "/api/v1/bases/" + f.baseID + "/connections"
	created := f.env.JSON("POST", base, map[string]any{"name": "Mail", "type": "smtp",
		"config": smtpConn(srv, map[string]any{"username": "u", "password": "C0NN-pass_word"})}, 201)
	id := created["id"].(string)
	cfg := created["config"].(map[string]any)
	require.Equal(t, "••••", cfg["password"])
	require.Equal(t, true, cfg["has_password"])
	require.Equal(t, "u", cfg["username"])
	require.EqualValues(t, srv.Port, cfg["port"])

	got := f.env.JSON("GET", "/api/v1/connections/"+id, nil, 200)
	listed := items(f.env.JSON("GET", base, nil, 200))
	require.Len(t, listed, 1)
	for _, a := range []map[string]any{created, got, listed[0]} {
		require.NotContains(t, string(mustJSON(t, a)), "C0NN-pass_word")
	}
	require.Equal(t, true, f.env.JSON("POST", "/api/v1/connections/"+id+"/test", nil, 200)["ok"])

	// Omitted and masked secrets are kept: the test still authenticates.
	p := f.env.JSON("PATCH", "/api/v1/connections/"+id, map[string]any{"name": "Mail 2", "config": map[string]any{"from": "new@example.com"}}, 200)
	require.Equal(t, "Mail 2", p["name"])
	require.Equal(t, "new@example.com", p["config"].(map[string]any)["from"])
	require.Equal(t, true, p["config"].(map[string]any)["has_password"])
	f.env.JSON("PATCH", "/api/v1/connections/"+id, map[string]any{"config": got["config"]}, 200)
	require.Equal(t, true, f.env.JSON("POST", "/api/v1/connections/"+id+"/test", nil, 200)["ok"])
	// A wrong password: the test says so, with the server's reply.
	f.env.JSON("PATCH", "/api/v1/connections/"+id, map[string]any{"config": map[string]any{"password": "wr0ng-one"}}, 200)
	res := f.env.JSON("POST", "/api/v1/connections/"+id+"/test", nil, 200)
	require.Equal(t, false, res["ok"])
	require.Contains(t, res["error"], "authentication failed")
	require.NotContains(t, res["error"], "wr0ng-one")

	for _, tc := range []struct {
		name string
		body map[string]any
		loc  string
	}{
		{"no host", map[string]any{"name": "x", "type": "smtp", "config": map[string]any{"from": "a@example.com"}}, "config.host"},
		{"bad from", map[string]any{"name": "x", "type": "smtp", "config": map[string]any{"host": "h", "from": "nope"}}, "config.from"},
		{"bad tls", map[string]any{"name": "x", "type": "smtp", "config": map[string]any{"host": "h", "from": "a@b.c", "tls": "ssl3"}}, "config.tls"},
		{"unknown key", map[string]any{"name": "x", "type": "smtp", "config": map[string]any{"host": "h", "from": "a@b.c", "pasword": "x"}}, "config.pasword"},
		{"slack neither", map[string]any{"name": "x", "type": "slack", "config": map[string]any{}}, "config.webhook_url"},
		{"slack both", map[string]any{"name": "x", "type": "slack", "config": map[string]any{"webhook_url": "https://hooks.slack.com/x", "bot_token": "xoxb-1", "default_channel": "C"}}, "config.bot_token"},
		{"slack no channel", map[string]any{"name": "x", "type": "slack", "config": map[string]any{"bot_token": "xoxb-1"}}, "config.default_channel"},
		{"teams bad url", map[string]any{"name": "x", "type": "teams", "config": map[string]any{"webhook_url": "ftp://x"}}, "config.webhook_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, p, raw := f.send(t, "POST", base, tc.body)
			require.Equal(t, 422, status, "%s", raw)
			require.NotEmpty(t, p.Errors, "%s", raw)
			require.Equal(t, tc.loc, p.Errors[0].Location, "%s", raw)
		})
	}
	require.Len(t, items(f.env.JSON("GET", base, nil, 200)), 1, "nothing was written")

	viewer := token(t, f, "viewer")
	require.Equal(t, 200, must(f.env.Do("GET", "/api/v1/connections/"+id, viewer, nil)))
	require.Equal(t, 403, must(f.env.Do("PATCH", "/api/v1/connections/"+id, viewer, map[string]any{"name": "v"})))
	require.Equal(t, 403, must(f.env.Do("DELETE", "/api/v1/connections/"+id, viewer, nil)))
	require.Equal(t, 403, must(f.env.Do("POST", base, viewer, map[string]any{"name": "x", "type": "teams", "config": map[string]any{"webhook_url": "https://example.com/x"}})))
	other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)["id"].(string)
	scoped := token(t, f, "owner", other)
	require.Equal(t, 404, must(f.env.Do("GET", "/api/v1/connections/"+id, scoped, nil)))
	require.Equal(t, 404, must(f.env.Do("GET", base, scoped, nil)))

	// An automation of another base cannot use it.
	status, _, raw := f.send(t, "POST", "/api/v1/bases/"+other+"/automations", map[string]any{"name": "x",
		"trigger": map[string]any{"type": "form_submitted", "config": map[string]any{"form_id": "frm_x"}},
		"steps":   []any{map[string]any{"id": "m", "type": "send_email", "config": map[string]any{"connection_id": id, "to": "a@b.c", "subject": "s", "text": "t"}}}})
	require.Equal(t, 422, status)
	require.Contains(t, string(raw), "steps[0].config.connection_id")

	require.Equal(t, http.StatusNoContent, must(f.env.Do("DELETE", "/api/v1/connections/"+id, apptest.AdminToken, nil)))
	require.Equal(t, http.StatusNotFound, must(f.env.Do("GET", "/api/v1/connections/"+id, apptest.AdminToken, nil)))
}

func must(status int, _ []byte) int { return status }

// TestConnectionSecretsNeverLeak: the secrets of every connection type
// appear in no API answer (connections, automations, runs), in no run or
// step row (input, output, error) and in no log line, while the actions
// use them.
func TestConnectionSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	env := apptest.StartWithLog(t, logs)
	f := setupOn(t, env)
	srv := newMailServer(t, smtpserver.Opts{Username: "u", Password: "SMTP-s3cret_pw"})
	hook := newReceiver(t, http.StatusOK, http.StatusAccepted, http.StatusInternalServerError)
	secrets := []string{"SMTP-s3cret_pw", "SLACK-h00k_path", "TEAMS-h00k_path"}
	smtpID := f.connection(t, "smtp", smtpConn(srv, map[string]any{"username": "u", "password": "SMTP-s3cret_pw"}))
	slackID := f.connection(t, "slack", map[string]any{"webhook_url": hook.URL + "/SLACK-h00k_path"})
	teamsID := f.connection(t, "teams", map[string]any{"webhook_url": hook.URL + "/TEAMS-h00k_path"})
	aut := f.automation(t, map[string]any{"name": "all", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{"connection_id": smtpID, "to": "a@example.com", "subject": "s", "text": "t"}},
		map[string]any{"id": "slack", "type": "send_slack_message", "config": map[string]any{"connection_id": slackID, "text": "t"}},
		map[string]any{"id": "teams", "type": "send_teams_message", "config": map[string]any{"connection_id": teamsID, "text": "t"}},
		map[string]any{"id": "teams2", "type": "send_teams_message", "retry": fastRetry, "config": map[string]any{"connection_id": teamsID, "text": "t"}},
	}})
	f.create(t, map[string]any{"Name": "a"})
	nextMail(t, srv)
	runs := f.waitExactly(t, aut, 1)
	// The third post got a 500 and was retried: its error is in the job's history.
	require.Equal(t, "succeeded", runs[0]["status"], "%v", runs[0])
	require.EqualValues(t, 2, stepsOf(runs[0])[3]["attempts"])
	require.Equal(t, 4, hook.count())

	var answers []string
	for _, path := range []string{
		"/api/v1/bases/" + f.baseID + "/connections", "/api/v1/connections/" + smtpID, "/api/v1/connections/" + slackID,
		"/api/v1/connections/" + teamsID, "/api/v1/automations/" + aut, "/api/v1/automations/" + aut + "/runs",
		"/api/v1/runs/" + runs[0]["id"].(string),
	} {
		_, raw := f.env.Do("GET", path, apptest.AdminToken, nil)
		answers = append(answers, string(raw))
	}
	for _, id := range []string{smtpID, slackID, teamsID} {
		_, raw := f.env.Do("POST", "/api/v1/connections/"+id+"/test", apptest.AdminToken, nil)
		answers = append(answers, string(raw))
	}
	var rows string
	require.NoError(t, env.App.Pool.QueryRow(context.Background(), `SELECT
		coalesce((SELECT string_agg(row_to_json(r)::text, ' ') FROM runs r), '') ||
		coalesce((SELECT string_agg(row_to_json(s)::text, ' ') FROM run_steps s), '') ||
		coalesce((SELECT string_agg(row_to_json(a)::text, ' ') FROM automations a), '') ||
		coalesce((SELECT string_agg(row_to_json(c)::text, ' ') FROM connections c), '') ||
		coalesce((SELECT string_agg(row_to_json(j)::text, ' ') FROM river_job j), '')`).Scan(&rows))
	require.Contains(t, rows, "teams answered 500", "the step error is stored")
	log := logs.String()
	require.NotEmpty(t, log)
	for _, s := range secrets {
		for i, a := range answers {
			require.NotContains(t, a, s, "answer %d", i)
		}
		require.NotContains(t, rows, s, "a stored row")
		require.NotContains(t, log, s, "the log")
		require.False(t, strings.Contains(string(mustJSON(t, runs)), s))
	}
}
