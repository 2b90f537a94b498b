package action

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// maxFound is the most records one find_records step returns.
const maxFound = 1000

// FindRecordsConfig is find_records' config. Filter values may be
// templates ({{trigger.record.fields.Customer}}): the filter is rendered
// with the rest of the config before it runs.
type FindRecordsConfig struct {
	TableID string            `json:"table_id" doc:"table of the base to search"`
	Filter  json.RawMessage   `json:"filter,omitempty" doc:"a condition group {match, rules} or {formula} — the language of views and conditions; values may be templates"`
	Sort    []record.SortSpec `json:"sort,omitempty" doc:"order of the records (field name or id, asc or desc); default creation order"`
	Limit   int               `json:"limit,omitempty" minimum:"1" maximum:"1000" doc:"at most this many records (default 100, at most 1000)"`
}

// FindRecords reads records of a table of the base that match a filter,
// through the record service with the run's permissions; its output is
// {records: [{id, fields}], count} for later steps (a for_each over
// {{steps.<id>.output.records}}).
type FindRecords struct {
	Records kind.Records
}

// Name implements kind.Kind.
func (FindRecords) Name() string { return "find_records" }

// Summary implements kind.Kind.
func (FindRecords) Summary() string {
	return "Find records of a table that match a filter (the language of views), sorted, at most 1000; output {records: [{id, fields}], count}."
}

// NewConfig implements kind.Kind.
func (FindRecords) NewConfig() any { return &FindRecordsConfig{} }

// Example implements kind.Kind.
func (FindRecords) Example(tableID string) any {
	return FindRecordsConfig{TableID: tableID,
		Filter: json.RawMessage(`{"match":"all","rules":[{"field":"Name","op":"is","value":"{{trigger.record.fields.Name}}"}]}`),
		Sort:   []record.SortSpec{{Field: "Name"}}, Limit: 50}
}

// Validate implements kind.Action. A filter without templates is compiled
// against the table now; one with templates is compiled when the step runs.
func (FindRecords) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*FindRecordsConfig)
	if c.Limit < 0 || c.Limit > maxFound {
		v.Add(loc+".limit", "must be between 1 and %d", maxFound)
	}
	t := v.Table(c.TableID, loc+".table_id")
	if t == nil {
		return
	}
	if len(c.Filter) > 0 && string(c.Filter) != "null" && !kind.IsTemplate(string(c.Filter)) {
		v.Condition(c.Filter, t, loc+".filter")
	}
	for i, s := range c.Sort {
		v.Field(t, s.Field, fmt.Sprintf("%s.sort[%d].field", loc, i))
		switch s.Direction {
		case "", "asc", "desc":
		default:
			v.Add(fmt.Sprintf("%s.sort[%d].direction", loc, i), "must be asc or desc")
		}
	}
}

// Execute implements kind.Action.
func (a FindRecords) Execute(ctx context.Context, _ *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*FindRecordsConfig)
	limit := c.Limit
	if limit <= 0 {
		limit = 100
	}
	filter := c.Filter
	if string(filter) == "null" {
		filter = nil
	}
	t, recs, _, err := a.Records.ListRecords(ctx, c.TableID, record.ListOpts{Filter: filter, Sort: c.Sort, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = map[string]any{"id": r.ID, "fields": t.Named(r.Cells)}
	}
	return map[string]any{"records": out, "count": len(recs)}, nil
}

// EffectFree implements kind.EffectFree: a dry run executes it.
func (FindRecords) EffectFree() {}
