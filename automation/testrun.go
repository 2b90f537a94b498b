package automation

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// testLive starts a test run of an automation now, as if its trigger had
// fired with the request's trigger data (testSample), even when it is
// disabled and whatever its conditions say — the way Airtable's "test
// automation" button works. The steps run for real; the run is marked
// is_test (excluded from stats).
func (rt *Runtime) testLive(ctx context.Context, id string, req TestRequest) (Run, error) {
	row, err := rt.testable(ctx, id)
	if err != nil {
		return Run{}, err
	}
	dt, err := rt.decodedTrigger(row)
	if err != nil {
		return Run{}, err
	}
	s, err := rt.testSample(ctx, row, dt, req)
	if err != nil {
		return Run{}, err
	}
	start := runStart{automation: row, triggerData: s.data, isTest: true, eventKey: "test:" + rowflow.NewID("")}
	if len(row.Conditions) > 0 && string(row.Conditions) != "null" {
		// A test run ignores its conditions, but keeps their trace.
		if tr, err := rt.traceConditions(row.Conditions, s); err == nil {
			start.conditionTrace = traceJSON(tr)
		}
	}
	created, _, err := rt.startRuns(ctx, rt.q, []runStart{start}, 0)
	if err != nil {
		return Run{}, err
	}
	return rt.GetRun(ctx, created[0])
}

// testData is the trigger data of a test and where it came from; for a
// trigger on a table, the table and the trigger record's cells by field
// id (what the conditions are evaluated on).
type testData struct {
	source string
	data   map[string]any
	table  *record.Table
	cells  map[string]any
}

// testSample builds a test's trigger data: from req.RecordID (a record of
// the watched table, through the trigger's kind.Tester), from req.Sample
// (trigger data as given; a table trigger's record.fields are checked
// against the table), or, with neither, from the last real trigger: the
// automation's last run that was not a test for a trigger on a table
// (without one: the table's first record), the trigger kind's own last
// occurrence (kind.Tester) for the others.
func (rt *Runtime) testSample(ctx context.Context, row db.Automation, dt *decoded, req TestRequest) (testData, error) {
	if req.RecordID != "" && req.Sample != nil {
		return testData{}, rowflow.Invalid("sample", "give record_id or sample, not both")
	}
	t, err := rt.recordTable(ctx, row)
	if err != nil {
		return testData{}, err
	}
	out := testData{table: t}
	tester, isTester := dt.trigger.(kind.Tester)
	in := kind.TestInput{Table: t, Cause: rowflow.CauseFrom(ctx), Config: dt.cfg, AutomationID: row.ID, BaseID: row.BaseID, Now: rt.now()}
	fromRecord := func(rec record.Record, source string) (testData, error) {
		if !isTester {
			return testData{}, rowflow.Invalid("record_id", "trigger %s cannot be tested with a record: give a sample", row.TriggerType)
		}
		in.Record = rec
		data, err := tester.TestData(ctx, in)
		if err != nil {
			return testData{}, err
		}
		out.source, out.data, out.cells = source, data, rec.Cells
		return out, nil
	}
	switch {
	case req.RecordID != "":
		if t == nil {
			return testData{}, rowflow.Invalid("record_id", "trigger %s does not watch a table: give a sample, or neither for its last trigger", row.TriggerType)
		}
		_, rec, err := rt.records.GetRecord(ctx, t.ID, req.RecordID)
		if err != nil {
			return testData{}, rowflow.Invalid("record_id", "no record %q in table %q", req.RecordID, t.Name)
		}
		return fromRecord(rec, "record")
	case req.Sample != nil:
		out.source = "sample"
		out.data = make(map[string]any, len(req.Sample)+1)
		for k, v := range req.Sample {
			out.data[k] = v
		}
		out.data["type"] = row.TriggerType
		if t != nil {
			if out.cells, err = sampleCells(t, out.data); err != nil {
				return testData{}, err
			}
		}
		return out, nil
	case t != nil:
		raw, err := rt.q.LastRealTrigger(ctx, row.ID)
		if err == nil {
			if err := json.Unmarshal(raw, &out.data); err != nil {
				return testData{}, err
			}
			out.source = "last_run"
			out.cells, _ = sampleCells(t, out.data)
			return out, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return testData{}, err
		}
		_, recs, _, err := rt.records.ListRecords(ctx, t.ID, record.ListOpts{Limit: 1})
		if err != nil {
			return testData{}, err
		}
		if len(recs) == 0 {
			return testData{}, rowflow.Invalid("record_id", "table %q has no record to test with (and the automation has no real run yet): create one or give a sample", t.Name)
		}
		return fromRecord(recs[0], "first_record")
	}
	if !isTester {
		return testData{}, rowflow.Invalid("sample", "trigger %s cannot build test data on its own: give a sample", row.TriggerType)
	}
	data, err := tester.TestData(ctx, in)
	if err != nil {
		return testData{}, err
	}
	out.source, out.data = "last_trigger", data
	if ts, ok := dt.trigger.(kind.TestSourcer); ok {
		out.source = ts.TestSource()
	}
	return out, nil
}

// sampleCells reads the trigger record's cells (by field id) from trigger
// data of a table trigger: record.fields keyed by field name or id; an
// unknown field is Invalid at sample.record.fields.<key>.
func sampleCells(t *record.Table, data map[string]any) (map[string]any, error) {
	rec, _ := data["record"].(map[string]any)
	fields, _ := rec["fields"].(map[string]any)
	cells := make(map[string]any, len(fields))
	for k, v := range fields {
		f, ok := t.Field(k)
		if !ok {
			return nil, rowflow.Invalid("sample.record.fields."+k, "table %q has no field %q", t.Name, k)
		}
		if v != nil {
			cells[f.ID] = v
		}
	}
	return cells, nil
}

// traceConditions evaluates an automation's conditions on a test's
// trigger data, rule by rule: on the record's cells for a trigger on a
// table, on paths of the trigger data otherwise (payload conditions).
func (rt *Runtime) traceConditions(raw json.RawMessage, s testData) (condition.Trace, error) {
	now := rt.now()
	if s.table != nil {
		return condition.TraceJSON(raw, s.table.Fields, s.cells, now)
	}
	return tracePayload(raw, s.data, now)
}

// tracePayload is condition.TraceJSON for payload conditions
// (payload_condition.go) on trigger data.
func tracePayload(raw json.RawMessage, data map[string]any, now time.Time) (condition.Trace, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return condition.Trace{Passed: true, Rules: []condition.RuleTrace{}}, nil
	}
	fields, err := payloadFields(raw)
	if err != nil {
		return condition.Trace{}, err
	}
	cells := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := lookupPath(data, f.ID); ok {
			cells[f.ID] = payloadCell(f.Type, v)
		}
	}
	return condition.TraceJSON(raw, fields, cells, now)
}
