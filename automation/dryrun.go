package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
	"github.com/rowflow/rowflow/record"
)

// Test modes of POST /automations/{id}/test.
const (
	// ModeDryRun (the default) evaluates the conditions with a per-rule
	// trace and walks the steps without any effect: record actions run in
	// a transaction that is rolled back, external actions are rendered and
	// checked but not sent (kind.Previewer). Nothing persists.
	ModeDryRun = "dry_run"
	// ModeLive starts a real run flagged is_test (excluded from stats).
	ModeLive = "live"
)

// TestRequest is what a test of an automation starts from: the mode, and
// the trigger data — from record RecordID of the watched table, from
// Sample (trigger data as templates see it, {{trigger.…}}), or, when
// neither is given, from the automation's last real trigger (each trigger
// kind builds it through kind.Tester). Automation, for a dry run, is a
// draft: a patch over the saved automation, validated as a save would
// validate it, tested instead of the saved version.
type TestRequest struct {
	Mode       string
	RecordID   string
	Sample     map[string]any
	Automation *AutomationInput
}

// TestResult is a test's answer: the run a live test started, or the
// trace of a dry run.
type TestResult struct {
	Mode   string
	Run    *Run
	DryRun *DryRun
}

// DryRun is the whole trace of a dry run: the trigger data it used and
// where it came from, the conditions' per-rule trace, and what every step
// would do. Persisted is always false: a dry run writes no record, run,
// job or notification.
type DryRun struct {
	Mode         string `json:"mode" enum:"dry_run"`
	AutomationID string `json:"automation_id"`
	// Version is the saved version tested (0: a draft).
	Version int          `json:"version" doc:"the saved version tested; 0 for a draft"`
	Draft   bool         `json:"draft"`
	Trigger DryRunSource `json:"trigger"`
	// Conditions is the automation's conditions evaluated on the trigger
	// data, rule by rule (condition.TraceJSON).
	Conditions condition.Trace `json:"conditions"`
	// WouldRun says whether a real event like this one would start a run
	// (the conditions pass). The steps are walked either way.
	WouldRun  bool         `json:"would_run" doc:"whether a real event like this one would start a run (its conditions pass); the steps are shown either way"`
	Steps     []DryRunStep `json:"steps"`
	Persisted bool         `json:"persisted" doc:"always false: nothing a dry run did was kept"`
	Notes     []string     `json:"notes,omitempty"`
}

// DryRunSource is the trigger data of a dry run and where it came from:
// "record" (record_id), "sample", "last_run" (the automation's last real
// run), "first_record" (a table trigger's first record, without a real
// run), "last_request" (an incoming webhook's last stored request),
// "last_fire" (a schedule's last fire time), "last_trigger" (another
// trigger kind's own last occurrence).
type DryRunSource struct {
	Type   string          `json:"type"`
	Source string          `json:"source" enum:"record,sample,last_run,first_record,last_request,last_fire,last_trigger"`
	Data   json.RawMessage `json:"data"`
}

// Dry-run step statuses.
const (
	DryExecuted     = "executed"      // a record action or read ran, rolled back
	DryPreviewed    = "previewed"     // an external action rendered and checked, not sent
	DrySkipped      = "skipped"       // its if was false
	DryFailed       = "failed"        // it would fail (the error says why)
	DryNotReached   = "not_reached"   // an earlier failure stops the run before it
	DryNotSimulated = "not_simulated" // a kind a dry run can neither preview nor execute safely
)

// DryRunStep is what one step would do: its rendered input (secrets
// redacted), the request an external action would make, the record
// changes a record action would make (before/after cells by field name),
// its output when known, and the placeholders it used for outputs only a
// real run knows.
type DryRunStep struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status" enum:"executed,previewed,skipped,failed,not_reached,not_simulated"`
	// If is the trace of the step's if (nil without one).
	If      *condition.Trace `json:"if,omitempty"`
	Input   any              `json:"input,omitempty"`
	Request any              `json:"request,omitempty" doc:"what an external action would send (never sent), secrets redacted"`
	Changes []DryRunChange   `json:"changes,omitempty" doc:"the record writes a record action would make (rolled back)"`
	Output  any              `json:"output,omitempty"`
	// OutputPlaceholder: the output exists only after a real execution
	// (an HTTP answer); later steps that use it get Placeholder values.
	OutputPlaceholder bool          `json:"output_placeholder,omitempty" doc:"the step's output exists only after a real execution; later steps that use it get placeholders"`
	Placeholders      []Placeholder `json:"placeholders,omitempty"`
	Error             string        `json:"error,omitempty"`
	Note              string        `json:"note,omitempty"`
	// Branch, Steps (an "if" group): the branch taken and its steps;
	// Items (a "for_each" group): each item walked with its steps.
	Branch *int         `json:"branch,omitempty" doc:"an if group: the branch taken (-1: none)"`
	Steps  []DryRunStep `json:"steps,omitempty" doc:"an if group: the steps of the branch taken"`
	Items  []DryRunItem `json:"items,omitempty" doc:"a for_each group: each item walked, with its steps"`
}

// Placeholder is a token of a step's config that a dry run could not
// resolve because it names the output of a step that only a real run has:
// Value is what it was rendered as.
type Placeholder struct {
	Token    string `json:"token"`
	Location string `json:"location"`
	FromStep string `json:"from_step"`
	Value    string `json:"value"`
}

// DryRunChange is one record write a dry run made and rolled back: cells
// by field name, Before for updates and deletes, After for creates and
// updates (all cells; Changed lists the names of those that differ).
type DryRunChange struct {
	Kind     string         `json:"kind" enum:"created,updated,deleted"`
	TableID  string         `json:"table_id"`
	Table    string         `json:"table"`
	RecordID string         `json:"record_id"`
	Before   map[string]any `json:"before,omitempty"`
	After    map[string]any `json:"after,omitempty"`
	Changed  []string       `json:"changed,omitempty"`
}

// Test tests automation id (editor+ of its base; another base:
// NotFound): a live test run (ModeLive) or a dry run (the default). A
// draft (req.Automation) can only be dry-run; it is validated first (422
// with each problem's location under "automation.").
func (rt *Runtime) Test(ctx context.Context, id string, req TestRequest) (TestResult, error) {
	mode := req.Mode
	if mode == "" {
		mode = ModeDryRun
	}
	switch mode {
	case ModeLive:
		if req.Automation != nil {
			return TestResult{}, rowflow.Invalid("automation", "a draft can only be dry-run (mode dry_run): a live run needs a saved version")
		}
		run, err := rt.testLive(ctx, id, req)
		if err != nil {
			return TestResult{}, err
		}
		return TestResult{Mode: mode, Run: &run}, nil
	case ModeDryRun:
		dr, err := rt.DryRunAutomation(ctx, id, req)
		if err != nil {
			return TestResult{}, err
		}
		return TestResult{Mode: mode, DryRun: &dr}, nil
	}
	return TestResult{}, rowflow.Invalid("mode", "must be dry_run or live, got %q", req.Mode)
}

// DryRunAutomation is Test in ModeDryRun.
func (rt *Runtime) DryRunAutomation(ctx context.Context, id string, req TestRequest) (DryRun, error) {
	row, err := rt.testable(ctx, id)
	if err != nil {
		return DryRun{}, err
	}
	def, err := rt.loadDefinition(ctx, rt.q, row.ID, int(row.Version))
	if err != nil {
		return DryRun{}, err
	}
	out := DryRun{Mode: ModeDryRun, AutomationID: row.ID, Version: int(row.Version), Steps: []DryRunStep{}}
	if req.Automation != nil {
		if def, row, err = rt.draft(ctx, row, def, *req.Automation); err != nil {
			return DryRun{}, err
		}
		out.Draft, out.Version = true, 0
	}
	dt, err := rt.decodeSpec(def.Trigger)
	if err != nil {
		return DryRun{}, err
	}
	s, err := rt.testSample(ctx, row, dt, req)
	if err != nil {
		return DryRun{}, err
	}
	out.Trigger = DryRunSource{Type: def.Trigger.Type, Source: s.source}
	out.Trigger.Data, _ = json.Marshal(s.data)
	if out.Conditions, err = rt.traceConditions(def.Conditions, s); err != nil {
		return DryRun{}, rowflow.Invalid("conditions", "cannot be evaluated on this trigger data: %v", err)
	}
	out.WouldRun = out.Conditions.Passed
	if !out.WouldRun {
		out.Notes = append(out.Notes, "the conditions fail for this trigger data: a real event like it would start no run ("+failing(out.Conditions)+"); the steps show what they would do if it did")
	}
	if !row.Enabled && !out.Draft {
		out.Notes = append(out.Notes, "the automation is disabled: real events start no run until it is enabled")
	}
	steps, notes, err := rt.dryRunSteps(ctx, row, def, s)
	if err != nil {
		return DryRun{}, err
	}
	out.Steps, out.Notes = steps, append(out.Notes, notes...)
	return out, nil
}

// DryRunAgain dry-runs automation automationID (as it is now) with the
// trigger data of its run runID — the console's "dry-run this again" —
// and answers the DryRun as JSON.
func (rt *Runtime) DryRunAgain(ctx context.Context, automationID, runID string) (json.RawMessage, error) {
	run, err := rt.q.GetRun(ctx, runID)
	if err := pgtx.NotFoundIf(err, "run", runID); err != nil {
		return nil, err
	}
	if run.AutomationID != automationID || !rowflow.PrincipalFrom(ctx).SeesBase(run.BaseID) {
		return nil, rowflow.NotFound("run", runID)
	}
	var sample map[string]any
	if err := json.Unmarshal(run.TriggerData, &sample); err != nil {
		return nil, fmt.Errorf("decoding run %s trigger data: %w", runID, err)
	}
	dr, err := rt.DryRunAutomation(ctx, automationID, TestRequest{Mode: ModeDryRun, Sample: sample})
	if err != nil {
		return nil, err
	}
	return json.Marshal(dr)
}

// testable reads automation id for a test: editor+ of its base.
func (rt *Runtime) testable(ctx context.Context, id string) (db.Automation, error) {
	row, err := rt.q.GetAutomation(ctx, id)
	if err := pgtx.NotFoundIf(err, "automation", id); err != nil {
		return db.Automation{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return db.Automation{}, rowflow.NotFound("automation", id)
	}
	if err := rowflow.CheckBase(ctx, row.BaseID, rowflow.RoleEditor); err != nil {
		return db.Automation{}, err
	}
	return row, nil
}

// draft applies patch in over the saved automation (row, def) as
// UpdateAutomation would — redacted secrets sent back restored — and
// validates the result. Problems are Invalid with their locations under
// "automation.". The returned row carries the draft's trigger and table
// (its version is the saved one: nothing is saved).
func (rt *Runtime) draft(ctx context.Context, row db.Automation, def definition, in AutomationInput) (definition, db.Automation, error) {
	d := definition{Name: def.Name, Trigger: def.Trigger, Conditions: def.Conditions, Steps: def.Steps}
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
	}
	if in.Trigger != nil {
		d.Trigger = *in.Trigger
	}
	if in.Conditions != nil {
		d.Conditions = *in.Conditions
	}
	if in.Steps != nil {
		d.Steps = *in.Steps
		if err := rt.restoreSecrets(def.Steps, d.Steps); err != nil {
			return definition{}, row, underAutomation(err)
		}
	}
	tableID, err := rt.validateDefinition(ctx, row.BaseID, &d)
	if err != nil {
		return definition{}, row, underAutomation(err)
	}
	row.TriggerType = d.Trigger.Type
	row.Trigger, _ = json.Marshal(d.Trigger)
	row.Conditions = d.Conditions
	row.TableID = nilIfEmpty(tableID)
	return d, row, nil
}

// underAutomation moves an Invalid error's locations under "automation."
// (the request body's key of a draft).
func underAutomation(err error) error {
	var e *rowflow.Error
	if !errors.As(err, &e) || e.Code != rowflow.CodeInvalid {
		return err
	}
	out := &rowflow.Error{Code: e.Code, Message: e.Message}
	for _, d := range e.Details {
		loc := "automation"
		if d.Location != "" {
			loc += "." + d.Location
		}
		out.Details = append(out.Details, rowflow.ErrorDetail{Location: loc, Message: d.Message})
	}
	if len(out.Details) == 0 {
		out.Details = []rowflow.ErrorDetail{{Location: "automation", Message: e.Message}}
	}
	return out
}

// decodeSpec is decodedTrigger for a trigger that may be a draft's (not
// cached: a draft has no version).
func (rt *Runtime) decodeSpec(spec TriggerSpec) (*decoded, error) {
	tt, ok := rt.kinds.Trigger(spec.Type)
	if !ok {
		return nil, rowflow.Invalid("trigger.type", "unknown trigger type %q", spec.Type)
	}
	cfg := tt.NewConfig()
	if err := kind.DecodeConfig(spec.Config, cfg); err != nil {
		return nil, rowflow.Invalid("trigger.config", "%s", kind.JSONProblem(err))
	}
	return &decoded{trigger: tt, cfg: cfg}, nil
}

// recordTable is the table an automation's trigger watches (nil: none).
func (rt *Runtime) recordTable(ctx context.Context, row db.Automation) (*record.Table, error) {
	if row.TableID == nil {
		return nil, nil
	}
	return rt.records.GetTable(ctx, *row.TableID)
}
