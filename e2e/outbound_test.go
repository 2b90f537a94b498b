package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// TestWebhookToLoopbackIsRefusedByDefault: without
// ROWFLOW_OUTBOUND_ALLOW_CIDRS, the outbound guard refuses loopback (the
// address is checked at dial time), the step fails at once, and the
// receiver is never called.
func TestWebhookToLoopbackIsRefusedByDefault(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.OutboundAllowCIDRs = "" })
	rcv := newReceiver(t)
	for _, url := range []string{rcv.URL, "http://localhost" + rcv.URL[len("http://127.0.0.1"):]} {
		aut := f.automation(t, map[string]any{"name": "to " + url, "trigger": f.trigger("record_created", nil),
			"steps": []any{webhookStep("notify", url, map[string]any{"retry": fastRetry})}})
		f.create(t, map[string]any{"Name": "a"})
		run := f.waitExactly(t, aut, 1)[0]
		require.Equal(t, "failed", run["status"])
		step := stepsOf(run)[0]
		require.EqualValues(t, 1, step["attempts"], "a refused address is not retried")
		require.Contains(t, step["error"], "destination address not allowed")
		// The next automation of the loop must not see this one's record.
		f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	}
	require.Zero(t, rcv.count())
}
