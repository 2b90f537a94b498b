package pgtx

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener is one connection of its own LISTENing on a channel, kept
// alive across lost connections: the in-app notification hub and the
// console's run feed both fan their channel out this way.
type Listener struct {
	// Config is the connection's configuration (a copy of the pool's).
	Config *pgx.ConnConfig
	// Channel is the channel listened on.
	Channel string
	// What names the listener in errors and logs ("run feed listener").
	What string
	Log  *slog.Logger
	// OnPayload is called with each notification's payload, in order, on
	// the listening goroutine.
	OnPayload func(ctx context.Context, payload string)
	// OnReconnect is called after a lost connection was replaced: what was
	// notified meanwhile is lost, so subscribers must resync.
	OnReconnect func()
}

// Connect opens the listening connection (within 10 s); Start's caller
// uses it to fail at once when the database cannot be reached.
func (l *Listener) Connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, l.Config)
	if err != nil {
		return nil, fmt.Errorf("connecting the %s: %w", l.What, err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+l.Channel); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("LISTEN %s: %w", l.Channel, err)
	}
	return conn, nil
}

// Run waits for notifications on conn until ctx ends, reconnecting with
// backoff (100 ms doubling to 5 s) when the connection fails, and calls
// OnReconnect after each reconnection. It closes the connection it ends
// with.
func (l *Listener) Run(ctx context.Context, conn *pgx.Conn) {
	backoff := 100 * time.Millisecond
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				_ = conn.Close(context.Background())
				conn = nil
				if ctx.Err() != nil {
					return
				}
				l.Log.Warn(l.What+" lost its connection; reconnecting", "error", err)
				break
			}
			backoff = 100 * time.Millisecond
			l.OnPayload(ctx, n.Payload)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		var err error
		if conn, err = l.Connect(ctx); err != nil {
			l.Log.Warn(l.What+" cannot reconnect", "error", err, "retry_in", backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		l.OnReconnect()
	}
}
