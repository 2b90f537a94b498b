package engine

import (
	"context"
	"fmt"
)

// CreateRecordConfig is create_record's config. Field values may be
// templates; a value that is exactly one token keeps its JSON type.
type CreateRecordConfig struct {
	TableID string         `json:"table_id" doc:"table of the base to create the record in"`
	Fields  map[string]any `json:"fields" doc:"cells by field name or id" example:"{\"Name\":\"{{trigger.record.fields.Name}}\"}"`
}

// UpdateRecordConfig is update_record's config.
type UpdateRecordConfig struct {
	TableID  string         `json:"table_id"`
	RecordID string         `json:"record_id" doc:"usually {{trigger.record.id}}" example:"{{trigger.record.id}}"`
	Fields   map[string]any `json:"fields" doc:"only these cells change"`
}

// DeleteRecordConfig is delete_record's config.
type DeleteRecordConfig struct {
	TableID  string `json:"table_id"`
	RecordID string `json:"record_id" example:"{{trigger.record.id}}"`
}

// recordOutput is the output of the record actions: {{steps.<id>.output.record.id}}.
func recordOutput(t *Table, r Record) map[string]any {
	return map[string]any{"record": map[string]any{"id": r.ID, "table_id": t.ID, "fields": t.Named(r.Cells)}}
}

var createRecordAction = &ActionType{
	Name:      "create_record",
	Summary:   "Create a record in a table of the base. Writes trigger further automations (depth + 1).",
	NewConfig: func() any { return &CreateRecordConfig{} },
	Example: func(tableID string) any {
		return CreateRecordConfig{TableID: tableID, Fields: map[string]any{"Name": "{{trigger.record.fields.Name}}"}}
	},
	Transactional: true,
	Validate: func(v *validation, cfg any, loc string) {
		c := cfg.(*CreateRecordConfig)
		if t := v.table(c.TableID, loc+".table_id"); t != nil {
			v.cells(t, c.Fields, loc+".fields")
		}
	},
	Execute: func(ctx context.Context, s *StepContext, cfg any) (any, error) {
		c := cfg.(*CreateRecordConfig)
		recs, err := s.Engine.CreateRecords(ctx, c.TableID, []map[string]any{orCells(c.Fields)})
		return writtenRecord(ctx, s.Engine, c.TableID, recs, err)
	},
}

var updateRecordAction = &ActionType{
	Name:      "update_record",
	Summary:   "Change the named fields of a record. Writes trigger further automations (depth + 1).",
	NewConfig: func() any { return &UpdateRecordConfig{} },
	Example: func(tableID string) any {
		return UpdateRecordConfig{TableID: tableID, RecordID: "{{trigger.record.id}}", Fields: map[string]any{"Status": "Done"}}
	},
	Transactional: true,
	Validate: func(v *validation, cfg any, loc string) {
		c := cfg.(*UpdateRecordConfig)
		if c.RecordID == "" {
			v.add(loc+".record_id", "is required")
		}
		if t := v.table(c.TableID, loc+".table_id"); t != nil {
			if len(c.Fields) == 0 {
				v.add(loc+".fields", "name at least one field")
			}
			v.cells(t, c.Fields, loc+".fields")
		}
	},
	Execute: func(ctx context.Context, s *StepContext, cfg any) (any, error) {
		c := cfg.(*UpdateRecordConfig)
		recs, err := s.Engine.UpdateRecords(ctx, c.TableID, []RecordUpdate{{ID: c.RecordID, Fields: orCells(c.Fields)}})
		return writtenRecord(ctx, s.Engine, c.TableID, recs, err)
	},
}

var deleteRecordAction = &ActionType{
	Name:      "delete_record",
	Summary:   "Delete a record (its links are removed from the linked records).",
	NewConfig: func() any { return &DeleteRecordConfig{} },
	Example: func(tableID string) any {
		return DeleteRecordConfig{TableID: tableID, RecordID: "{{trigger.record.id}}"}
	},
	Transactional: true,
	Validate: func(v *validation, cfg any, loc string) {
		c := cfg.(*DeleteRecordConfig)
		v.table(c.TableID, loc+".table_id")
		if c.RecordID == "" {
			v.add(loc+".record_id", "is required")
		}
	},
	Execute: func(ctx context.Context, s *StepContext, cfg any) (any, error) {
		c := cfg.(*DeleteRecordConfig)
		if err := s.Engine.DeleteRecords(ctx, c.TableID, []string{c.RecordID}); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": true, "record": map[string]any{"id": c.RecordID, "table_id": c.TableID}}, nil
	},
}

// writtenRecord is the output of a step that wrote one record.
func writtenRecord(ctx context.Context, e *Engine, tableID string, recs []Record, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	t, err := e.GetTable(ctx, tableID)
	if err != nil {
		return nil, err
	}
	return recordOutput(t, recs[0]), nil
}

func orCells(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// errf is a permanent step failure with a formatted message.
func errf(format string, args ...any) error {
	return &ActionError{Err: fmt.Errorf(format, args...)}
}
