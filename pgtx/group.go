package pgtx

import (
	"context"
	"fmt"
	"sync"
)

// Group commit. Work that must be written before its caller goes on (a
// webhook request stored before it is answered, an inline step's
// completion) costs PostgreSQL a round trip, an executor start and a
// transaction per item when written one statement at a time. A Group lets
// the items that arrive while others are being written queue up, and one
// committer writes the whole queue with ONE call of its write function
// (typically one set-based statement over arrays, or one transaction).
// There is no timer: a committer takes what is queued, at most maxBatch
// items, so at low rates an item is written at once, on its own, and
// waits no longer than it would alone. (No library does this for
// PostgreSQL; it is ~60 lines.)

// Result is the outcome of one item of a group write.
type Result[R any] struct {
	Val R
	Err error
}

// Group writes items of type T in groups with write, which must return one
// Result per item, in order. The zero Group is not usable: use NewGroup.
type Group[T, R any] struct {
	maxBatch, committers int
	write                func(ctx context.Context, items []T) []Result[R]

	mu      sync.Mutex
	queue   []*groupItem[T, R]
	running int
}

type groupItem[T, R any] struct {
	in   T
	done chan Result[R]
}

// NewGroup returns a Group whose write calls take at most maxBatch items,
// at most committers of them running at once (while one waits for its
// commit, the next batch fills).
func NewGroup[T, R any](maxBatch, committers int, write func(ctx context.Context, items []T) []Result[R]) *Group[T, R] {
	return &Group[T, R]{maxBatch: maxBatch, committers: committers, write: write}
}

// Do queues in, and returns its result once the write that took it
// returned. The write outlives ctx (others wait on it): a caller whose ctx
// ends gets ctx's error at once, and the item's fate is its batch's.
func (g *Group[T, R]) Do(ctx context.Context, in T) (R, error) {
	it := &groupItem[T, R]{in: in, done: make(chan Result[R], 1)}
	g.mu.Lock()
	g.queue = append(g.queue, it)
	commit := g.running < g.committers
	if commit {
		g.running++
	}
	g.mu.Unlock()
	if commit {
		// A committer of its own writes the queue, this item among it,
		// until the queue is empty — which under sustained load may be
		// long after this item's result.
		go g.commitQueue(context.WithoutCancel(ctx))
	}
	select {
	case r := <-it.done:
		return r.Val, r.Err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// commitQueue takes batches off the queue until it is empty.
func (g *Group[T, R]) commitQueue(ctx context.Context) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.maxBatch)
		if n == 0 {
			g.running--
			g.mu.Unlock()
			return
		}
		batch := append([]*groupItem[T, R](nil), g.queue[:n]...)
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // let the backing array go
		}
		g.mu.Unlock()
		ins := make([]T, len(batch))
		for i, it := range batch {
			ins[i] = it.in
		}
		res := g.safeWrite(ctx, ins)
		for i, it := range batch {
			if i < len(res) {
				it.done <- res[i]
			} else {
				it.done <- Result[R]{Err: fmt.Errorf("the group write returned %d results for %d items", len(res), len(batch))}
			}
		}
	}
}

// safeWrite is write(ctx, items), a panic turned into every item's error:
// the committer's goroutine is its own, so a panic would end the process,
// and a committer that stopped would leave the queue waiting.
func (g *Group[T, R]) safeWrite(ctx context.Context, items []T) (res []Result[R]) {
	defer func() {
		if p := recover(); p != nil {
			res = make([]Result[R], len(items))
			for i := range res {
				res[i].Err = fmt.Errorf("the group write failed: %v", p)
			}
		}
	}()
	return g.write(ctx, items)
}
