package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// newMailServer starts a real SMTP server (go-smtp) on 127.0.0.1.
func newMailServer(t *testing.T, o smtpserver.Opts) *smtpserver.Server {
	t.Helper()
	srv, err := smtpserver.Start(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func nextMail(t *testing.T, srv *smtpserver.Server) smtpserver.Message {
	t.Helper()
	select {
	case m := <-srv.Messages():
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no email arrived")
		return smtpserver.Message{}
	}
}

// connection creates a connection of the fixture's base and returns its id.
func (f *fixture) connection(t *testing.T, typ string, cfg map[string]any) string {
	t.Helper()
	return f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/connections", map[string]any{"name": typ + " conn", "type": typ, "config": cfg}, 201)["id"].(string)
}

func smtpConn(srv *smtpserver.Server, extra map[string]any) map[string]any {
	cfg := map[string]any{"host": srv.Host, "port": srv.Port, "tls": "none", "from": "Shop <shop@example.com>"}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// TestSendEmail: a record creation sends an email through an smtp
// connection; what arrives has the rendered headers and bodies (values
// inserted into html escaped), the Message-ID <run.step@domain>, and the
// step's output names it and the accepted recipients.
func TestSendEmail(t *testing.T) {
	t.Parallel()
	f := setup(t)
	srv := newMailServer(t, smtpserver.Opts{Username: "shop", Password: "sm7p-pa55_word"})
	conn := f.connection(t, "smtp", smtpConn(srv, map[string]any{"username": "shop", "password": "sm7p-pa55_word"}))
	aut := f.automation(t, map[string]any{"name": "mail", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{
			"connection_id": conn, "to": "{{trigger.record.fields.Name}}@example.com", "cc": "boss@example.com",
			"bcc": "audit@example.com", "reply_to": "help@example.com",
			"subject": "Order {{trigger.record.fields.Name}} is {{trigger.record.fields.Status}}",
			"text":    "Hello {{trigger.record.fields.Name}}", "html": "<p>Note: {{trigger.record.fields.Status}} {{trigger.record.id}}</p>",
		}},
	}})
	id := f.create(t, map[string]any{"Name": "ada", "Status": "Todo"})
	m := nextMail(t, srv)
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)

	require.Equal(t, "shop@example.com", m.From)
	require.ElementsMatch(t, []string{"ada@example.com", "boss@example.com", "audit@example.com"}, m.To)
	require.Equal(t, "Order ada is Todo", m.Header.Get("Subject"))
	require.Contains(t, m.Header.Get("From"), "shop@example.com")
	require.Contains(t, m.Header.Get("To"), "ada@example.com")
	require.Contains(t, m.Header.Get("Cc"), "boss@example.com")
	require.Contains(t, m.Header.Get("Reply-To"), "help@example.com")
	require.NotContains(t, string(m.Raw), "audit@example.com", "bcc stays in the envelope")
	wantID := fmt.Sprintf("<%s.mail@example.com>", run["id"])
	require.Equal(t, wantID, m.Header.Get("Message-ID"))
	require.Contains(t, m.Body, "Hello ada")
	require.Contains(t, m.Body, "<p>Note: Todo "+id+"</p>")

	out := stepsOf(run)[0]["output"].(map[string]any)
	require.Equal(t, wantID, out["message_id"])
	require.ElementsMatch(t, []any{"ada@example.com", "boss@example.com", "audit@example.com"}, out["accepted"])

	// "<b>x</b>@example.com" is no address: the step says which.
	f.create(t, map[string]any{"Name": "<b>x</b>", "Status": "Todo"})
	run2 := f.waitExactly(t, aut, 2)
	var failed map[string]any
	for _, r := range run2 {
		if r["status"] == "failed" {
			failed = r
		}
	}
	require.NotNil(t, failed, "the bad address fails the run")
	require.Contains(t, *strPtr(stepsOf(failed)[0]["error"]), `"<b>x</b>@example.com"`)
	require.EqualValues(t, 1, stepsOf(failed)[0]["attempts"], "a bad address is not retried")
}

func strPtr(v any) *string {
	s, _ := v.(string)
	return &s
}

// TestSendEmailEscapesHTML: a value inserted into html cannot add markup.
func TestSendEmailEscapesHTML(t *testing.T) {
	t.Parallel()
	f := setup(t)
	srv := newMailServer(t, smtpserver.Opts{})
	conn := f.connection(t, "smtp", smtpConn(srv, nil))
	aut := f.automation(t, map[string]any{"name": "mail", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{
			"connection_id": conn, "to": "ops@example.com", "subject": "{{trigger.record.fields.Name}}",
			"text": "{{trigger.record.fields.Name}}", "html": "<p>{{trigger.record.fields.Name}}</p>",
		}},
	}})
	f.create(t, map[string]any{"Name": `<script>alert("x")</script>`})
	m := nextMail(t, srv)
	require.Equal(t, "succeeded", f.waitExactly(t, aut, 1)[0]["status"])
	require.Contains(t, m.Body, "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>")
	require.NotContains(t, m.Body, "<p><script>")
	require.Contains(t, m.Body, `<script>alert("x")</script>`, "the text part is not escaped")
}

// TestSendEmailRetriesTemporaryFailures: a 4xx reply is retried with the
// step's policy and the retry carries the same Message-ID; a 5xx reply
// fails at once with the server's reply in the step error.
func TestSendEmailRetriesTemporaryFailures(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var calls atomic.Int64
	var mu sync.Mutex
	var ids []string
	srv := newMailServer(t, smtpserver.Opts{Reply: func(m smtpserver.Message) error {
		mu.Lock()
		ids = append(ids, m.Header.Get("Message-ID"))
		mu.Unlock()
		switch subject := m.Header.Get("Subject"); {
		case subject == "temp" && calls.Add(1) <= 2:
			return &smtpserver.SMTPError{Code: 451, Message: "greylisted, come back later"}
		case subject == "perm":
			return &smtpserver.SMTPError{Code: 550, Message: "no such mailbox here"}
		}
		return nil
	}})
	conn := f.connection(t, "smtp", smtpConn(srv, nil))
	step := func(subject string) map[string]any {
		return map[string]any{"id": "mail", "type": "send_email", "retry": fastRetry, "config": map[string]any{
			"connection_id": conn, "to": "ops@example.com", "subject": subject, "text": "body"}}
	}
	temp := f.automation(t, map[string]any{"name": "temp", "trigger": f.trigger("record_created", nil), "steps": []any{step("temp")}})
	f.create(t, map[string]any{"Name": "a"})
	m := nextMail(t, srv)
	run := f.waitExactly(t, temp, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run)
	require.EqualValues(t, 3, stepsOf(run)[0]["attempts"])
	mu.Lock()
	got := append([]string(nil), ids...)
	mu.Unlock()
	require.Len(t, got, 3)
	require.Equal(t, got[0], got[2], "every attempt has the same Message-ID")
	require.Equal(t, got[0], m.Header.Get("Message-ID"))

	f.env.JSON("POST", "/api/v1/automations/"+temp+"/disable", nil, 200)
	perm := f.automation(t, map[string]any{"name": "perm", "trigger": f.trigger("record_created", nil), "steps": []any{step("perm")}})
	f.create(t, map[string]any{"Name": "b"})
	run = f.waitExactly(t, perm, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.EqualValues(t, 1, stepsOf(run)[0]["attempts"], "a 5xx is not retried")
	require.Contains(t, *strPtr(stepsOf(run)[0]["error"]), "no such mailbox here")
	require.Contains(t, *strPtr(stepsOf(run)[0]["error"]), "550")
}

// TestSendEmailDefaultServer: without connection_id the server's SMTP
// server (ROWFLOW_SMTP_URL) is used; with neither, saving fails at the
// step's connection_id.
func TestSendEmailDefaultServer(t *testing.T) {
	t.Parallel()
	srv := newMailServer(t, smtpserver.Opts{})
	f := setup(t, func(c *app.Config) { c.SMTPURL = fmt.Sprintf("smtp://%s?tls=none&from=robot@example.com", srv.Addr()) })
	aut := f.automation(t, map[string]any{"name": "mail", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "m", "type": "send_email", "config": map[string]any{"to": "ops@example.com", "subject": "hi", "text": "body"}},
	}})
	f.create(t, map[string]any{"Name": "a"})
	m := nextMail(t, srv)
	require.Equal(t, "robot@example.com", m.From)
	require.Equal(t, "succeeded", f.waitExactly(t, aut, 1)[0]["status"])

	bare := setup(t)
	body := map[string]any{"name": "mail", "trigger": bare.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "m", "type": "send_email", "config": map[string]any{"to": "not an address", "subject": "hi", "text": "body"}},
	}}
	status, p, raw := bare.send(t, "POST", "/api/v1/bases/"+bare.baseID+"/automations", body)
	require.Equal(t, 422, status, "%s", raw)
	require.Contains(t, string(raw), "steps[0].config.connection_id")
	require.Contains(t, string(raw), "ROWFLOW_SMTP_URL")
	require.Contains(t, string(raw), "steps[0].config.to")
	require.NotEmpty(t, p.Errors)
	require.Empty(t, items(bare.env.JSON("GET", "/api/v1/bases/"+bare.baseID+"/automations", nil, 200)), "nothing was written")
}

// TestConnectionKeyFile: without ROWFLOW_SECRET_KEY the key is created in
// the data folder with mode 0600, and the stored row holds no secret in
// clear.
func TestConnectionKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := setup(t, func(c *app.Config) { c.DataDir = dir; c.SecretKey = "" })
	fi, err := os.Stat(filepath.Join(dir, connection.KeyFileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	id := f.connection(t, "smtp", map[string]any{"host": "mail.example.com", "username": "u", "password": "K3Y-file_secret", "from": "a@example.com"})
	var n int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM connections WHERE id = $1 AND position('K3Y-file_secret' in row_to_json(connections)::text) = 0
		   AND position(convert_to('K3Y-file_secret', 'UTF8') in secrets) = 0`, id).Scan(&n))
	require.Equal(t, 1, n)
	require.True(t, strings.HasPrefix(id, "con_"))
}
