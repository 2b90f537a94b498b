package engine

import (
	"context"
	"encoding/json"
	"sort"
	"time"
)

// TriggerType is one kind of trigger. Adding a trigger is one file
// (trigger_<name>.go) defining its config struct and functions, plus one
// line in triggerTypes; validation, the API schema and the docs follow.
type TriggerType struct {
	Name    string
	Summary string
	// NewConfig returns a pointer to a zero config (decoded strictly: unknown
	// keys are refused).
	NewConfig func() any
	// Example is a config that validates once its ids are real.
	Example func(tableID string) any
	// Validate checks a decoded config against the base, reporting problems
	// at "trigger.config.<key>", and returns the table a record trigger
	// watches ("" for other triggers).
	Validate func(v *validation, cfg any) string
	// Match says whether a record change fires the trigger (record
	// triggers only; nil for others).
	Match func(m *matchInput, cfg any) (bool, error)
}

// ActionType is one kind of step. Adding an action is one file
// (action_<name>.go) plus one line in actionTypes.
type ActionType struct {
	Name    string
	Summary string
	// NewConfig returns a pointer to a zero config.
	NewConfig func() any
	// Example is a config that validates once its ids are real.
	Example func(tableID string) any
	// Transactional actions (record writes) run inside the transaction that
	// stores the step's final state (its completion record) and enqueues
	// the next step, so their effect commits exactly with the completion:
	// a job that runs again finds the step final and does nothing, or
	// finds neither the effect nor the completion. A retry can never
	// repeat their effect.
	Transactional bool
	// Validate checks the (unrendered) config at save time, reporting at
	// loc + ".<key>"; template strings are checked by the caller.
	Validate func(v *validation, cfg any, loc string)
	// Execute performs the step with the rendered config and returns its
	// output. Errors: *ActionError says retryable or not; an *Error is
	// permanent; anything else is retried.
	Execute func(ctx context.Context, s *StepContext, cfg any) (any, error)
}

// ActionError is a failed step execution with its retry classification.
type ActionError struct {
	Err        error
	Retryable  bool
	RetryAfter time.Duration // wait this long (Retry-After) without using an attempt
	Output     any           // what the step saw (e.g. the HTTP answer), stored with the error
}

// Error implements error.
func (e *ActionError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ActionError) Unwrap() error { return e.Err }

// triggerTypes is the trigger registry.
var triggerTypes = map[string]*TriggerType{
	recordCreatedTrigger.Name:     recordCreatedTrigger,
	recordUpdatedTrigger.Name:     recordUpdatedTrigger,
	recordDeletedTrigger.Name:     recordDeletedTrigger,
	fieldValueChangedTrigger.Name: fieldValueChangedTrigger,
	recordEntersViewTrigger.Name:  recordEntersViewTrigger,
	recordMatchesTrigger.Name:     recordMatchesTrigger,
	formSubmittedTrigger.Name:     formSubmittedTrigger,
}

// actionTypes is the action registry. It is filled in init: record actions
// write records, a write may match its event and run steps inline, and
// steps look their action up here — a cycle a package-level initializer
// cannot have.
var actionTypes map[string]*ActionType

func init() {
	actionTypes = map[string]*ActionType{
		createRecordAction.Name: createRecordAction,
		updateRecordAction.Name: updateRecordAction,
		deleteRecordAction.Name: deleteRecordAction,
		linkRecordsAction.Name:  linkRecordsAction,
		sendWebhookAction.Name:  sendWebhookAction,
	}
}

// TriggerTypes lists the registered triggers by name.
func TriggerTypes() []*TriggerType {
	out := make([]*TriggerType, 0, len(triggerTypes))
	for _, t := range triggerTypes {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ActionTypes lists the registered actions by name.
func ActionTypes() []*ActionType {
	out := make([]*ActionType, 0, len(actionTypes))
	for _, a := range actionTypes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// decodeStrict decodes raw into dst refusing unknown keys.
func decodeStrict(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}
