package automation

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// TriggerSpec is an automation's trigger: a registered type and its config.
type TriggerSpec struct {
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
}

// BackoffSpec is how long a step waits between attempts: "exponential"
// (delay_ms × 2^(attempt-1), the default) or "fixed" (delay_ms), at most
// max_delay_ms (default and limit one hour), spread by ±20 % when jitter.
// Unset parts come from the action's defaults (kind.RetryOf: 1 s, no
// jitter for record actions; 1 s with jitter for actions that call out).
type BackoffSpec struct {
	Type       string `json:"type,omitempty"`
	DelayMS    int    `json:"delay_ms,omitempty"`
	MaxDelayMS int    `json:"max_delay_ms,omitempty"`
	Jitter     *bool  `json:"jitter,omitempty"`
}

// RetrySpec is a step's retry policy. max_attempts counts the first try
// (1 = no retry; at most 50). The default is the action's: 3 for record
// actions, 36 (about 24 h) for actions that call out (send_webhook).
type RetrySpec struct {
	MaxAttempts int          `json:"max_attempts,omitempty"`
	Backoff     *BackoffSpec `json:"backoff,omitempty"`
}

// StepSpec is one step of the chain. ID is unique in the automation (groups
// included, at any depth) and is what templates ({{steps.<id>.output…}})
// refer to. If is a condition group evaluated against the trigger record;
// a false If skips the step. A step of type "if" or "for_each" is a group
// (group.go): Branches, or Items and Steps (and Concurrency), instead of a
// Config.
type StepSpec struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Config  json.RawMessage `json:"config,omitempty"`
	If      json.RawMessage `json:"if,omitempty"`
	OnError string          `json:"on_error,omitempty"`
	Retry   *RetrySpec      `json:"retry,omitempty"`
	// Branches are an "if" group's branches: the first whose condition
	// holds runs.
	Branches []BranchSpec `json:"branches,omitempty"`
	// Items is a "for_each" group's list: a template
	// ("{{steps.find.output.records}}") or a JSON list.
	Items json.RawMessage `json:"items,omitempty"`
	// Steps are the steps a "for_each" group runs once per item.
	Steps []StepSpec `json:"steps,omitempty"`
	// Concurrency is how many items a "for_each" group works on at once
	// (default 1: one after the other; at most MaxConcurrency).
	Concurrency int `json:"concurrency,omitempty"`
}

// Automation is one trigger → optional conditions → an ordered chain of
// steps. Every save bumps Version and stores an immutable snapshot; a run
// executes the snapshot it started with.
type Automation struct {
	ID         string          `json:"id"`
	BaseID     string          `json:"base_id"`
	Name       string          `json:"name"`
	Enabled    bool            `json:"enabled"`
	Trigger    TriggerSpec     `json:"trigger"`
	Conditions json.RawMessage `json:"conditions,omitempty"`
	Steps      []StepSpec      `json:"steps"`
	Version    int             `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	// AutoDisableAfter: that many consecutive failed runs disable the
	// automation (nil: never); DisabledReason says why an automation was
	// disabled that way (cleared when it is enabled again).
	AutoDisableAfter *int   `json:"auto_disable_after,omitempty" doc:"consecutive failed runs that disable the automation"`
	DisabledReason   string `json:"disabled_reason,omitempty" doc:"why the automation was disabled automatically"`
	// AlertEmail is emailed when a run fails for good ("": nobody).
	AlertEmail string `json:"alert_email,omitempty" doc:"emailed when a run fails for good, through the server's SMTP server"`
	// RecordSkippedRuns stores a run with status skipped and its condition
	// trace for every event whose conditions fail (off: nothing is stored
	// for them).
	RecordSkippedRuns bool `json:"record_skipped_runs" doc:"store events whose conditions fail as runs with status skipped and their condition_trace (default false: nothing is stored for them)"`
	// MaxSteps caps the step executions of one run (groups repeat steps);
	// absent: DefaultMaxSteps.
	MaxSteps *int `json:"max_steps,omitempty" doc:"the most step executions one run may make (steps inside groups count once per execution); default 1000"`
	// CreatedBy is the user whose token created the automation, its owner
	// ("": a token of no user): told in-app when a run fails for good.
	CreatedBy string `json:"created_by,omitempty" doc:"the user (usr_…) whose token created the automation: its owner, notified in-app when a run fails for good"`
	// NextFires lists the next fires of an enabled automation whose
	// trigger fires at times of its own (kind.Upcoming: scheduled).
	NextFires []kind.NextFire `json:"next_fires,omitempty" doc:"the next 5 fires of an enabled scheduled automation, in its time zone and in UTC"`
	// Warnings are problems the automation has now although it was valid
	// when saved (a field or table renamed or deleted since, a template
	// naming it): each at its place, as a save would report it. Filled by
	// WithWarnings (the API's get and list); absent when there are none.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is one problem of a saved automation: its place and what is
// wrong there.
type Warning struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// WithWarnings returns a with Warnings: the problems a save of its current
// definition would report now. Reading them costs a validation, so only
// the API's get and list ask.
func (rt *Runtime) WithWarnings(ctx context.Context, a Automation) Automation {
	def := definition{Name: a.Name, Trigger: a.Trigger, Conditions: a.Conditions, Steps: a.Steps}
	if _, err := rt.validateDefinition(ctx, a.BaseID, &def); err != nil {
		var e *rowflow.Error
		if errors.As(err, &e) && e.Code == rowflow.CodeInvalid {
			for _, d := range e.Details {
				a.Warnings = append(a.Warnings, Warning{Location: d.Location, Message: d.Message})
			}
			if len(a.Warnings) == 0 {
				a.Warnings = []Warning{{Message: e.Message}}
			}
		}
	}
	return a
}

// AutomationInput creates an automation (every field) or patches one (nil
// fields are left as they are; Conditions pointing to JSON null removes
// the conditions).
type AutomationInput struct {
	Name       *string          `json:"name,omitempty"`
	Enabled    *bool            `json:"enabled,omitempty"`
	Trigger    *TriggerSpec     `json:"trigger,omitempty"`
	Conditions *json.RawMessage `json:"conditions,omitempty"`
	Steps      *[]StepSpec      `json:"steps,omitempty"`
	// AutoDisableAfter sets how many consecutive failed runs disable the
	// automation (0: never; at most MaxAutoDisableAfter). Not versioned.
	AutoDisableAfter *int `json:"auto_disable_after,omitempty"`
	// AlertEmail sets who is emailed when a run fails for good ("":
	// nobody). Not versioned.
	AlertEmail *string `json:"alert_email,omitempty"`
	// RecordSkippedRuns sets Automation.RecordSkippedRuns. Not versioned.
	RecordSkippedRuns *bool `json:"record_skipped_runs,omitempty"`
	// MaxSteps sets the most step executions one run may make (0: the
	// default, DefaultMaxSteps; at most MaxStepsLimit). Versioned: a run
	// keeps the cap of its version.
	MaxSteps *int `json:"max_steps,omitempty"`
}

// MaxAutoDisableAfter is the largest auto_disable_after.
const MaxAutoDisableAfter = 1000

// checkAutoDisable validates an input's auto_disable_after and
// alert_email.
func (in AutomationInput) checkAutoDisable() error {
	if n := in.MaxSteps; n != nil && (*n < 0 || *n > MaxStepsLimit) {
		return rowflow.Invalid("max_steps", "must be between 1 and %d (0: the default, %d), got %d", MaxStepsLimit, DefaultMaxSteps, *n)
	}
	if n := in.AutoDisableAfter; n != nil && (*n < 0 || *n > MaxAutoDisableAfter) {
		return rowflow.Invalid("auto_disable_after", "must be between 0 (never) and %d, got %d", MaxAutoDisableAfter, *n)
	}
	if e := in.AlertEmail; e != nil && *e != "" {
		a, err := mail.ParseAddress(*e)
		if err != nil || a.Address != *e || len(*e) > 254 {
			return rowflow.Invalid("alert_email", "must be one email address (name@example.com), got %q", *e)
		}
	}
	return nil
}

// saveAutoDisable stores an input's settings that are not versioned
// (auto_disable_after, alert_email, record_skipped_runs; each when given)
// on the automation row, in the save's transaction.
func saveAutoDisable(ctx context.Context, q *db.Queries, in AutomationInput, out *Automation) error {
	if in.RecordSkippedRuns != nil {
		out.RecordSkippedRuns = *in.RecordSkippedRuns
		if err := q.SetAutomationRecordSkippedRuns(ctx, db.SetAutomationRecordSkippedRunsParams{ID: out.ID, RecordSkippedRuns: *in.RecordSkippedRuns}); err != nil {
			return err
		}
	}
	if in.MaxSteps != nil {
		out.MaxSteps = nil
		var n *int32
		if *in.MaxSteps > 0 {
			v, iv := int32(*in.MaxSteps), *in.MaxSteps
			n, out.MaxSteps = &v, &iv
		}
		if err := q.SetAutomationMaxSteps(ctx, db.SetAutomationMaxStepsParams{ID: out.ID, MaxSteps: n}); err != nil {
			return err
		}
	}
	if in.AlertEmail != nil {
		out.AlertEmail = *in.AlertEmail
		if err := q.SetAutomationAlertEmail(ctx, db.SetAutomationAlertEmailParams{ID: out.ID, AlertEmail: nilIfEmpty(*in.AlertEmail)}); err != nil {
			return err
		}
	}
	if in.AutoDisableAfter == nil {
		return nil
	}
	var n *int32
	out.AutoDisableAfter = nil
	if *in.AutoDisableAfter > 0 {
		v := int32(*in.AutoDisableAfter)
		n = &v
		iv := *in.AutoDisableAfter
		out.AutoDisableAfter = &iv
	}
	return q.SetAutomationAutoDisable(ctx, db.SetAutomationAutoDisableParams{ID: out.ID, AutoDisableAfter: n})
}

// definition is the immutable snapshot stored per version.
type definition struct {
	Name       string          `json:"name"`
	Trigger    TriggerSpec     `json:"trigger"`
	Conditions json.RawMessage `json:"conditions,omitempty"`
	Steps      []StepSpec      `json:"steps"`
	// MaxSteps: 0 is DefaultMaxSteps.
	MaxSteps int `json:"max_steps,omitempty"`
}

func automationFromRow(r db.Automation) Automation {
	a := Automation{ID: r.ID, BaseID: r.BaseID, Name: r.Name, Enabled: r.Enabled, Conditions: r.Conditions,
		Version: int(r.Version), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.AutoDisableAfter != nil {
		n := int(*r.AutoDisableAfter)
		a.AutoDisableAfter = &n
	}
	if r.DisabledReason != nil {
		a.DisabledReason = *r.DisabledReason
	}
	if r.AlertEmail != nil {
		a.AlertEmail = *r.AlertEmail
	}
	a.RecordSkippedRuns = r.RecordSkippedRuns
	if r.MaxSteps != nil {
		n := int(*r.MaxSteps)
		a.MaxSteps = &n
	}
	if r.CreatedBy != nil {
		a.CreatedBy = *r.CreatedBy
	}
	_ = json.Unmarshal(r.Trigger, &a.Trigger)
	_ = json.Unmarshal(r.Steps, &a.Steps)
	if a.Steps == nil {
		a.Steps = []StepSpec{}
	}
	return a
}

// CreateAutomation validates and saves an automation (version 1). Trigger
// is required; steps may be empty; enabled defaults to true.
func (rt *Runtime) CreateAutomation(ctx context.Context, baseID string, in AutomationInput) (Automation, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleEditor); err != nil {
		return Automation{}, err
	}
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return Automation{}, err
	}
	def := definition{Steps: []StepSpec{}}
	if in.Name != nil {
		def.Name = strings.TrimSpace(*in.Name)
	}
	if in.Trigger == nil {
		return Automation{}, rowflow.Invalid("trigger", "is required")
	}
	def.Trigger = *in.Trigger
	if in.Conditions != nil {
		def.Conditions = *in.Conditions
	}
	if in.Steps != nil {
		def.Steps = *in.Steps
	}
	if in.MaxSteps != nil {
		def.MaxSteps = *in.MaxSteps
	}
	enabled := in.Enabled == nil || *in.Enabled
	if err := in.checkAutoDisable(); err != nil {
		return Automation{}, err
	}
	tableID, err := rt.validateDefinition(ctx, baseID, &def)
	if err != nil {
		return Automation{}, err
	}
	var out Automation
	err = rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		trig, _ := json.Marshal(def.Trigger)
		steps, _ := json.Marshal(def.Steps)
		row, err := q.CreateAutomation(ctx, db.CreateAutomationParams{
			ID: rowflow.NewID(rowflow.PrefixAutomation), BaseID: baseID, Name: def.Name, Enabled: enabled, TriggerType: def.Trigger.Type,
			TableID: nilIfEmpty(tableID), Trigger: trig, Conditions: def.Conditions, Steps: steps,
		})
		if err != nil {
			return err
		}
		out = automationFromRow(row)
		if uid := rowflow.PrincipalFrom(ctx).UserID; uid != "" {
			if err := q.SetAutomationCreatedBy(ctx, db.SetAutomationCreatedByParams{ID: out.ID, CreatedBy: &uid}); err != nil {
				return err
			}
			out.CreatedBy = uid
		}
		if err := saveAutoDisable(ctx, q, in, &out); err != nil {
			return err
		}
		if err := saveVersion(ctx, q, row.ID, int(row.Version), def); err != nil {
			return err
		}
		return rt.lifecycle(ctx, tx, kind.OpSaved, out)
	})
	return rt.withNextFires(out), err
}

// UpdateAutomation applies a patch, validates the whole result and saves it
// as a new version.
func (rt *Runtime) UpdateAutomation(ctx context.Context, id string, in AutomationInput) (Automation, error) {
	cur, err := rt.GetAutomation(ctx, id)
	if err != nil {
		return Automation{}, err
	}
	if err := rowflow.CheckBase(ctx, cur.BaseID, rowflow.RoleEditor); err != nil {
		return Automation{}, err
	}
	def := definition{Name: cur.Name, Trigger: cur.Trigger, Conditions: cur.Conditions, Steps: cur.Steps}
	if cur.MaxSteps != nil {
		def.MaxSteps = *cur.MaxSteps
	}
	if in.MaxSteps != nil {
		def.MaxSteps = *in.MaxSteps
	}
	enabled := cur.Enabled
	if in.Name != nil {
		def.Name = strings.TrimSpace(*in.Name)
	}
	if in.Trigger != nil {
		def.Trigger = *in.Trigger
	}
	if in.Conditions != nil {
		def.Conditions = *in.Conditions
	}
	if in.Steps != nil {
		def.Steps = *in.Steps
		if err := rt.restoreSecrets(cur.Steps, def.Steps); err != nil {
			return Automation{}, err
		}
	}
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	if err := in.checkAutoDisable(); err != nil {
		return Automation{}, err
	}
	tableID, err := rt.validateDefinition(ctx, cur.BaseID, &def)
	if err != nil {
		return Automation{}, err
	}
	var out Automation
	err = rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := q.GetAutomationForUpdate(ctx, id); err != nil {
			return pgtx.NotFoundIf(err, "automation", id)
		}
		trig, _ := json.Marshal(def.Trigger)
		steps, _ := json.Marshal(def.Steps)
		row, err := q.UpdateAutomation(ctx, db.UpdateAutomationParams{
			ID: id, Name: def.Name, Enabled: enabled, TriggerType: def.Trigger.Type, TableID: nilIfEmpty(tableID),
			Trigger: trig, Conditions: def.Conditions, Steps: steps,
		})
		if err != nil {
			return err
		}
		out = automationFromRow(row)
		if err := saveAutoDisable(ctx, q, in, &out); err != nil {
			return err
		}
		if err := saveVersion(ctx, q, id, int(row.Version), def); err != nil {
			return err
		}
		if cur.Trigger.Type != def.Trigger.Type {
			// The old trigger kind lets go of what it kept.
			if err := rt.lifecycle(ctx, tx, kind.OpDeleted, cur); err != nil {
				return err
			}
		}
		return rt.lifecycle(ctx, tx, kind.OpSaved, out)
	})
	return rt.withNextFires(out), err
}

// SetAutomationEnabled turns an automation on or off (no new version: the
// definition does not change).
func (rt *Runtime) SetAutomationEnabled(ctx context.Context, id string, enabled bool) (Automation, error) {
	cur, err := rt.GetAutomation(ctx, id)
	if err != nil {
		return Automation{}, err
	}
	if err := rowflow.CheckBase(ctx, cur.BaseID, rowflow.RoleEditor); err != nil {
		return Automation{}, err
	}
	op := kind.OpDisabled
	if enabled {
		op = kind.OpEnabled
	}
	var out Automation
	err = rt.inLifecycleTx(ctx, cur.Trigger.Type, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.SetAutomationEnabled(ctx, db.SetAutomationEnabledParams{ID: id, Enabled: enabled})
		if err := pgtx.NotFoundIf(err, "automation", id); err != nil {
			return err
		}
		out = automationFromRow(row)
		return rt.lifecycle(ctx, tx, op, out)
	})
	return rt.withNextFires(out), err
}

// GetAutomation returns an automation the caller may see.
func (rt *Runtime) GetAutomation(ctx context.Context, id string) (Automation, error) {
	row, err := rt.q.GetAutomation(ctx, id)
	if err := pgtx.NotFoundIf(err, "automation", id); err != nil {
		return Automation{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return Automation{}, rowflow.NotFound("automation", id)
	}
	return rt.withNextFires(automationFromRow(row)), nil
}

// ListAutomations lists a base's automations in creation order.
func (rt *Runtime) ListAutomations(ctx context.Context, baseID string) ([]Automation, error) {
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	rows, err := rt.q.ListAutomations(ctx, baseID)
	if err != nil {
		return nil, err
	}
	out := make([]Automation, len(rows))
	for i, r := range rows {
		out[i] = rt.withNextFires(automationFromRow(r))
	}
	return out, nil
}

// DeleteAutomation deletes an automation with its versions and runs.
func (rt *Runtime) DeleteAutomation(ctx context.Context, id string) error {
	cur, err := rt.GetAutomation(ctx, id)
	if err != nil {
		return err
	}
	if err := rowflow.CheckBase(ctx, cur.BaseID, rowflow.RoleEditor); err != nil {
		return err
	}
	return rt.inLifecycleTx(ctx, cur.Trigger.Type, func(tx pgx.Tx, q *db.Queries) error {
		if err := rt.lifecycle(ctx, tx, kind.OpDeleted, cur); err != nil {
			return err
		}
		_, err := q.DeleteAutomation(ctx, id)
		return err
	})
}

// saveVersion stores an automation version's immutable definition.
func saveVersion(ctx context.Context, q *db.Queries, id string, version int, def definition) error {
	js, err := json.Marshal(def)
	if err != nil {
		return err
	}
	return q.InsertAutomationVersion(ctx, db.InsertAutomationVersionParams{AutomationID: id, Version: int32(version), Definition: js})
}

// nilIfEmpty is nil for "", else &s.
func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nextFiresShown is how many coming fires an automation answer lists.
const nextFiresShown = 5

// withNextFires sets a's NextFires when it is enabled and its trigger is
// a kind.Upcoming.
func (rt *Runtime) withNextFires(a Automation) Automation {
	if !a.Enabled || a.ID == "" {
		return a
	}
	t, ok := rt.kinds.Trigger(a.Trigger.Type)
	if !ok {
		return a
	}
	up, ok := t.(kind.Upcoming)
	if !ok {
		return a
	}
	cfg := t.NewConfig()
	if kind.DecodeConfig(a.Trigger.Config, cfg) != nil {
		return a
	}
	a.NextFires = up.NextFires(cfg, rt.now(), nextFiresShown)
	return a
}
