package trigger

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// EntersViewTriggerConfig is record_enters_view's config.
type EntersViewTriggerConfig struct {
	TableID string `json:"table_id"`
	ViewID  string `json:"view_id" doc:"fires when a write makes a record match this view's filter"`
}

// RecordEntersView fires when a write makes a record match a view's
// filter (it did not match before); new records that match enter too.
// It reads the view's current filter when it matches (NeedsViewAtMatch).
type RecordEntersView struct {
	// Records looks up the view at save time.
	Records kind.Records
}

// Name implements kind.Kind.
func (RecordEntersView) Name() string { return "record_enters_view" }

// DataShape implements kind.DataShaper: record, previous.
func (RecordEntersView) DataShape() *kind.Shape { return kind.RecordTriggerShape(true) }

// Summary implements kind.Kind.
func (RecordEntersView) Summary() string {
	return "A write makes a record match the view's filter (it did not match before). New records that match enter too."
}

// NewConfig implements kind.Kind.
func (RecordEntersView) NewConfig() any { return &EntersViewTriggerConfig{} }

// Example implements kind.Kind.
func (RecordEntersView) Example(tableID string) any {
	return EntersViewTriggerConfig{TableID: tableID, ViewID: "viw_…"}
}

// NeedsViewAtMatch implements kind.NeedsViewAtMatch.
func (RecordEntersView) NeedsViewAtMatch() {}

// Validate implements kind.Trigger.
func (r RecordEntersView) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*EntersViewTriggerConfig)
	t := v.Table(c.TableID, "trigger.config.table_id")
	if t == nil {
		return c.TableID
	}
	view, err := r.Records.GetView(v.Context(), c.ViewID)
	if err != nil || view.TableID != t.ID {
		v.Add("trigger.config.view_id", "no view %q on table %q", c.ViewID, t.Name)
	}
	return c.TableID
}

// Match implements kind.RecordMatcher.
func (RecordEntersView) Match(ev *kind.RecordEvent, cfg any) (bool, error) {
	c := cfg.(*EntersViewTriggerConfig)
	if ev.Change.Kind == record.ChangeDeleted {
		return false, nil
	}
	view, err := ev.ViewFilter(c.ViewID)
	if err != nil {
		return false, err
	}
	return transition(ev, view)
}

// TestData implements kind.Tester.
func (t RecordEntersView) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
