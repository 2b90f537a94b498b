package app

import (
	"net/http"

	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/automation/trigger"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/script"
)

// KindDeps is what the kinds are built from: every dependency a trigger or
// action has is one of these values, handed in here.
type KindDeps struct {
	// Records is the record service (record actions, view and form lookups).
	Records *record.Service
	// HTTP is the outbound guard's client: every outgoing call (SSRF).
	HTTP *http.Client
	// Scripts runs run_script steps (its concurrency bounds their memory).
	Scripts *script.Runner
}

// Kinds returns the registry of every trigger and action kind rowflow has,
// built from deps. Adding a kind is its file in automation/trigger or
// automation/action plus one line here.
func Kinds(deps KindDeps) *kind.Registry {
	return kind.NewRegistry(
		[]kind.Trigger{
			trigger.RecordCreated{},
			trigger.RecordUpdated{},
			trigger.RecordDeleted{},
			trigger.FieldValueChanged{},
			trigger.RecordEntersView{Records: deps.Records},
			trigger.RecordMatchesConditions{},
			trigger.FormSubmitted{Records: deps.Records},
		},
		[]kind.Action{
			action.CreateRecord{Records: deps.Records},
			action.UpdateRecord{Records: deps.Records},
			action.DeleteRecord{Records: deps.Records},
			action.LinkRecords{Records: deps.Records},
			action.SendWebhook{HTTP: deps.HTTP},
			action.RunScript{Runner: deps.Scripts, Records: deps.Records},
		},
	)
}
