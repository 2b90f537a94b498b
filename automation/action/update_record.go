package action

import (
	"context"
	"fmt"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// UpdateRecordConfig is update_record's config.
type UpdateRecordConfig struct {
	TableID  string         `json:"table_id"`
	RecordID string         `json:"record_id" doc:"usually {{trigger.record.id}}" example:"{{trigger.record.id}}"`
	Fields   map[string]any `json:"fields" doc:"only these cells change"`
}

// UpdateRecord changes the named fields of a record; its write triggers
// further automations (depth + 1).
type UpdateRecord struct {
	recordWrite
	Records kind.Records
}

// Name implements kind.Kind.
func (UpdateRecord) Name() string { return "update_record" }

// OutputShape implements kind.OutputShaper: {record} of the config's table.
func (UpdateRecord) OutputShape(cfg any) *kind.Shape {
	c, _ := cfg.(*UpdateRecordConfig)
	tableID := "-"
	if c != nil {
		tableID = c.TableID
	}
	return &kind.Shape{Keys: map[string]*kind.Shape{"record": kind.RecordShape(tableID)}}
}

// Summary implements kind.Kind.
func (UpdateRecord) Summary() string {
	return "Change the named fields of a record. Writes trigger further automations (depth + 1)."
}

// NewConfig implements kind.Kind.
func (UpdateRecord) NewConfig() any { return &UpdateRecordConfig{} }

// Example implements kind.Kind.
func (UpdateRecord) Example(tableID string) any {
	return UpdateRecordConfig{TableID: tableID, RecordID: "{{trigger.record.id}}", Fields: map[string]any{"Status": "Done"}}
}

// Validate implements kind.Action.
func (UpdateRecord) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*UpdateRecordConfig)
	if c.RecordID == "" {
		v.Add(loc+".record_id", "is required")
	}
	if t := v.Table(c.TableID, loc+".table_id"); t != nil {
		if len(c.Fields) == 0 {
			v.Add(loc+".fields", "name at least one field")
		}
		v.Cells(t, c.Fields, loc+".fields")
	}
}

// Execute implements kind.Action.
func (a UpdateRecord) Execute(ctx context.Context, _ *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*UpdateRecordConfig)
	recs, err := a.Records.UpdateRecords(record.WithTypecast(ctx), c.TableID, []record.Update{{ID: c.RecordID, Fields: orCells(c.Fields)}})
	return writtenRecord(ctx, a.Records, c.TableID, recs, err)
}

// ExecuteBatch implements kind.BatchExecutor: the updates of consecutive
// configs of one table in calls of up to record.MaxBatch records (one
// statement set and one event per call instead of one per record). A
// record named twice in one call is an error: the batch then runs one by
// one, in order.
func (a UpdateRecord) ExecuteBatch(ctx context.Context, _ []*kind.StepContext, cfgs []any) ([]any, error) {
	out := make([]any, len(cfgs))
	for start := 0; start < len(cfgs); {
		tableID := cfgs[start].(*UpdateRecordConfig).TableID
		seen := map[string]bool{}
		var updates []record.Update
		end := start
		for ; end < len(cfgs) && end-start < record.MaxBatch; end++ {
			c := cfgs[end].(*UpdateRecordConfig)
			if c.TableID != tableID {
				break
			}
			if seen[c.RecordID] {
				return nil, fmt.Errorf("record %s is updated twice in one batch", c.RecordID)
			}
			seen[c.RecordID] = true
			updates = append(updates, record.Update{ID: c.RecordID, Fields: orCells(c.Fields)})
		}
		recs, err := a.Records.UpdateRecords(record.WithTypecast(ctx), tableID, updates)
		if err != nil {
			return nil, err
		}
		t, err := a.Records.GetTable(ctx, tableID)
		if err != nil {
			return nil, err
		}
		for k, r := range recs {
			out[start+k] = recordOutput(t, r)
		}
		start = end
	}
	return out, nil
}
