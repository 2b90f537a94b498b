package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// AutomationVersion is one immutable saved definition of an automation
// (every save writes one; runs pin one), secrets redacted.
type AutomationVersion struct {
	AutomationID string          `json:"automation_id"`
	Version      int             `json:"version"`
	Name         string          `json:"name"`
	Trigger      TriggerSpec     `json:"trigger"`
	Conditions   json.RawMessage `json:"conditions,omitempty"`
	Steps        []StepSpec      `json:"steps"`
	CreatedAt    time.Time       `json:"created_at"`
}

// versionFromRow decodes a stored version and redacts its secrets as
// Redacted does for an automation.
func (rt *Runtime) versionFromRow(r db.AutomationVersion) AutomationVersion {
	var def definition
	_ = json.Unmarshal(r.Definition, &def)
	a := rt.Redacted(Automation{Trigger: def.Trigger, Steps: def.Steps})
	if a.Steps == nil {
		a.Steps = []StepSpec{}
	}
	return AutomationVersion{AutomationID: r.AutomationID, Version: int(r.Version), Name: def.Name, Trigger: a.Trigger,
		Conditions: def.Conditions, Steps: a.Steps, CreatedAt: r.CreatedAt}
}

// ListVersions returns an automation's versions, newest first, below
// version before (0: from the newest), at most limit (default 50), and the
// next page's before ("" at the end).
func (rt *Runtime) ListVersions(ctx context.Context, automationID string, before, limit int) ([]AutomationVersion, int, error) {
	if _, err := rt.GetAutomation(ctx, automationID); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := rt.q.ListAutomationVersions(ctx, db.ListAutomationVersionsParams{AutomationID: automationID, Before: int32(before), Lim: int32(limit + 1)})
	if err != nil {
		return nil, 0, err
	}
	next := 0
	if len(rows) > limit {
		rows = rows[:limit]
		next = int(rows[len(rows)-1].Version)
	}
	out := make([]AutomationVersion, len(rows))
	for i, r := range rows {
		out[i] = rt.versionFromRow(r)
	}
	return out, next, nil
}

// GetVersion returns version n of an automation, secrets redacted.
func (rt *Runtime) GetVersion(ctx context.Context, automationID string, n int) (AutomationVersion, error) {
	if _, err := rt.GetAutomation(ctx, automationID); err != nil {
		return AutomationVersion{}, err
	}
	row, err := rt.q.GetAutomationVersion(ctx, db.GetAutomationVersionParams{AutomationID: automationID, Version: int32(n)})
	if err := pgtx.NotFoundIf(err, "automation version", versionKey(automationID, n)); err != nil {
		return AutomationVersion{}, err
	}
	return rt.versionFromRow(row), nil
}

// RestoreVersion saves a new version of an automation equal to version n
// (its name, trigger, conditions and steps, secrets included), validated
// as any save (422 with locations when n no longer fits the base, e.g. a
// field deleted since). Whether the automation is enabled stays as it is.
func (rt *Runtime) RestoreVersion(ctx context.Context, automationID string, n int) (Automation, error) {
	cur, err := rt.GetAutomation(ctx, automationID)
	if err != nil {
		return Automation{}, err
	}
	if err := rowflow.CheckBase(ctx, cur.BaseID, rowflow.RoleEditor); err != nil {
		return Automation{}, err
	}
	if _, err := rt.q.GetAutomationVersion(ctx, db.GetAutomationVersionParams{AutomationID: automationID, Version: int32(n)}); err != nil {
		return Automation{}, pgtx.NotFoundIf(err, "automation version", versionKey(automationID, n))
	}
	def, err := rt.loadDefinition(ctx, rt.q, automationID, n)
	if err != nil {
		return Automation{}, err
	}
	conditions := def.Conditions
	if conditions == nil {
		conditions = json.RawMessage("null")
	}
	steps := append([]StepSpec{}, def.Steps...)
	maxSteps := def.MaxSteps
	return rt.UpdateAutomation(ctx, automationID, AutomationInput{Name: &def.Name, Trigger: &def.Trigger, Conditions: &conditions, Steps: &steps, MaxSteps: &maxSteps})
}

// versionKey names version n of an automation in messages.
func versionKey(automationID string, n int) string {
	return fmt.Sprintf("%s@%d", automationID, n)
}
