package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/notify"
)

// setup gives a fresh database with user usr_a, and a started hub.
func setup(t *testing.T) (*pgxpool.Pool, *notify.Service, *notify.Hub) {
	t.Helper()
	pool := dbtest.New(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `INSERT INTO users (id, email) VALUES ('usr_a', 'a@example.com'), ('usr_b', 'b@example.com')`)
	require.NoError(t, err)
	svc := notify.New(pool)
	hub := notify.NewHub(pool, svc, nil)
	require.NoError(t, hub.Start(ctx))
	t.Cleanup(hub.Close)
	return pool, svc, hub
}

// insert writes m in its own transaction, committed unless rollback.
func insert(t *testing.T, pool *pgxpool.Pool, svc *notify.Service, m notify.Message, rollback bool) notify.Notification {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	n, err := svc.Insert(ctx, tx, m)
	require.NoError(t, err)
	if rollback {
		require.NoError(t, tx.Rollback(ctx))
	} else {
		require.NoError(t, tx.Commit(ctx))
	}
	return n
}

func subscribe(t *testing.T, hub *notify.Hub, userID string) *notify.Subscription {
	t.Helper()
	s, err := hub.Subscribe(userID)
	require.NoError(t, err)
	return s
}

// TestHubLimitsSubscriptionsPerUser: one user may hold only so many
// streams; closing one frees its place; other users are not affected.
func TestHubLimitsSubscriptionsPerUser(t *testing.T) {
	t.Parallel()
	_, _, hub := setup(t)
	var subs []*notify.Subscription
	for range notify.MaxSubscriptionsPerUser {
		subs = append(subs, subscribe(t, hub, "usr_a"))
	}
	_, err := hub.Subscribe("usr_a")
	require.ErrorContains(t, err, "streams open")
	subscribe(t, hub, "usr_b").Close()
	subs[0].Close()
	subscribe(t, hub, "usr_a").Close()
}

func next(t *testing.T, sub *notify.Subscription) notify.Notification {
	t.Helper()
	select {
	case n := <-sub.C:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s")
	}
	return notify.Notification{}
}

// TestHubDeliversCommittedOnly: a rolled-back insert is never announced;
// a committed one reaches its user's subscriptions (all of them), not
// another user's.
func TestHubDeliversCommittedOnly(t *testing.T) {
	t.Parallel()
	pool, svc, hub := setup(t)
	a1, a2, b := subscribe(t, hub, "usr_a"), subscribe(t, hub, "usr_a"), subscribe(t, hub, "usr_b")
	defer a1.Close()
	defer a2.Close()
	defer b.Close()
	insert(t, pool, svc, notify.Message{User: "usr_a", Title: "rolled back"}, true)
	kept := insert(t, pool, svc, notify.Message{User: "A@example.com", Title: "kept", Body: "b", Link: "/x"}, false)
	for _, s := range []*notify.Subscription{a1, a2} {
		got := next(t, s)
		require.Equal(t, kept.ID, got.ID, "the first announcement is the committed one")
		require.Equal(t, "kept", got.Title)
		require.Equal(t, "usr_a", got.UserID)
		require.Equal(t, "/x", got.Link)
	}
	// b heard nothing: a notification of its own arrives first.
	own := insert(t, pool, svc, notify.Message{User: "usr_b", Title: "b's"}, false)
	require.Equal(t, own.ID, next(t, b).ID)
}

// TestHubOversizedPayload: a notification too big for a NOTIFY payload is
// announced by id and read back whole.
func TestHubOversizedPayload(t *testing.T) {
	t.Parallel()
	pool, svc, hub := setup(t)
	sub := subscribe(t, hub, "usr_a")
	defer sub.Close()
	body := strings.Repeat("é", notify.MaxBody) // 10 000 bytes
	n := insert(t, pool, svc, notify.Message{User: "usr_a", Title: "big", Body: body}, false)
	got := next(t, sub)
	require.Equal(t, n.ID, got.ID)
	require.Equal(t, body, got.Body)
}

// TestHubResyncsAfterReconnect: when the listening connection dies, what
// commits meanwhile is not announced; once the hub has reconnected every
// subscription is told to resync, and the rows are there to read.
func TestHubResyncsAfterReconnect(t *testing.T) {
	t.Parallel()
	pool, svc, hub := setup(t)
	ctx := context.Background()
	sub := subscribe(t, hub, "usr_a")
	defer sub.Close()
	var killed bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN rowflow_notifications'`).Scan(&killed))
	require.True(t, killed)
	n := insert(t, pool, svc, notify.Message{User: "usr_a", Title: "while away"}, false)
	select {
	case <-sub.Resync():
	case got := <-sub.C:
		require.Equal(t, n.ID, got.ID) // the hub was back before the commit
		return
	case <-time.After(10 * time.Second):
		t.Fatal("no resync after the listener's connection died")
	}
	missed, err := svc.After(ctx, notify.Scope{UserID: "usr_a"}, "", 10)
	require.NoError(t, err)
	require.Len(t, missed, 1)
	require.Equal(t, n.ID, missed[0].ID)
	// And live delivery works again.
	again := insert(t, pool, svc, notify.Message{User: "usr_a", Title: "back"}, false)
	require.Equal(t, again.ID, next(t, sub).ID)
}

// TestHubCloseEndsSubscriptions: Close ends every subscription, and one
// made afterwards is done at once.
func TestHubCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	_, _, hub := setup(t)
	sub := subscribe(t, hub, "usr_a")
	hub.Close()
	<-sub.Done()
	<-subscribe(t, hub, "usr_a").Done()
	sub.Close() // after Close: no panic
}

// TestInsertChecks: bad messages are refused with the place named, and a
// step's notification is written once however often the step runs.
func TestInsertChecks(t *testing.T) {
	t.Parallel()
	pool, svc, _ := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		m   notify.Message
		msg string
	}{
		{notify.Message{User: "usr_missing", Title: "t"}, `no user "usr_missing"`},
		{notify.Message{User: "nobody@example.com", Title: "t"}, "no user with email"},
		{notify.Message{User: "bob", Title: "t"}, "neither a user id"},
		{notify.Message{User: "usr_a", Title: " "}, "config.title"},
		{notify.Message{User: "usr_a", Title: "t", Link: "javascript:alert(1)"}, "config.link"},
		{notify.Message{User: "usr_a", Title: "t", Link: "//evil.example.com"}, "config.link"},
	} {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		_, err = svc.Insert(ctx, tx, tc.m)
		require.ErrorContains(t, err, tc.msg)
		require.NoError(t, tx.Rollback(ctx))
	}
	step := notify.Message{User: "usr_a", Title: "once", RunID: "run_x", StepID: "tell"}
	first := insert(t, pool, svc, step, false)
	second := insert(t, pool, svc, step, false)
	require.Equal(t, first.ID, second.ID)
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n))
	require.Equal(t, 1, n)
}
