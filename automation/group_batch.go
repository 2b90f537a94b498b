package automation

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// Batched items: a for_each whose steps are all record actions
// (kind.Transactional) without an `if`, worked on one item at a time,
// runs up to itemBatch fresh items in ONE transaction — their record
// writes and their rows (SaveGroupStepsDone) commit together — instead of
// a transaction per step. That saves a BEGIN, a COMMIT and a row
// statement per step, the bulk of a record step's database round trips.
// A for_each of one step whose kind is a kind.BatchExecutor
// (update_record) goes further: the batch's steps execute in one call
// (one record-service write of up to 100 records, one event).
// Durability is the same: a batch's items are done together or not at all
// (a crash resumes at the batch's first item). Anything out of the
// ordinary — a step that fails, an item with rows already, the max_steps
// cap within reach — rolls the batch back, and its items run one by one
// as usual (group_run.go), which handles it.

// itemBatch is the most items one batch transaction holds.
const itemBatch = 50

// errBatchFallback rolls a batch back: its items run one by one.
var errBatchFallback = errors.New("batch rolled back: the items run one by one")

// batchable reports whether a for_each's steps can run in batches.
func (g *groupRun) batchable(steps []StepSpec) bool {
	for _, s := range steps {
		if IsGroup(s.Type) || (len(s.If) > 0 && string(s.If) != "null") {
			return false
		}
		at, ok := g.rt.kinds.Action(s.Type)
		if !ok {
			return false
		}
		if _, tx := at.(kind.Transactional); !tx {
			return false
		}
	}
	return true
}

// batch runs items [from, to) of for_each s at n in one transaction, each
// in the scope scopeOf(i) returns; done(i, scope) collects an item's
// outputs after the commit. errBatchFallback: nothing was written, the
// caller runs them one by one.
func (g *groupRun) batch(ctx context.Context, s StepSpec, n node, from, to int,
	scopeOf func(i int) map[string]any, done func(i int, scope map[string]any)) error {
	rt := g.rt
	run := g.st.run
	steps := int64(to-from) * int64(len(s.Steps))
	if steps+atomic.LoadInt64(&g.count) > g.max {
		return errBatchFallback // the cap is within reach: one by one, to stop exactly at it
	}
	if !g.soft.IsZero() && time.Now().After(g.soft) {
		return &groupPause{}
	}
	p := db.SaveGroupStepsDoneParams{RunID: run.ID, StepIndex: int32(g.st.index)}
	scopes := make([]map[string]any, 0, to-from)
	// The batch's ordinals are reserved up front (a fallback leaves a gap).
	ordinal := g.ordinal.Add(int32(steps)) - int32(steps)
	// One read of each table per batch (a memo lives as long as the batch's
	// transaction), not two per record step.
	actx := record.WithMemo(rt.actionContext(ctx, run, g.trigger))
	var batcher kind.BatchExecutor
	if len(s.Steps) == 1 {
		at, _ := rt.kinds.Action(s.Steps[0].Type)
		batcher, _ = at.(kind.BatchExecutor)
	}
	err := rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		p.Paths, p.Parents, p.ItemIndexes, p.Ordinals = p.Paths[:0], p.Parents[:0], p.ItemIndexes[:0], p.Ordinals[:0]
		p.StepIds, p.Types, p.Inputs, p.Outputs, p.StartedAts = p.StepIds[:0], p.Types[:0], p.Inputs[:0], p.Outputs[:0], p.StartedAts[:0]
		scopes = scopes[:0]
		ord := ordinal
		add := func(i int, is StepSpec, input, out any, started time.Time) {
			in, _ := json.Marshal(input)
			o, _ := json.Marshal(out)
			var stored any
			_ = json.Unmarshal(o, &stored)
			scopes[i-from]["steps"].(map[string]any)[is.ID] = map[string]any{"output": stored, "status": "succeeded"}
			ord++
			p.Paths, p.Parents, p.ItemIndexes, p.Ordinals = append(p.Paths, itemPath(n.name, i)+is.ID), append(p.Parents, n.name), append(p.ItemIndexes, int32(i)), append(p.Ordinals, ord)
			p.StepIds, p.Types = append(p.StepIds, is.ID), append(p.Types, is.Type)
			p.Inputs, p.Outputs, p.StartedAts = append(p.Inputs, string(in)), append(p.Outputs, string(o)), append(p.StartedAts, started)
		}
		stepContext := func(i int, is StepSpec, now time.Time) *kind.StepContext {
			return &kind.StepContext{RunID: run.ID, AutomationID: run.AutomationID, BaseID: run.BaseID, StepID: is.ID + itemKey(itemPath(n.name, i)+is.ID),
				Attempt: 1, RetryDeclared: is.Retry != nil && is.Retry.MaxAttempts > 0, Depth: int(run.Depth),
				IdempotencyKey: "msg_" + run.ID + "_" + is.ID + itemKey(itemPath(n.name, i)+is.ID), Trigger: g.trigger, Now: now}
		}
		for i := from; i < to; i++ {
			scopes = append(scopes, scopeOf(i))
		}
		if batcher != nil {
			// One step per item, of a kind that executes many at once.
			is := s.Steps[0]
			started := rt.now()
			cfgs, inputs, scs := make([]any, 0, to-from), make([]any, 0, to-from), make([]*kind.StepContext, 0, to-from)
			for i := from; i < to; i++ {
				_, cfg, input, err := rt.renderAction(g.st.def, is, scopes[i-from])
				if err != nil {
					return errBatchFallback
				}
				cfgs, inputs, scs = append(cfgs, cfg), append(inputs, input), append(scs, stepContext(i, is, started))
			}
			outs, err := batcher.ExecuteBatch(record.WithTx(actx, tx), scs, cfgs)
			if err != nil || len(outs) != len(cfgs) {
				return errBatchFallback
			}
			for k, out := range outs {
				add(from+k, is, inputs[k], out, started)
			}
		} else {
			for i := from; i < to; i++ {
				for _, is := range s.Steps {
					started := rt.now()
					at, cfg, input, err := rt.renderAction(g.st.def, is, scopes[i-from])
					if err != nil {
						return errBatchFallback
					}
					out, err := at.Execute(record.WithTx(actx, tx), stepContext(i, is, started), cfg)
					if err != nil {
						return errBatchFallback
					}
					add(i, is, input, out, started)
				}
			}
		}
		written, err := q.SaveGroupStepsDone(ctx, p)
		if err != nil {
			return err
		}
		if written != int64(len(p.Paths)) {
			return errGroupStopped
		}
		return nil
	})
	if err != nil {
		return err
	}
	atomic.AddInt64(&g.count, int64(len(p.Paths)))
	for k, scope := range scopes {
		done(from+k, scope)
	}
	return nil
}
