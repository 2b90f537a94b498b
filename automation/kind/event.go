package kind

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/record"
)

// RecordEvent is what a RecordMatcher decides on: one committed change of
// a record of the watched table.
type RecordEvent struct {
	Change record.Change
	Cause  rowflow.Cause
	Table  *record.Table
	Now    time.Time
	// Compile compiles a condition group against Table (cached by the
	// runtime).
	Compile func(raw json.RawMessage) (*condition.Condition, error)
	// View returns the filter of a view of Table (NeedsViewAtMatch).
	View func(id string) (json.RawMessage, error)
}

// ViewFilter returns the compiled filter of a view of the event's table.
func (ev *RecordEvent) ViewFilter(viewID string) (*condition.Condition, error) {
	raw, err := ev.View(viewID)
	if err != nil {
		return nil, fmt.Errorf("view %s: %w", viewID, err)
	}
	return ev.Compile(raw)
}

// Cells are the record's cells the event is about: after the change, or
// the last ones of a deleted record.
func (ev *RecordEvent) Cells() map[string]any {
	if ev.Change.Kind == record.ChangeDeleted {
		return ev.Change.Before
	}
	return ev.Change.After
}

// RecordTriggerData is what templates see as {{trigger.…}} for a record
// trigger named triggerType: the record (cells by field name), the
// previous cells for updates, the change and its cause.
func RecordTriggerData(triggerType string, t *record.Table, ch record.Change, cause rowflow.Cause) map[string]any {
	cells := ch.After
	if ch.Kind == record.ChangeDeleted {
		cells = ch.Before
	}
	data := map[string]any{
		"type":     triggerType,
		"table_id": t.ID,
		"change":   ch.Kind,
		"record":   map[string]any{"id": ch.RecordID, "fields": t.Named(cells)},
		"cause":    cause,
	}
	if ch.Kind == record.ChangeUpdated {
		data["previous"] = map[string]any{"id": ch.RecordID, "fields": t.Named(ch.Before)}
	}
	return data
}
