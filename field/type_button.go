package field

import "encoding/json"

// ButtonOptions are the options of a button field.
type ButtonOptions struct {
	Label        string `json:"label"`                   // default "Run"
	AutomationID string `json:"automation_id,omitempty"` // the automation the button triggers
}

const defaultButtonLabel = "Run"

// buttonKind has no cell: it only triggers automations, so it is not
// writable and Normalize always fails.
type buttonKind struct{}

func (buttonKind) Type() Type     { return Button }
func (buttonKind) Writable() bool { return false }

func (buttonKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	m, err := decodeOptions(Button, raw, "label", "automation_id")
	if err != nil {
		return nil, err
	}
	var o ButtonOptions
	if o.Label, err = optString(m, "label"); err != nil {
		return nil, err
	}
	if o.Label == "" {
		o.Label = defaultButtonLabel
	}
	if o.AutomationID, err = optString(m, "automation_id"); err != nil {
		return nil, err
	}
	return marshalOptions(o)
}

func (buttonKind) Normalize(f Field, v any) (any, error) {
	return nil, fail(f, "button fields cannot be written")
}

// Cast implements Kind: a button holds nothing to convert.
func (buttonKind) Cast(_ Field, v any) (any, error) { return v, nil }
