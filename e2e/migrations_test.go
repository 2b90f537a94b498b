package e2e_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/migrations"
)

// TestMigrationsDownUpOnPopulatedDatabase: on a database with records,
// automations, runs and steps, rolling back the latest migration and
// applying it again keeps every row; rolling everything back (River's
// tables too) and up again leaves a working empty schema.
func TestMigrationsDownUpOnPopulatedDatabase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "m", "trigger": f.trigger("record_created", nil), "steps": []any{webhookStep("notify", rcv.URL, nil)}})
	for _, n := range []string{"a", "b", "c"} {
		f.create(t, map[string]any{"Name": n})
	}
	f.waitRuns(t, aut, 3)
	ctx := context.Background()
	dbURL := f.env.App.Config.DatabaseURL
	require.NoError(t, f.env.App.Close(ctx))
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	log := slog.New(slog.DiscardHandler)
	count := func(table string) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}
	before := map[string]int{"records": count("records"), "runs": count("runs"), "run_steps": count("run_steps"), "automations": count("automations")}
	require.Equal(t, 3, before["runs"])

	require.NoError(t, migrations.Down(ctx, pool, false, log))
	require.NoError(t, migrations.Up(ctx, pool, log))
	for table, n := range before {
		require.Equal(t, n, count(table), table)
	}
	pending, err := migrations.Pending(ctx, pool)
	require.NoError(t, err)
	require.False(t, pending)

	require.NoError(t, migrations.Down(ctx, pool, true, log))
	require.NoError(t, migrations.Up(ctx, pool, log))
	require.Equal(t, 0, count("records"))
	require.Equal(t, 0, count("river_job"))
}
