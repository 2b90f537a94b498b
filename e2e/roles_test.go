package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
)

// TestSplitRolesRunAutomations: an API-only process and a worker-only
// process on one database. The API process neither matches nor runs
// anything itself (its writes go the event way), and the worker process
// runs the automation: the webhook arrives and the run succeeds.
func TestSplitRolesRunAutomations(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.Role = "api" })
	apptest.Start(t, func(c *app.Config) {
		c.DatabaseURL = f.env.App.Config.DatabaseURL
		c.Role = "worker"
	})
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":    "split",
		"trigger": f.trigger("record_created", nil),
		"steps":   []any{webhookStep("post", rcv.URL, nil)},
	})
	f.create(t, map[string]any{"Name": "A"})
	d := rcv.wait(t)
	require.NotEmpty(t, d.Header.Get("webhook-id"))
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
}
