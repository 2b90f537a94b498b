package action

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
)

// DeleteRecordConfig is delete_record's config.
type DeleteRecordConfig struct {
	TableID  string `json:"table_id"`
	RecordID string `json:"record_id" example:"{{trigger.record.id}}"`
}

// DeleteRecord deletes a record; its links are removed from the linked
// records.
type DeleteRecord struct {
	recordWrite
	Records kind.Records
}

// Name implements kind.Kind.
func (DeleteRecord) Name() string { return "delete_record" }

// OutputShape implements kind.OutputShaper: {deleted, record: {id, table_id}}.
func (DeleteRecord) OutputShape(any) *kind.Shape {
	return &kind.Shape{Keys: map[string]*kind.Shape{"deleted": nil,
		"record": {Keys: map[string]*kind.Shape{"id": nil, "table_id": nil}}}}
}

// Summary implements kind.Kind.
func (DeleteRecord) Summary() string {
	return "Delete a record (its links are removed from the linked records)."
}

// NewConfig implements kind.Kind.
func (DeleteRecord) NewConfig() any { return &DeleteRecordConfig{} }

// Example implements kind.Kind.
func (DeleteRecord) Example(tableID string) any {
	return DeleteRecordConfig{TableID: tableID, RecordID: "{{trigger.record.id}}"}
}

// Validate implements kind.Action.
func (DeleteRecord) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*DeleteRecordConfig)
	v.Table(c.TableID, loc+".table_id")
	if c.RecordID == "" {
		v.Add(loc+".record_id", "is required")
	}
}

// Execute implements kind.Action.
func (a DeleteRecord) Execute(ctx context.Context, _ *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*DeleteRecordConfig)
	if err := a.Records.DeleteRecords(ctx, c.TableID, []string{c.RecordID}); err != nil {
		return nil, err
	}
	return map[string]any{"deleted": true, "record": map[string]any{"id": c.RecordID, "table_id": c.TableID}}, nil
}
