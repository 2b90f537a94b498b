package automation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
)

// lifecycle tells a's trigger kind, when it is a kind.Lifecycle, about op
// inside tx: the rows it keeps beside the automation change in the same
// transaction as the automation, or neither does.
func (rt *Runtime) lifecycle(ctx context.Context, tx pgx.Tx, op string, a Automation) error {
	t, ok := rt.kinds.Trigger(a.Trigger.Type)
	if !ok {
		return nil
	}
	lc, ok := t.(kind.Lifecycle)
	if !ok {
		return nil
	}
	cfg := t.NewConfig()
	if err := kind.DecodeConfig(a.Trigger.Config, cfg); err != nil {
		return err
	}
	return lc.AutomationChanged(ctx, tx, kind.LifecycleChange{Op: op, AutomationID: a.ID, BaseID: a.BaseID,
		Version: a.Version, Enabled: a.Enabled, Config: cfg, Now: rt.now()})
}

// hasLifecycle reports whether trigger kind name is a kind.Lifecycle.
func (rt *Runtime) hasLifecycle(name string) bool {
	t, _ := rt.kinds.Trigger(name)
	_, ok := t.(kind.Lifecycle)
	return ok
}

// inLifecycleTx runs fn in a transaction when the trigger kind keeps rows
// of its own (so that its Lifecycle call joins the change), and on the
// pool's implicit transaction otherwise (one round trip).
func (rt *Runtime) inLifecycleTx(ctx context.Context, triggerType string, fn func(tx pgx.Tx, q *db.Queries) error) error {
	if !rt.hasLifecycle(triggerType) {
		return fn(nil, rt.q)
	}
	return rt.inTx(ctx, fn)
}
