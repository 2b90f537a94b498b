package e2e_test

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// TestAutoDisableAfter: auto_disable_after N disables the automation after
// N consecutive failed runs, with disabled_reason on the automation; a
// succeeded run in between starts the count again; enabling clears the
// reason; a disabled automation starts no more runs.
func TestAutoDisableAfter(t *testing.T) {
	t.Parallel()
	f := setup(t)
	recv := newReceiver(t, 500, 200, 500, 500)
	aut := f.automation(t, map[string]any{"name": "flaky", "trigger": f.trigger("record_created", nil), "auto_disable_after": 2,
		"steps": []any{webhookStep("post", recv.URL, map[string]any{"retry": map[string]any{"max_attempts": 1}})}})
	a := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	require.EqualValues(t, 2, a["auto_disable_after"])
	require.Nil(t, a["disabled_reason"])

	want := []string{"failed", "succeeded", "failed"}
	for i, status := range want {
		f.create(t, map[string]any{"Name": "o"})
		runs := f.waitRuns(t, aut, i+1)
		require.Equal(t, status, runs[0]["status"], "run %d", i+1)
		// One failure, then a success resetting the count: still enabled.
		require.Equal(t, true, f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["enabled"], "after run %d", i+1)
	}
	f.create(t, map[string]any{"Name": "o"})
	runs := f.waitRuns(t, aut, 4)
	require.Equal(t, "failed", runs[0]["status"])
	require.Eventually(t, func() bool {
		return f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["enabled"] == false
	}, 30*time.Second, 20*time.Millisecond, "the second consecutive failure disables the automation")
	a = f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	require.Contains(t, a["disabled_reason"], "disabled after 2 consecutive failed runs")
	require.Contains(t, a["disabled_reason"], runs[0]["id"])
	require.Contains(t, a["disabled_reason"], "step post (send_webhook) failed")

	// Disabled: a new record starts no run.
	f.create(t, map[string]any{"Name": "o"})
	f.drain(t)
	require.Len(t, f.runs(t, aut), 4)

	// Enabling clears the reason.
	a = f.env.JSON("POST", "/api/v1/automations/"+aut+"/enable", nil, 200)
	require.Equal(t, true, a["enabled"])
	require.Nil(t, a["disabled_reason"])

	// Bad values are refused at the field, nothing written.
	p := f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"auto_disable_after": -1}, 422)
	require.Contains(t, p["errors"].([]any)[0].(map[string]any)["location"], "auto_disable_after")
	// 0 turns it off.
	a = f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"auto_disable_after": 0}, 200)
	require.Nil(t, a["auto_disable_after"])
	require.Nil(t, f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["auto_disable_after"])
}

// TestAlertEmail: an automation with alert_email gets an email through the
// server's SMTP server for each run that fails for good (naming the run
// and its error), and one saying it was disabled when auto_disable_after
// disables it; a bad address is refused at alert_email.
func TestAlertEmail(t *testing.T) {
	t.Parallel()
	srv := newMailServer(t, smtpserver.Opts{})
	f := setup(t, func(c *app.Config) { c.SMTPURL = fmt.Sprintf("smtp://%s?tls=none&from=robot@example.com", srv.Addr()) })
	recv := newReceiver(t, 500, 500)
	p := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil),
		"alert_email": "not an address", "steps": []any{}}, 422)
	require.Contains(t, p["errors"].([]any)[0].(map[string]any)["location"], "alert_email")

	aut := f.automation(t, map[string]any{"name": "flaky", "trigger": f.trigger("record_created", nil), "auto_disable_after": 2,
		"alert_email": "owner@example.com",
		"steps":       []any{webhookStep("post", recv.URL, map[string]any{"retry": map[string]any{"max_attempts": 1}})}})
	require.Equal(t, "owner@example.com", f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["alert_email"])

	f.create(t, map[string]any{"Name": "o"})
	run1 := f.waitRuns(t, aut, 1)[0]
	m := nextMail(t, srv)
	require.Equal(t, []string{"owner@example.com"}, m.To)
	require.Equal(t, `rowflow: a run of "flaky" failed`, m.Header.Get("Subject"))
	require.Contains(t, mailText(t, m), run1["id"].(string))
	require.Contains(t, mailText(t, m), "step post (send_webhook) failed")

	f.create(t, map[string]any{"Name": "o"})
	f.waitRuns(t, aut, 2)
	m = nextMail(t, srv)
	require.Equal(t, `rowflow: "flaky" was disabled after 2 failed runs`, m.Header.Get("Subject"))
	require.Contains(t, mailText(t, m), "disabled after 2 consecutive failed runs")
}

// mailText is a received message's body, quoted-printable decoded.
func mailText(t *testing.T, m smtpserver.Message) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Body)))
	require.NoError(t, err)
	return string(b)
}
