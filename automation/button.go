package automation

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/field"
)

// ButtonTrigger is the trigger kind a button click fires.
const ButtonTrigger = "button_clicked"

// ClickButton is a click of button field fieldID of a record (editor or
// owner): it starts, in one transaction, a run of every enabled
// button_clicked automation of that button whose conditions hold for the
// record, and returns their ids. An unknown record or field (or a field
// that is no button) is NotFound; a button with no enabled automation is a
// Conflict saying why.
func (rt *Runtime) ClickButton(ctx context.Context, tableID, recordID, fieldID string) ([]string, error) {
	t, rec, err := rt.records.GetRecord(ctx, tableID, recordID)
	if err != nil {
		return nil, err
	}
	if err := rowflow.CheckBase(ctx, t.BaseID, rowflow.RoleEditor); err != nil {
		return nil, err
	}
	f, ok := t.Field(fieldID)
	if !ok || f.ID != fieldID || f.Type != field.Button {
		return nil, rowflow.NotFound("button field", fieldID)
	}
	p := rowflow.PrincipalFrom(ctx)
	user := map[string]any{"token_id": p.TokenID, "role": p.Role}
	if p.UserID != "" {
		// {{trigger.user.email}}: the person who clicked, when their
		// token belongs to a user.
		user["id"] = p.UserID
		if u, err := rt.q.GetUser(ctx, p.UserID); err == nil {
			user["email"], user["name"] = u.Email, u.Name
		}
	}
	occ := Occurrence{Type: ButtonTrigger, BaseID: t.BaseID, Config: map[string]any{"table_id": t.ID, "field_id": f.ID},
		Key: "btn:" + rowflow.NewID(""), Table: t, Cells: rec.Cells, Cause: rowflow.CauseFrom(ctx),
		Data: map[string]any{"table_id": t.ID, "field_id": f.ID, "field": f.Name,
			"record": map[string]any{"id": rec.ID, "fields": t.Named(rec.Cells)}, "user": user}}
	var started Started
	err = rt.inTx(ctx, func(tx pgx.Tx, _ *db.Queries) error {
		started, err = rt.StartTriggered(ctx, tx, occ)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case started.Matched == 0:
		return nil, rowflow.Errorf(rowflow.CodeConflict, "no automation is attached to button %q: create one with trigger button_clicked {table_id: %s, field_id: %s}", f.Name, t.ID, f.ID)
	case started.Matched == started.Disabled:
		return nil, rowflow.Errorf(rowflow.CodeConflict, "the automation of button %q is disabled: enable it to use the button", f.Name)
	}
	rt.Dispatch(started)
	if started.Runs == nil {
		started.Runs = []string{}
	}
	return started.Runs, nil
}
