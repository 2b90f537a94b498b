package runfeed_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/runfeed"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// TestOnlyWatchedRunsNotify: with nothing watched the triggers' flag is
// down; a subscription raises it; a run of an automation nobody watches
// sends no NOTIFY at all (NOTIFY serializes commits) while one of a
// watched automation reaches its subscription with the run's status
// changes; closing the last subscription ends the watch.
func TestOnlyWatchedRunsNotify(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "b"}, 201)["id"].(string)
	table := func() string {
		return env.JSON("POST", "/api/v1/bases/"+base+"/tables", map[string]any{"name": "T" + time.Now().Format("150405.000000"),
			"fields": []any{map[string]any{"name": "Name", "type": "text"}}}, 201)["id"].(string)
	}
	automation := func(tableID string) string {
		return env.JSON("POST", "/api/v1/bases/"+base+"/automations", map[string]any{"name": "a " + tableID,
			"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}}, "steps": []any{}}, 201)["id"].(string)
	}
	quiet, watched := table(), table()
	quietAuto, watchedAuto := automation(quiet), automation(watched)

	raw, err := pgx.Connect(ctx, env.App.Pool.Config().ConnConfig.ConnString())
	require.NoError(t, err)
	defer raw.Close(context.Background())
	_, err = raw.Exec(ctx, "LISTEN "+runfeed.Channel)
	require.NoError(t, err)
	flagUp := func() bool {
		var up bool
		require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT coalesce(pg_sequence_last_value('runfeed_flag'), 0) > extract(epoch FROM now())`).Scan(&up))
		return up
	}
	require.False(t, flagUp(), "nothing watched: the triggers' WHEN clauses call nothing")
	sub, err := env.App.RunFeed.Subscribe(ctx, watchedAuto)
	require.NoError(t, err)
	require.True(t, flagUp(), "a watch raises the flag")

	env.JSON("POST", "/api/v1/tables/"+quiet+"/records", map[string]any{"fields": map[string]any{"Name": "q"}}, 201)
	env.JSON("POST", "/api/v1/tables/"+watched+"/records", map[string]any{"fields": map[string]any{"Name": "w"}}, 201)
	n, err := raw.WaitForNotification(ctx)
	require.NoError(t, err)
	var ev runfeed.Event
	require.NoError(t, json.Unmarshal([]byte(n.Payload), &ev))
	require.Equal(t, watchedAuto, ev.AutomationID, "the first NOTIFY is the watched run's: the quiet one sent none (%s)", quietAuto)

	got := <-sub.C
	require.Equal(t, watchedAuto, got.AutomationID)
	for got.Status != "succeeded" {
		got = <-sub.C
	}
	sub.Close()
	var watches int
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM runfeed_watches`).Scan(&watches))
	require.Zero(t, watches, "the last subscription's close ends the watch")
}
