package kind

import (
	"context"
	"encoding/json"

	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
)

// Validator is what a kind's Validate sees while an automation is saved:
// the base's tables, and a place to report every problem at its exact
// location ("steps[2].config.url"). The runtime implements it.
type Validator interface {
	// Context is the saving request's context (its principal).
	Context() context.Context
	// BaseID is the automation's base.
	BaseID() string
	// Add reports a problem at loc.
	Add(loc, format string, args ...any)
	// Table returns a table of the base by id, or reports loc and
	// returns nil.
	Table(id, loc string) *record.Table
	// Field resolves a field name or id of t, or reports loc.
	Field(t *record.Table, key, loc string) (field.Field, bool)
	// Condition compiles a condition group against t, reporting at loc
	// (nil for none or a bad one).
	Condition(raw json.RawMessage, t *record.Table, loc string) *condition.Condition
	// Cells checks cells for t: keys are fields, literal values typecast
	// (field.Typecast); template strings are accepted (they are checked
	// at run time).
	Cells(t *record.Table, cells map[string]any, loc string)
}

// Records is the part of the record service kinds use; *record.Service
// implements it, and every call checks the principal of ctx like an API
// call would.
type Records interface {
	CreateRecords(ctx context.Context, tableID string, inputs []map[string]any) ([]record.Record, error)
	UpdateRecords(ctx context.Context, tableID string, updates []record.Update) ([]record.Record, error)
	DeleteRecords(ctx context.Context, tableID string, ids []string) error
	GetRecord(ctx context.Context, tableID, id string) (*record.Table, record.Record, error)
	ListRecords(ctx context.Context, tableID string, o record.ListOpts) (*record.Table, []record.Record, string, error)
	GetTable(ctx context.Context, id string) (*record.Table, error)
	GetView(ctx context.Context, id string) (record.View, error)
	GetForm(ctx context.Context, id string) (record.Form, *record.Table, error)
}
