package automation

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/automation/trigger"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// keeper is a trigger kind that keeps rows of its own (kind.Lifecycle):
// it records every call, checks the call runs inside the change's
// transaction, and refuses configs named "refuse".
type keeper struct {
	mu    sync.Mutex
	calls []string
}

type keeperConfig struct {
	Label string `json:"label"`
}

func (*keeper) Name() string                        { return "kept" }
func (*keeper) Summary() string                     { return "test trigger with a lifecycle" }
func (*keeper) NewConfig() any                      { return &keeperConfig{} }
func (*keeper) Example(string) any                  { return keeperConfig{Label: "x"} }
func (*keeper) Validate(kind.Validator, any) string { return "" }

func (k *keeper) AutomationChanged(ctx context.Context, tx pgx.Tx, ch kind.LifecycleChange) error {
	cfg := ch.Config.(*keeperConfig)
	if cfg.Label == "refuse" {
		return errors.New("refused by the trigger")
	}
	// The call is inside the change's transaction: it sees the automation
	// as the change leaves it (and, deleted, still sees it).
	var enabled bool
	if err := tx.QueryRow(ctx, `SELECT enabled FROM automations WHERE id = $1`, ch.AutomationID).Scan(&enabled); err != nil {
		return err
	}
	if enabled != ch.Enabled {
		return errors.New("the change's transaction disagrees")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, ch.Op+":"+cfg.Label)
	return nil
}

func (k *keeper) seen() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}

// TestLifecycleHearsEveryChange: a Lifecycle trigger is told of save,
// new version, disable, enable, a change to another trigger kind and
// delete, inside each change's transaction; an error from it aborts the
// change.
func TestLifecycleHearsEveryChange(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	recs := record.New(record.Opts{Pool: pool})
	k := &keeper{}
	rt := New(Opts{Pool: pool, Records: recs, Kinds: kind.NewRegistry(
		[]kind.Trigger{k, trigger.RecordCreated{}}, []kind.Action{action.CreateRecord{Records: recs}})})
	recs.SetHook(rt)
	ctx := context.Background()
	base, err := recs.CreateBase(ctx, "Life")
	require.NoError(t, err)
	tbl, err := recs.CreateTable(ctx, base.ID, "T", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	name := "kept"
	spec := func(label string) *TriggerSpec {
		cfg, _ := json.Marshal(keeperConfig{Label: label})
		return &TriggerSpec{Type: "kept", Config: cfg}
	}

	_, err = rt.CreateAutomation(ctx, base.ID, AutomationInput{Name: &name, Trigger: spec("refuse")})
	require.ErrorContains(t, err, "refused by the trigger")
	all, err := rt.ListAutomations(ctx, base.ID)
	require.NoError(t, err)
	require.Empty(t, all, "a refused save writes nothing")

	a, err := rt.CreateAutomation(ctx, base.ID, AutomationInput{Name: &name, Trigger: spec("one")})
	require.NoError(t, err)
	_, err = rt.UpdateAutomation(ctx, a.ID, AutomationInput{Trigger: spec("two")})
	require.NoError(t, err)
	_, err = rt.UpdateAutomation(ctx, a.ID, AutomationInput{Trigger: spec("refuse")})
	require.ErrorContains(t, err, "refused by the trigger")
	cur, err := rt.GetAutomation(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, 2, cur.Version, "a refused new version is not saved")
	_, err = rt.SetAutomationEnabled(ctx, a.ID, false)
	require.NoError(t, err)
	_, err = rt.SetAutomationEnabled(ctx, a.ID, true)
	require.NoError(t, err)
	cfg, _ := json.Marshal(map[string]any{"table_id": tbl.ID})
	_, err = rt.UpdateAutomation(ctx, a.ID, AutomationInput{Trigger: &TriggerSpec{Type: "record_created", Config: cfg}})
	require.NoError(t, err)
	_, err = rt.UpdateAutomation(ctx, a.ID, AutomationInput{Trigger: spec("three")})
	require.NoError(t, err)
	require.NoError(t, rt.DeleteAutomation(rowflow.WithPrincipal(ctx, rowflow.Principal{System: true}), a.ID))
	require.Equal(t, []string{"saved:one", "saved:two", "disabled:two", "enabled:two", "deleted:two", "saved:three", "deleted:three"}, k.seen())
}
