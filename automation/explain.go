package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/pgtx"
)

// Explain part names, in the order an Explanation lists them.
const (
	PartEnabled    = "enabled"
	PartTrigger    = "trigger"
	PartView       = "view"
	PartConditions = "conditions"
	PartLoopDepth  = "loop_depth"
)

// Reason is one part of an Explanation: which part of the automation was
// checked, whether it lets the automation fire, and why. Computable is
// false for a part a direct check cannot decide (a trigger that waits for
// an event, such as an update of watched fields): Passed is then true and
// Message says what would be needed.
type Reason struct {
	Part       string `json:"part" enum:"enabled,trigger,view,conditions,loop_depth"`
	Passed     bool   `json:"passed"`
	Computable bool   `json:"computable" doc:"false when a direct check cannot decide this part (it waits for an event); the message says what is needed"`
	Message    string `json:"message"`
}

// Explanation answers "would this automation fire for this record now":
// WouldFire is true when every part passed (parts that wait for an event
// count as passed: it would fire when that event happens). Conditions is
// the per-rule trace of the automation's conditions (nil when there is no
// record to evaluate them on); View the trace of the view filter (or the
// trigger's own conditions) of a record_enters_view (record_matches_conditions)
// trigger.
type Explanation struct {
	AutomationID string           `json:"automation_id"`
	RecordID     string           `json:"record_id,omitempty"`
	WouldFire    bool             `json:"would_fire"`
	Reasons      []Reason         `json:"reasons"`
	Conditions   *condition.Trace `json:"conditions,omitempty"`
	View         *condition.Trace `json:"view,omitempty" doc:"for record_enters_view: the view filter's trace; for record_matches_conditions: the trigger conditions' trace"`
}

// Explain says whether automation id would fire for record recordID now,
// and which part says no: enabled, the trigger kind (non-record triggers
// never fire for a record; event triggers need their event), view
// membership, each condition rule with its expected and actual value, and
// loop depth (not applicable to a direct check). Viewer+ of the
// automation's base (another base: NotFound). recordID is required for an
// automation whose trigger watches a table (Invalid "record_id" otherwise,
// or when the record is not in that table). Nothing is written.
func (rt *Runtime) Explain(ctx context.Context, id, recordID string) (Explanation, error) {
	row, err := rt.q.GetAutomation(ctx, id)
	if err := pgtx.NotFoundIf(err, "automation", id); err != nil {
		return Explanation{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return Explanation{}, rowflow.NotFound("automation", id)
	}
	if err := rowflow.CheckBase(ctx, row.BaseID, rowflow.RoleViewer); err != nil {
		return Explanation{}, err
	}
	dt, err := rt.decodedTrigger(row)
	if err != nil {
		return Explanation{}, err
	}
	out := Explanation{AutomationID: row.ID, RecordID: recordID}
	add := func(part string, passed, computable bool, format string, args ...any) {
		out.Reasons = append(out.Reasons, Reason{Part: part, Passed: passed, Computable: computable, Message: fmt.Sprintf(format, args...)})
	}
	if row.Enabled {
		add(PartEnabled, true, true, "the automation is enabled")
	} else {
		add(PartEnabled, false, true, "the automation is disabled: it fires for nothing until it is enabled")
	}
	_, isRecord := dt.trigger.(kind.RecordMatcher)
	if row.TableID == nil {
		add(PartTrigger, false, true, "trigger %s does not fire for records (it fires on its own: a schedule or an incoming request), so no record can make it fire", row.TriggerType)
		out.WouldFire = false
		return out, nil
	}
	if recordID == "" {
		return Explanation{}, rowflow.Invalid("record_id", "is required: the trigger %s watches a table", row.TriggerType)
	}
	t, err := rt.records.GetTable(ctx, *row.TableID)
	if err != nil {
		return Explanation{}, err
	}
	_, rec, err := rt.records.GetRecord(ctx, t.ID, recordID)
	if err != nil {
		return Explanation{}, rowflow.Invalid("record_id", "no record %q in table %q", recordID, t.Name)
	}
	now := rt.now()
	var spec TriggerSpec
	_ = json.Unmarshal(row.Trigger, &spec)
	var cfg struct {
		ViewID     string          `json:"view_id"`
		Fields     []string        `json:"fields"`
		From       any             `json:"from"`
		To         any             `json:"to"`
		Conditions json.RawMessage `json:"conditions"`
		FormID     string          `json:"form_id"`
		FieldID    string          `json:"field_id"`
	}
	_ = json.Unmarshal(spec.Config, &cfg)
	switch {
	case !isRecord:
		add(PartTrigger, true, false, "trigger %s does not fire for record writes; it would fire when someone acts on this record (e.g. clicks the button)", row.TriggerType)
	case row.TriggerType == "record_created":
		add(PartTrigger, true, false, "trigger record_created fires only when a record is created: this record exists already, so it would fire only for a new record like it")
	case row.TriggerType == "record_deleted":
		add(PartTrigger, true, false, "trigger record_deleted would fire when this record is deleted")
	case row.TriggerType == "form_submitted":
		add(PartTrigger, true, false, "trigger form_submitted fires only when a form submission creates a record")
	case row.TriggerType == "record_updated":
		if len(cfg.Fields) == 0 {
			add(PartTrigger, true, false, "trigger record_updated would fire on any update of this record")
		} else {
			add(PartTrigger, true, false, "trigger record_updated would fire on an update of one of: %s", strings.Join(cfg.Fields, ", "))
		}
	case row.TriggerType == "field_value_changed":
		msg := "trigger field_value_changed would fire when one of " + strings.Join(cfg.Fields, ", ") + " changes"
		if cfg.From != nil {
			msg += fmt.Sprintf(" from %v", cfg.From)
		}
		if cfg.To != nil {
			msg += fmt.Sprintf(" to %v", cfg.To)
		}
		add(PartTrigger, true, false, "%s", msg)
	case row.TriggerType == "record_enters_view":
		add(PartTrigger, true, false, "trigger record_enters_view fires when a write makes the record match view %s (it did not match before)", cfg.ViewID)
		v, err := rt.records.GetView(ctx, cfg.ViewID)
		if err != nil {
			add(PartView, false, true, "view %s cannot be read: %v", cfg.ViewID, err)
			break
		}
		tr, err := condition.TraceJSON(v.Filter, t.Fields, rec.Cells, now)
		if err != nil {
			add(PartView, false, true, "view %q's filter cannot be evaluated: %v", v.Name, err)
			break
		}
		out.View = &tr
		if tr.Passed {
			add(PartView, true, true, "the record matches view %q's filter now (a write that keeps it in the view does not fire; it fired, or would fire, when it entered)", v.Name)
		} else {
			add(PartView, false, true, "the record does not match view %q's filter now: %s", v.Name, failing(tr))
		}
	case row.TriggerType == "record_matches_conditions":
		add(PartTrigger, true, false, "trigger record_matches_conditions fires when a write makes the trigger conditions true (they were false before)")
		tr, err := condition.TraceJSON(cfg.Conditions, t.Fields, rec.Cells, now)
		if err != nil {
			add(PartView, false, true, "the trigger conditions cannot be evaluated: %v", err)
			break
		}
		out.View = &tr
		if tr.Passed {
			add(PartView, true, true, "the record matches the trigger conditions now")
		} else {
			add(PartView, false, true, "the record does not match the trigger conditions now: %s", failing(tr))
		}
	default:
		add(PartTrigger, true, false, "trigger %s fires on a record write; a direct check cannot evaluate it without a change", row.TriggerType)
	}
	tr, err := condition.TraceJSON(row.Conditions, t.Fields, rec.Cells, now)
	switch {
	case err != nil:
		add(PartConditions, false, true, "the conditions cannot be evaluated: %v", err)
	case len(tr.Rules) == 0:
		out.Conditions = &tr
		add(PartConditions, true, true, "the automation has no conditions")
	case tr.Passed:
		out.Conditions = &tr
		add(PartConditions, true, true, "the conditions pass for this record")
	default:
		out.Conditions = &tr
		add(PartConditions, false, true, "the conditions fail for this record: %s", failing(tr))
	}
	add(PartLoopDepth, true, false, "not applicable to a direct check: loop depth counts the automation writes that led to a write (a run stops at %d deep); a direct check has no causing run", rt.maxDepth)
	out.WouldFire = true
	for _, r := range out.Reasons {
		out.WouldFire = out.WouldFire && r.Passed
	}
	return out, nil
}

// failing describes a trace's failing rules: "Status is Done (actual: Todo)".
func failing(tr condition.Trace) string {
	var parts []string
	for _, r := range tr.Rules {
		if r.Passed {
			continue
		}
		switch {
		case r.Formula != "":
			parts = append(parts, fmt.Sprintf("formula %s is false", r.Formula))
		case r.Expected != nil:
			parts = append(parts, fmt.Sprintf("%s %s %v (actual: %v)", r.Field, r.Op, r.Expected, describeCell(r.Actual)))
		default:
			parts = append(parts, fmt.Sprintf("%s %s (actual: %v)", r.Field, r.Op, describeCell(r.Actual)))
		}
	}
	if len(parts) == 0 {
		return "the group does not match"
	}
	return strings.Join(parts, "; ")
}

// describeCell names a cell for a message (an empty cell is "empty").
func describeCell(v any) any {
	if v == nil {
		return "empty"
	}
	return v
}
