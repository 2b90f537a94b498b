package e2e_test

import (
	"context"
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
	worker := apptest.Start(t, func(c *app.Config) {
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

	// The API process did not match its write: the event is a River job,
	// worked by the worker process's client.
	var events int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'record_event'`).Scan(&events))
	require.Equal(t, 1, events, "the API process's write left its event for the workers")
	var attemptedBy []string
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT coalesce(attempted_by, '{}') FROM river_job WHERE kind = 'record_event'`).Scan(&attemptedBy))
	require.Equal(t, []string{worker.App.River.ID()}, attemptedBy, "the worker matched the event")
	require.NotEqual(t, f.env.App.River.ID(), worker.App.River.ID())
}
