package engine

import (
	"context"
	"slices"

	"github.com/rowflow/rowflow/engine/field"
)

// LinkRecordsConfig is link_records' config: change the links of one
// record's link_to_record field. The inverse side is kept consistent.
type LinkRecordsConfig struct {
	TableID   string `json:"table_id"`
	RecordID  string `json:"record_id" example:"{{trigger.record.id}}"`
	Field     string `json:"field" doc:"a link_to_record field of the table (name or id)"`
	RecordIDs any    `json:"record_ids" doc:"a record id, a list of them, or a template that yields either" example:"[\"{{steps.create_invoice.output.record.id}}\"]"`
	Mode      string `json:"mode,omitempty" enum:"add,replace,remove" doc:"add (default) to the existing links, replace them, or remove these"`
}

var linkRecordsAction = &ActionType{
	Name:      "link_records",
	Summary:   "Add, replace or remove links of a record's link_to_record field (both directions stay consistent).",
	NewConfig: func() any { return &LinkRecordsConfig{} },
	Example: func(tableID string) any {
		return LinkRecordsConfig{TableID: tableID, RecordID: "{{trigger.record.id}}", Field: "Invoices", RecordIDs: []any{"{{steps.create_invoice.output.record.id}}"}}
	},
	Transactional: true,
	Validate: func(v *validation, cfg any, loc string) {
		c := cfg.(*LinkRecordsConfig)
		if c.RecordID == "" {
			v.add(loc+".record_id", "is required")
		}
		switch c.Mode {
		case "", "add", "replace", "remove":
		default:
			v.add(loc+".mode", "must be add, replace or remove")
		}
		if c.RecordIDs == nil {
			v.add(loc+".record_ids", "is required")
		}
		t := v.table(c.TableID, loc+".table_id")
		if t == nil {
			return
		}
		if f, ok := v.field(t, c.Field, loc+".field"); ok && f.Type != field.LinkToRecord {
			v.add(loc+".field", "field %q is %s, not link_to_record", f.Name, f.Type)
		}
	},
	Execute: func(ctx context.Context, s *StepContext, cfg any) (any, error) {
		c := cfg.(*LinkRecordsConfig)
		ids := toStrings(c.RecordIDs)
		if one, ok := c.RecordIDs.(string); ok && one != "" {
			ids = []string{one}
		}
		_, cur, err := s.Engine.GetRecord(ctx, c.TableID, c.RecordID)
		if err != nil {
			return nil, err
		}
		t, err := s.Engine.GetTable(ctx, c.TableID)
		if err != nil {
			return nil, err
		}
		f, ok := t.Field(c.Field)
		if !ok {
			return nil, errf("table %q has no field %q", t.Name, c.Field)
		}
		links := toStrings(cur.Cells[f.ID])
		switch c.Mode {
		case "replace":
			links = ids
		case "remove":
			links = slices.DeleteFunc(links, func(id string) bool { return slices.Contains(ids, id) })
		default:
			for _, id := range ids {
				if !slices.Contains(links, id) {
					links = append(links, id)
				}
			}
		}
		recs, err := s.Engine.UpdateRecords(ctx, c.TableID, []RecordUpdate{{ID: c.RecordID, Fields: map[string]any{f.ID: anyList(links)}}})
		if err != nil {
			return nil, err
		}
		return recordOutput(t, recs[0]), nil
	},
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
