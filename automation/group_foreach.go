package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
)

// A for_each group (group.go) in a walk (group_run.go): its items are
// rendered once and kept on its row; its steps run once per item in a
// scope of their own ({{item}}, {{index}}, the item's step outputs), one
// item after the other — in batches of items per transaction where its
// steps allow (group_batch.go) — or Concurrency items at once.

// forEach runs a for_each group: its items (rendered once, then read from
// its row), and its steps once per item, Concurrency items at a time.
func (g *groupRun) forEach(ctx context.Context, s StepSpec, n node, self *db.RunStep, data map[string]any) (any, any, error) {
	var items []any
	have := false
	if self != nil && len(self.Input) > 0 {
		var in struct {
			Items []any `json:"items"`
		}
		if json.Unmarshal(self.Input, &in) == nil && in.Items != nil {
			items, have = in.Items, true
		}
	}
	if !have {
		var err error
		if items, err = renderItems(s.Items, data); err != nil {
			return nil, nil, &groupFailure{path: n.name, err: err}
		}
		if err := g.saveGroupState(ctx, s, n, map[string]any{"items": items}, nil); err != nil {
			return nil, nil, err
		}
	}
	in := map[string]any{"items": items}
	results := make([]any, len(items))
	scopeOf := func(i int) map[string]any {
		scope := make(map[string]any, len(data)+2)
		for k, v := range data {
			scope[k] = v
		}
		outer := data["steps"].(map[string]any)
		inner := make(map[string]any, len(outer)+len(s.Steps))
		for k, v := range outer {
			inner[k] = v
		}
		scope["steps"], scope["item"], scope["index"] = inner, items[i], i
		return scope
	}
	collect := func(i int, scope map[string]any) {
		inner := scope["steps"].(map[string]any)
		res := make(map[string]any, len(s.Steps))
		for _, is := range s.Steps {
			if v, ok := inner[is.ID].(map[string]any); ok {
				res[is.ID] = v["output"]
			}
		}
		results[i] = res
	}
	runItem := func(i int) error {
		scope := scopeOf(i)
		idx := int32(i)
		err := g.seq(ctx, s.Steps, itemPath(n.name, i), n.name, &idx, scope)
		collect(i, scope)
		return err
	}
	out := func(done int) map[string]any {
		return map[string]any{"count": len(items), "items": results[:done]}
	}
	conc := max(1, s.Concurrency)
	if conc == 1 || len(items) <= 1 {
		batched := g.batchable(s.Steps)
		started := g.startedItems(n.name)
		for i := 0; i < len(items); {
			end := i + 1
			if batched && !started[i] {
				for end < len(items) && end-i < itemBatch && !started[end] {
					end++
				}
				if end-i > 1 {
					err := g.batch(ctx, s, n, i, end, scopeOf, collect)
					if err == nil {
						i = end
						continue
					}
					if !errors.Is(err, errBatchFallback) {
						return in, out(i), err
					}
				}
			}
			// One by one: an item with rows already, or a batch that
			// fell back.
			for ; i < end; i++ {
				if err := runItem(i); err != nil {
					return in, out(i + 1), err
				}
			}
		}
		return in, out(len(items)), nil
	}
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < min(conc, len(items)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) || g.stopped.Load() {
					return
				}
				if err := runItem(i); err != nil {
					mu.Lock()
					if first == nil || rank(err) > rank(first) {
						first = err
					}
					mu.Unlock()
					g.stopped.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return in, out(len(items)), first
	}
	return in, out(len(items)), nil
}

// startedItems are the items of the for_each at name with a row already
// (a resumed walk).
func (g *groupRun) startedItems(name string) map[int]bool {
	out := map[int]bool{}
	prefix := name + "["
	for p := range g.rows {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := p[len(prefix):]
		if j := strings.IndexByte(rest, ']'); j > 0 {
			if i, err := strconv.Atoi(rest[:j]); err == nil {
				out[i] = true
			}
		}
	}
	return out
}

// rank orders the errors of concurrent items: the one a for_each reports.
func rank(err error) int {
	var pause *groupPause
	var fail *groupFailure
	switch {
	case errors.Is(err, errGroupStopped):
		return 0
	case errors.As(err, &pause):
		return 1
	case errors.As(err, &fail):
		return 2
	case errors.As(err, new(errMaxSteps)):
		return 3
	}
	return 4
}

// renderItems renders a for_each's items: a list, or a template that
// renders to one (a JSON text of a list is decoded).
func renderItems(raw json.RawMessage, data map[string]any) ([]any, error) {
	var v any
	if err := json.Unmarshal(orEmpty(raw), &v); err != nil {
		return nil, fmt.Errorf("items: %s", kind.JSONProblem(err))
	}
	rendered, err := renderValue(v, data)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	if s, ok := rendered.(string); ok {
		var list []any
		if json.Unmarshal([]byte(s), &list) == nil {
			rendered = list
		}
	}
	switch x := rendered.(type) {
	case nil:
		return []any{}, nil
	case []any:
		if len(x) > MaxItems {
			return nil, fmt.Errorf("items: %d items, at most %d", len(x), MaxItems)
		}
		return x, nil
	}
	return nil, fmt.Errorf("items must be a list, got %s", describeJSON(rendered))
}

// describeJSON names a JSON value's type for an error message.
func describeJSON(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number, int:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
