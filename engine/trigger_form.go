package engine

// FormTriggerConfig is form_submitted's config.
type FormTriggerConfig struct {
	FormID string `json:"form_id" doc:"the form whose submissions fire" example:"frm_01jd0000000000000000000000"`
}

var formSubmittedTrigger = &TriggerType{
	Name:      "form_submitted",
	Summary:   "A form is submitted; trigger.record is the record it created.",
	NewConfig: func() any { return &FormTriggerConfig{} },
	Example:   func(string) any { return FormTriggerConfig{FormID: "frm_…"} },
	Validate: func(v *validation, cfg any) string {
		c := cfg.(*FormTriggerConfig)
		f, _, err := v.e.GetForm(v.ctx, c.FormID)
		if err != nil || f.BaseID != v.baseID {
			v.add("trigger.config.form_id", "no form %q in this base", c.FormID)
			return ""
		}
		return f.TableID
	},
	Match: func(m *matchInput, cfg any) (bool, error) {
		c := cfg.(*FormTriggerConfig)
		return m.change.Kind == ChangeCreated && m.cause.Kind == "form" && m.cause.ID == c.FormID, nil
	},
}
