package automation

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBulkGate: bulk work runs unlimited while no single writes' work ran
// lately; once it has, at most BulkShare bulk jobs run at once (another
// waits until one releases, or until its context ends), single writes'
// work is never held, and bulkShareWindow after the last single work the
// limit is off again.
func TestBulkGate(t *testing.T) {
	t.Parallel()
	rt := New(Opts{BulkShare: 2})
	ctx := context.Background()
	var held []func()
	for range 5 {
		release, err := rt.admit(ctx, true)
		require.NoError(t, err, "no single work: bulk is not limited")
		held = append(held, release)
	}
	for _, r := range held {
		r()
	}
	single, err := rt.admit(ctx, false)
	require.NoError(t, err)
	single()
	a, err := rt.admit(ctx, true)
	require.NoError(t, err)
	b, err := rt.admit(ctx, true)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = rt.admit(short, true)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a third bulk job waits while two run")
	for range 3 {
		s, err := rt.admit(short, false)
		require.NoError(t, err, "single work is never held")
		s()
	}
	got := make(chan func(), 1)
	go func() {
		r, err := rt.admit(ctx, true)
		if err == nil {
			got <- r
		}
	}()
	a()
	select {
	case r := <-got:
		r()
	case <-time.After(10 * time.Second):
		t.Fatal("a released slot admits the waiting bulk job")
	}
	b()
	rt.gate.lastSingle.Store(time.Now().Add(-2 * bulkShareWindow).UnixNano())
	for range 5 {
		_, err := rt.admit(short, true)
		require.NoError(t, err, "the limit is off a window after the last single work")
	}
}
