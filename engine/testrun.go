package engine

import (
	"context"
)

// TestAutomation starts a test run of an automation now, as if its trigger
// had fired for record recordID (default: the table's first record), even
// when it is disabled and whatever its conditions say — the way Airtable's
// "test automation" button works. The steps run for real; the run is
// marked is_test. Only automations whose trigger watches a table can be
// tested this way.
func (e *Engine) TestAutomation(ctx context.Context, id, recordID string) (Run, error) {
	row, err := e.q.GetAutomation(ctx, id)
	if err := notFoundIf(err, "automation", id); err != nil {
		return Run{}, err
	}
	if !PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return Run{}, NotFound("automation", id)
	}
	if err := checkBase(ctx, row.BaseID, RoleEditor); err != nil {
		return Run{}, err
	}
	if row.TableID == nil {
		return Run{}, Invalid("trigger", "only automations with a table trigger can be tested with a record")
	}
	t, err := e.loadTable(ctx, e.q, *row.TableID, RoleViewer)
	if err != nil {
		return Run{}, err
	}
	var rec Record
	if recordID != "" {
		if _, rec, err = e.GetRecord(ctx, t.ID, recordID); err != nil {
			return Run{}, Invalid("record_id", "no record %q in table %q", recordID, t.Name)
		}
	} else {
		_, recs, _, err := e.ListRecords(ctx, t.ID, ListOpts{Limit: 1})
		if err != nil {
			return Run{}, err
		}
		if len(recs) == 0 {
			return Run{}, Invalid("record_id", "table %q has no record to test with", t.Name)
		}
		rec = recs[0]
	}
	ch := RecordChange{TableID: t.ID, RecordID: rec.ID, Kind: ChangeCreated, After: rec.Cells, Version: rec.Version}
	cause := CauseFrom(ctx)
	start := runStart{automation: row, triggerData: triggerData(row.TriggerType, t, ch, cause), isTest: true, eventKey: "test:" + NewID("")}
	created, _, err := e.startRuns(ctx, e.q, []runStart{start}, 0)
	if err != nil {
		return Run{}, err
	}
	return e.GetRun(ctx, created[0])
}
