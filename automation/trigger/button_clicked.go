package trigger

import (
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/field"
)

// ButtonTriggerConfig is button_clicked's config.
type ButtonTriggerConfig struct {
	TableID string `json:"table_id" doc:"the table of the button field" example:"tbl_01jd0000000000000000000000"`
	FieldID string `json:"field_id" doc:"the button field (id or name)" example:"fld_01jd0000000000000000000000"`
}

// ButtonClicked fires when a user clicks a button field of a record
// (POST /tables/{table_id}/records/{record_id}/buttons/{field_id}, started
// by automation/button.go); its trigger data is the record, the field and
// the clicking user. Conditions are on the record's fields.
type ButtonClicked struct{}

// Name implements kind.Kind.
func (ButtonClicked) Name() string { return "button_clicked" }

// Summary implements kind.Kind.
func (ButtonClicked) Summary() string {
	return "A user clicks a button field of a record; trigger.record is the record, trigger.user the user."
}

// NewConfig implements kind.Kind.
func (ButtonClicked) NewConfig() any { return &ButtonTriggerConfig{} }

// Example implements kind.Kind (the table needs a button field).
func (ButtonClicked) Example(tableID string) any {
	return ButtonTriggerConfig{TableID: tableID, FieldID: "fld_…"}
}

// Validate implements kind.Trigger: the field is a button of the table.
// A field given by name is stored by id (the click names the id).
func (ButtonClicked) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*ButtonTriggerConfig)
	t := v.Table(c.TableID, "trigger.config.table_id")
	if t == nil {
		return ""
	}
	f, ok := v.Field(t, c.FieldID, "trigger.config.field_id")
	if !ok {
		return c.TableID
	}
	if f.Type != field.Button {
		v.Add("trigger.config.field_id", "%q is a %s field, not a button", f.Name, f.Type)
	}
	if f.ID != c.FieldID {
		v.Add("trigger.config.field_id", "name the button by its id (%s)", f.ID)
	}
	return c.TableID
}
