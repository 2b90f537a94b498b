package action

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// CreateRecordConfig is create_record's config. Field values may be
// templates; a value that is exactly one token keeps its JSON type.
type CreateRecordConfig struct {
	TableID string         `json:"table_id" doc:"table of the base to create the record in"`
	Fields  map[string]any `json:"fields" doc:"cells by field name or id" example:"{\"Name\":\"{{trigger.record.fields.Name}}\"}"`
}

// CreateRecord creates a record in a table of the base; its write
// triggers further automations (depth + 1).
type CreateRecord struct {
	recordWrite
	Records kind.Records
}

// Name implements kind.Kind.
func (CreateRecord) Name() string { return "create_record" }

// OutputShape implements kind.OutputShaper: {record} of the config's table.
func (CreateRecord) OutputShape(cfg any) *kind.Shape {
	c, _ := cfg.(*CreateRecordConfig)
	tableID := "-"
	if c != nil {
		tableID = c.TableID
	}
	return &kind.Shape{Keys: map[string]*kind.Shape{"record": kind.RecordShape(tableID)}}
}

// Summary implements kind.Kind.
func (CreateRecord) Summary() string {
	return "Create a record in a table of the base. Writes trigger further automations (depth + 1)."
}

// NewConfig implements kind.Kind.
func (CreateRecord) NewConfig() any { return &CreateRecordConfig{} }

// Example implements kind.Kind.
func (CreateRecord) Example(tableID string) any {
	return CreateRecordConfig{TableID: tableID, Fields: map[string]any{"Name": "{{trigger.record.fields.Name}}"}}
}

// Validate implements kind.Action.
func (CreateRecord) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*CreateRecordConfig)
	if t := v.Table(c.TableID, loc+".table_id"); t != nil {
		v.Cells(t, c.Fields, loc+".fields")
	}
}

// Execute implements kind.Action.
func (a CreateRecord) Execute(ctx context.Context, _ *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*CreateRecordConfig)
	recs, err := a.Records.CreateRecords(record.WithTypecast(ctx), c.TableID, []map[string]any{orCells(c.Fields)})
	return writtenRecord(ctx, a.Records, c.TableID, recs, err)
}
