package pgtx

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroup: items that arrive while a write is running are written
// together by the next write (never more than maxBatch at once, never
// more than committers writes at once), each caller gets its own item's
// result, an item's error is its own, and an item alone is written at
// once by a write of one.
func TestGroup(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		sizes   []int
		running int
		most    int
		hold    bool // the first write of the second part hangs
	)
	release := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	g := NewGroup(8, 2, func(_ context.Context, items []int) []Result[int] {
		mu.Lock()
		sizes = append(sizes, len(items))
		running++
		most = max(most, running)
		mu.Unlock()
		if hold {
			once.Do(func() { close(first); <-release })
		}
		mu.Lock()
		running--
		mu.Unlock()
		out := make([]Result[int], len(items))
		for i, x := range items {
			if x%7 == 0 {
				out[i].Err = errors.New("seven")
				continue
			}
			out[i].Val = x * 10
		}
		return out
	})
	ctx := context.Background()

	// An item alone: one write of one.
	v, err := g.Do(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 10, v)
	require.Equal(t, []int{1}, sizes)

	// The first write hangs until 40 more items queued behind it.
	mu.Lock()
	sizes, hold = nil, true
	mu.Unlock()
	var wg sync.WaitGroup
	got := make([]Result[int], 41)
	call := func(i int) {
		defer wg.Done()
		v, err := g.Do(ctx, i+2)
		got[i] = Result[int]{v, err}
	}
	wg.Add(1)
	go call(0)
	<-first
	for i := 1; i < 41; i++ {
		wg.Add(1)
		go call(i)
	}
	// Wait until the 40 are queued (or taken by the second committer).
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.queue) >= 40-8
	}, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	for i, r := range got {
		x := i + 2
		if x%7 == 0 {
			assert.Error(t, r.Err, "item %d", x)
			continue
		}
		assert.NoError(t, r.Err, "item %d", x)
		assert.Equal(t, x*10, r.Val, "item %d", x)
	}
	total := 0
	for _, n := range sizes {
		assert.LessOrEqual(t, n, 8)
		total += n
	}
	assert.Equal(t, 41, total)
	assert.Less(t, len(sizes), 41, "queued items were written together: %v", sizes)
	assert.LessOrEqual(t, most, 2)
	assert.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.running == 0
	}, 5*time.Second, time.Millisecond, "every committer ends")
}

// TestGroupPanic: a write that panics answers its items with an error,
// and the group goes on writing.
func TestGroupPanic(t *testing.T) {
	t.Parallel()
	g := NewGroup(4, 1, func(_ context.Context, items []int) []Result[int] {
		if items[0] < 0 {
			panic("boom")
		}
		return []Result[int]{{Val: items[0]}}
	})
	_, err := g.Do(context.Background(), -1)
	require.ErrorContains(t, err, "boom")
	v, err := g.Do(context.Background(), 3)
	require.NoError(t, err)
	require.Equal(t, 3, v)
}
