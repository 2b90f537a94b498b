package kind

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/record"
)

// Kind is what every trigger and action has: a name (the "type" of the
// automation's trigger or step), a one-line summary for the docs, a config
// type, and an example config.
type Kind interface {
	// Name is the type name in automations ("record_created", "send_webhook").
	Name() string
	// Summary is one sentence for the OpenAPI document.
	Summary() string
	// NewConfig returns a pointer to a zero config; configs are decoded
	// strictly (unknown keys are refused) and documented from this type.
	NewConfig() any
	// Example returns a config that validates once tableID is a real table
	// of the base (kinds that need other ids say so in their docs).
	Example(tableID string) any
}

// Trigger is one kind of trigger.
type Trigger interface {
	Kind
	// Validate checks a decoded config at save time, reporting problems
	// at "trigger.config.<key>", and returns the table the trigger watches
	// ("" for triggers not on a table).
	Validate(v Validator, cfg any) (tableID string)
}

// RecordMatcher is a Trigger that fires on record changes of the table
// it watches.
type RecordMatcher interface {
	Trigger
	// Match says whether one committed change fires the trigger.
	Match(ev *RecordEvent, cfg any) (bool, error)
}

// NeedsViewAtMatch is a RecordMatcher that reads a view's filter when it
// matches (RecordEvent.ViewFilter). A view's filter can change without
// the table's automations changing, so creates of a table with such an
// automation are matched after they commit, not by the writer.
type NeedsViewAtMatch interface {
	NeedsViewAtMatch()
}

// Lifecycle is a Trigger that keeps rows of its own beside an automation
// (a schedule's next fire time, an incoming webhook's binding). The
// runtime calls AutomationChanged inside the transaction that changes the
// automation; an error aborts the change.
type Lifecycle interface {
	AutomationChanged(ctx context.Context, tx pgx.Tx, ch LifecycleChange) error
}

// Lifecycle operations.
const (
	OpSaved    = "saved"    // created, or a new version
	OpEnabled  = "enabled"  // turned on
	OpDisabled = "disabled" // turned off
	OpDeleted  = "deleted"  // about to be deleted
)

// LifecycleChange is one change to an automation whose trigger is a
// Lifecycle: the operation and the automation as it is after it.
type LifecycleChange struct {
	Op           string
	AutomationID string
	BaseID       string
	Version      int
	Enabled      bool
	// Config is the trigger's decoded config (its NewConfig type).
	Config any
	Now    time.Time
}

// PayloadConditions is a Trigger not on a table whose automations may
// have conditions on paths of the trigger data ("body.status"); the
// runtime validates and matches them (automation/payload_condition.go).
type PayloadConditions interface {
	PayloadConditions()
}

// Tester is a Trigger that can build the trigger data of a test
// (POST /automations/{id}/test): a trigger on a table from a record of
// the watched table (TestInput.Record); a trigger not on a table from its
// own last real occurrence (an incoming webhook's last stored request, a
// schedule's last fire), with no record. An error that is a
// *rowflow.Error (Invalid "sample": nothing to test with yet) is answered
// as it is.
type Tester interface {
	TestData(ctx context.Context, in TestInput) (map[string]any, error)
}

// TestSourcer is a Tester not on a table that names where its test data
// comes from ("last_request", "last_fire"), for the test's answer.
type TestSourcer interface {
	TestSource() string
}

// TestInput is what a test starts from. Table and Record are set for a
// trigger on a table; AutomationID, BaseID and Now always.
type TestInput struct {
	Table        *record.Table
	Record       record.Record
	Cause        rowflow.Cause
	Config       any
	AutomationID string
	BaseID       string
	Now          time.Time
}

// Action is one kind of step.
type Action interface {
	Kind
	// Validate checks the (unrendered) config at save time, reporting at
	// loc + ".<key>"; template strings themselves are checked by the
	// runtime.
	Validate(v Validator, cfg any, loc string)
	// Execute performs the step with the rendered config and returns its
	// output ({{steps.<id>.output…}}). Errors: an *ActionError says
	// retryable or not; a *rowflow.Error is permanent; anything else is
	// retried.
	Execute(ctx context.Context, s *StepContext, cfg any) (any, error)
}

// Transactional is an Action whose effect is record writes made through
// the ctx Execute gets: they run inside the transaction that stores the
// step's final state and enqueues the next step, so they commit exactly
// with the completion and a retry can never repeat them.
type Transactional interface {
	Transactional()
}

// BatchExecutor is a Transactional action that can execute the steps of
// many for_each items at once (automation/group_batch.go): ExecuteBatch
// executes cfgs — one rendered config per item, in item order, with
// their StepContexts — through ctx's transaction and returns one output
// per config, each what Execute would have returned. An error fails the
// whole batch; it is rolled back and executed item by item with Execute,
// which reports each item's own error.
type BatchExecutor interface {
	ExecuteBatch(ctx context.Context, scs []*StepContext, cfgs []any) ([]any, error)
}

// Verbatim is an Action whose config has top-level keys whose strings are
// not templates (a script's code): the runtime neither checks nor renders
// {{…}} in them, so "{{" stays literal and run data can never become code.
type Verbatim interface {
	VerbatimKeys() []string
}

// SecretHolder is a kind whose config holds secrets, at the paths Secrets
// lists: dot-separated object keys, matched without regard to case, "*"
// for any key ("secret", "headers.authorization"). Redact hides them.
type SecretHolder interface {
	Secrets() []string
}

// Escaper is an Action whose config holds strings in a markup where
// inserted values must be escaped (send_email's html). The runtime renders
// the string at a config path ("html") for which Escape returns a function
// as text, passing each inserted value's text through it.
type Escaper interface {
	Escape(path string) func(string) string
}
