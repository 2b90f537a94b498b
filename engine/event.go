package engine

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/db"
)

// Change kinds of a record event.
const (
	ChangeCreated = "created"
	ChangeUpdated = "updated"
	ChangeDeleted = "deleted"
)

// Cause says who or what made a write. A write made by an automation's run
// carries that run and its depth, so the runs it triggers get depth+1 (loop
// protection).
type Cause struct {
	// Kind is token | admin | form | automation | system.
	Kind  string `json:"kind"`
	ID    string `json:"id,omitempty"` // token id, form id or automation id
	RunID string `json:"run_id,omitempty"`
	Depth int    `json:"depth,omitempty"`
}

type causeKey struct{}

// WithCause returns ctx whose writes are attributed to c.
func WithCause(ctx context.Context, c Cause) context.Context {
	return context.WithValue(ctx, causeKey{}, c)
}

// CauseFrom returns the cause of writes made with ctx: the one set with
// WithCause, else the admin token or the calling token, else the system.
func CauseFrom(ctx context.Context) Cause {
	if c, ok := ctx.Value(causeKey{}).(Cause); ok {
		return c
	}
	p, ok := ctx.Value(principalKey{}).(Principal)
	switch {
	case !ok:
		return Cause{Kind: "system"}
	case p.System && p.TokenID == adminTokenID:
		return Cause{Kind: "admin"}
	case p.TokenID != "":
		return Cause{Kind: "token", ID: p.TokenID}
	}
	return Cause{Kind: "system"}
}

// RecordChange is one record's committed change: cells (keyed by field id)
// before and after the write. Before is nil for created, After for deleted.
type RecordChange struct {
	TableID  string         `json:"table_id"`
	RecordID string         `json:"record_id"`
	Kind     string         `json:"kind"`
	Before   map[string]any `json:"before,omitempty"`
	After    map[string]any `json:"after,omitempty"`
	Version  int64          `json:"version"`
	// SchemaVersion is the version of the table's definition the write was
	// validated against (0: unknown); matching reuses a cached definition
	// only at that version (table_cache.go).
	SchemaVersion int64 `json:"schema_version,omitempty"`
}

// RecordEventArgs is the River job inserted in the same transaction as a
// record write: one job per write call, carrying every record it changed in
// order (a batch of 100 is one event with 100 changes; inverse link updates
// are changes too). Rolled back write → no job; committed → exactly one.
type RecordEventArgs struct {
	BaseID  string         `json:"base_id"`
	Changes []RecordChange `json:"changes"`
	Cause   Cause          `json:"cause"`
	// AutomationsVersion is the automations_version of the changes' table
	// as of the write, set by record creates (whose changes are all of one
	// table); 0: unknown. Matching trusts a cached list of the table's
	// automations only at this version (automation_cache.go).
	AutomationsVersion int64 `json:"automations_version,omitempty"`
}

// Kind implements river.JobArgs.
func (RecordEventArgs) Kind() string { return "record_event" }

// eventMaxAttempts is a record event's max attempts: matching is cheap and
// idempotent, so a failing event is retried a few times quickly.
const eventMaxAttempts = 10

// InsertOpts implements river.JobArgsWithInsertOpts (eventMaxAttempts).
func (RecordEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: eventMaxAttempts}
}

// emitEvent enqueues the event for changes inside tx (no-op without
// changes). When ctx has an event slot (withEventSlot), the job waits at
// the backstop and the slot receives it, for the writer to match after
// commit (inline_event.go).
func (e *Engine) emitEvent(ctx context.Context, q *db.Queries, baseID string, changes []RecordChange) error {
	if len(changes) == 0 {
		return nil
	}
	slot, _ := ctx.Value(pendingEventKey{}).(*inlineEvent)
	spec := jobSpec{args: RecordEventArgs{BaseID: baseID, Changes: changes, Cause: CauseFrom(ctx)}, maxAttempts: eventMaxAttempts}
	if slot != nil {
		spec.scheduledAt = e.eventDue()
	}
	ids, err := e.insertJobs(ctx, q, []jobSpec{spec})
	if err != nil {
		return err
	}
	if slot != nil {
		*slot = inlineEvent{jobID: ids[0], args: spec.args.(RecordEventArgs)}
	}
	return nil
}
