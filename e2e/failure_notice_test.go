package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// TestFailureNotifiesOwner: the user whose token created an automation is
// its owner (created_by on the automation); when a run fails after its
// retries (two attempts here), the owner gets one in-app notification
// naming the automation, the failed step and the run — next to the
// alert_email email — and a run that succeeds adds none. Another user
// sees nothing; an automation created by the admin token (no user) has no
// owner and notifies nobody in-app.
func TestFailureNotifiesOwner(t *testing.T) {
	t.Parallel()
	srv := newMailServer(t, smtpserver.Opts{})
	f := setup(t, func(c *app.Config) { c.SMTPURL = fmt.Sprintf("smtp://%s?tls=none&from=robot@example.com", srv.Addr()) })
	ada, adaToken := userWithToken(t, f.env, "ada@example.com", "editor")
	_, bobToken := userWithToken(t, f.env, "bob@example.com", "editor")
	recv := newReceiver(t, 500, 500, 200)
	retry := map[string]any{"retry": map[string]any{"max_attempts": 2, "backoff": map[string]any{"delay_ms": 10, "max_delay_ms": 10}}}
	a := f.env.JSONAs(adaToken, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "flaky",
		"trigger": f.trigger("record_created", nil), "alert_email": "ops@example.com",
		"steps": []any{webhookStep("post", recv.URL, retry)}}, 201)
	aut := a["id"].(string)
	require.Equal(t, ada, a["created_by"])
	require.Equal(t, ada, f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["created_by"])

	f.create(t, map[string]any{"Name": "o"})
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Equal(t, 2, recv.count(), "the step was retried before the run failed")
	mail := nextMail(t, srv)
	require.Equal(t, []string{"ops@example.com"}, mail.To)

	var got []map[string]any
	require.Eventually(t, func() bool {
		got = items(f.env.JSONAs(adaToken, "GET", "/api/v1/notifications?unread=true", nil, 200))
		return len(got) > 0
	}, 10*time.Second, 20*time.Millisecond, "the owner's failure notification")
	require.Len(t, got, 1)
	n := got[0]
	assert.Equal(t, `A run of "flaky" failed`, n["title"])
	assert.Contains(t, n["body"], "step post (send_webhook) failed")
	assert.Equal(t, run["id"], n["run_id"])
	assert.Equal(t, aut, n["automation_id"])
	assert.Equal(t, f.baseID, n["base_id"])
	assert.Equal(t, "/api/v1/runs/"+run["id"].(string), n["link"])
	assert.Empty(t, items(f.env.JSONAs(bobToken, "GET", "/api/v1/notifications", nil, 200)), "only the owner is told")

	// A succeeded run tells nobody.
	f.create(t, map[string]any{"Name": "o"})
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 2)[0]["status"])
	f.drain(t)
	assert.Len(t, items(f.env.JSONAs(adaToken, "GET", "/api/v1/notifications", nil, 200)), 1)

	// No owner: no in-app notification (the alert email still goes).
	bad := newReceiver(t, 500)
	orphan := f.automation(t, map[string]any{"name": "orphan", "trigger": f.trigger("record_created", nil), "alert_email": "ops@example.com",
		"steps": []any{webhookStep("post", bad.URL, map[string]any{"retry": map[string]any{"max_attempts": 1}})}})
	require.Nil(t, f.env.JSON("GET", "/api/v1/automations/"+orphan, nil, 200)["created_by"])
	f.create(t, map[string]any{"Name": "o"})
	require.Equal(t, "failed", f.waitRuns(t, orphan, 1)[0]["status"])
	nextMail(t, srv)
	assert.Zero(t, f.countRows(t, `SELECT count(*) FROM notifications WHERE automation_id = $1`, orphan))
}
