package trigger

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// FormTriggerConfig is form_submitted's config.
type FormTriggerConfig struct {
	FormID string `json:"form_id" doc:"the form whose submissions fire" example:"frm_01jd0000000000000000000000"`
}

// FormSubmitted fires when a form is submitted; its trigger data's record
// is the record the submission created.
type FormSubmitted struct {
	// Records looks up the form at save time.
	Records kind.Records
}

// Name implements kind.Kind.
func (FormSubmitted) Name() string { return "form_submitted" }

// DataShape implements kind.DataShaper: record.
func (FormSubmitted) DataShape() *kind.Shape { return kind.RecordTriggerShape(false) }

// Summary implements kind.Kind.
func (FormSubmitted) Summary() string {
	return "A form is submitted; trigger.record is the record it created."
}

// NewConfig implements kind.Kind.
func (FormSubmitted) NewConfig() any { return &FormTriggerConfig{} }

// Example implements kind.Kind.
func (FormSubmitted) Example(string) any { return FormTriggerConfig{FormID: "frm_…"} }

// Validate implements kind.Trigger: the form's table is the one watched.
func (f FormSubmitted) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*FormTriggerConfig)
	form, _, err := f.Records.GetForm(v.Context(), c.FormID)
	if err != nil || form.BaseID != v.BaseID() {
		v.Add("trigger.config.form_id", "no form %q in this base", c.FormID)
		return ""
	}
	return form.TableID
}

// Match implements kind.RecordMatcher: a record created by this form.
func (FormSubmitted) Match(ev *kind.RecordEvent, cfg any) (bool, error) {
	c := cfg.(*FormTriggerConfig)
	return ev.Change.Kind == record.ChangeCreated && ev.Cause.Kind == "form" && ev.Cause.ID == c.FormID, nil
}

// TestData implements kind.Tester.
func (t FormSubmitted) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
