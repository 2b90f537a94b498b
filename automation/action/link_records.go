package action

import (
	"context"
	"slices"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
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

// LinkRecords adds, replaces or removes links of a record's
// link_to_record field; both directions stay consistent.
type LinkRecords struct {
	recordWrite
	Records kind.Records
}

// Name implements kind.Kind.
func (LinkRecords) Name() string { return "link_records" }

// OutputShape implements kind.OutputShaper: {record} of the config's table.
func (LinkRecords) OutputShape(cfg any) *kind.Shape {
	c, _ := cfg.(*LinkRecordsConfig)
	tableID := "-"
	if c != nil {
		tableID = c.TableID
	}
	return &kind.Shape{Keys: map[string]*kind.Shape{"record": kind.RecordShape(tableID)}}
}

// Summary implements kind.Kind.
func (LinkRecords) Summary() string {
	return "Add, replace or remove links of a record's link_to_record field (both directions stay consistent)."
}

// NewConfig implements kind.Kind.
func (LinkRecords) NewConfig() any { return &LinkRecordsConfig{} }

// Example implements kind.Kind.
func (LinkRecords) Example(tableID string) any {
	return LinkRecordsConfig{TableID: tableID, RecordID: "{{trigger.record.id}}", Field: "Invoices", RecordIDs: []any{"{{steps.create_invoice.output.record.id}}"}}
}

// Validate implements kind.Action.
func (LinkRecords) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*LinkRecordsConfig)
	if c.RecordID == "" {
		v.Add(loc+".record_id", "is required")
	}
	switch c.Mode {
	case "", "add", "replace", "remove":
	default:
		v.Add(loc+".mode", "must be add, replace or remove")
	}
	if c.RecordIDs == nil {
		v.Add(loc+".record_ids", "is required")
	}
	t := v.Table(c.TableID, loc+".table_id")
	if t == nil {
		return
	}
	if f, ok := v.Field(t, c.Field, loc+".field"); ok && f.Type != field.LinkToRecord {
		v.Add(loc+".field", "field %q is %s, not link_to_record", f.Name, f.Type)
	}
}

// Execute implements kind.Action.
func (a LinkRecords) Execute(ctx context.Context, _ *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*LinkRecordsConfig)
	ids := record.Strings(c.RecordIDs)
	if one, ok := c.RecordIDs.(string); ok && one != "" {
		ids = []string{one}
	}
	_, cur, err := a.Records.GetRecord(ctx, c.TableID, c.RecordID)
	if err != nil {
		return nil, err
	}
	t, err := a.Records.GetTable(ctx, c.TableID)
	if err != nil {
		return nil, err
	}
	f, ok := t.Field(c.Field)
	if !ok {
		return nil, kind.Errf("table %q has no field %q", t.Name, c.Field)
	}
	links := record.Strings(cur.Cells[f.ID])
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
	recs, err := a.Records.UpdateRecords(ctx, c.TableID, []record.Update{{ID: c.RecordID, Fields: map[string]any{f.ID: anyList(links)}}})
	if err != nil {
		return nil, err
	}
	return recordOutput(t, recs[0]), nil
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
