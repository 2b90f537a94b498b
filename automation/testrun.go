package automation

import (
	"context"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/pgtx"
	"github.com/rowflow/rowflow/record"
)

// TestAutomation starts a test run of an automation now, as if its trigger
// had fired for record recordID (default: the table's first record), even
// when it is disabled and whatever its conditions say — the way Airtable's
// "test automation" button works. The steps run for real; the run is
// marked is_test. Only automations whose trigger watches a table can be
// tested this way.
func (rt *Runtime) TestAutomation(ctx context.Context, id, recordID string) (Run, error) {
	row, err := rt.q.GetAutomation(ctx, id)
	if err := pgtx.NotFoundIf(err, "automation", id); err != nil {
		return Run{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return Run{}, rowflow.NotFound("automation", id)
	}
	if err := rowflow.CheckBase(ctx, row.BaseID, rowflow.RoleEditor); err != nil {
		return Run{}, err
	}
	dt, err := rt.decodedTrigger(row)
	if err != nil {
		return Run{}, err
	}
	tester, ok := dt.trigger.(kind.Tester)
	if row.TableID == nil || !ok {
		return Run{}, rowflow.Invalid("trigger", "only automations with a table trigger can be tested with a record")
	}
	t, err := rt.records.GetTable(ctx, *row.TableID)
	if err != nil {
		return Run{}, err
	}
	var rec record.Record
	if recordID != "" {
		if _, rec, err = rt.records.GetRecord(ctx, t.ID, recordID); err != nil {
			return Run{}, rowflow.Invalid("record_id", "no record %q in table %q", recordID, t.Name)
		}
	} else {
		_, recs, _, err := rt.records.ListRecords(ctx, t.ID, record.ListOpts{Limit: 1})
		if err != nil {
			return Run{}, err
		}
		if len(recs) == 0 {
			return Run{}, rowflow.Invalid("record_id", "table %q has no record to test with", t.Name)
		}
		rec = recs[0]
	}
	data, err := tester.TestData(ctx, kind.TestInput{Table: t, Record: rec, Cause: rowflow.CauseFrom(ctx), Config: dt.cfg})
	if err != nil {
		return Run{}, err
	}
	start := runStart{automation: row, triggerData: data, isTest: true, eventKey: "test:" + rowflow.NewID("")}
	created, _, err := rt.startRuns(ctx, rt.q, []runStart{start}, 0)
	if err != nil {
		return Run{}, err
	}
	return rt.GetRun(ctx, created[0])
}
