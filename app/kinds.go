package app

import (
	"net/http"

	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/automation/trigger"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/notify"
	"github.com/rowflow/rowflow/outbound/slack"
	"github.com/rowflow/rowflow/outbound/smtp"
	"github.com/rowflow/rowflow/outbound/teams"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/schedule"
	"github.com/rowflow/rowflow/script"
)

// KindDeps is what the kinds are built from: every dependency a trigger or
// action has is one of these values, handed in here.
type KindDeps struct {
	// Records is the record service (record actions, view and form lookups).
	Records *record.Service
	// HTTP is the outbound guard's client: every outgoing call (SSRF).
	HTTP *http.Client
	// Notifications is the in-app notification service (notify_user).
	Notifications *notify.Service
	// Schedules keeps the scheduled trigger's rows.
	Schedules *schedule.Service
	// Connections holds the credentials of the messaging actions.
	Connections *connection.Service
	// Mail sends through connections (guarded dialer); DefaultSMTP is the
	// server's own SMTP server (ROWFLOW_SMTP_URL, nil for none) and
	// DefaultMail its sender.
	Mail        *smtp.Sender
	DefaultSMTP *smtp.Config
	DefaultMail *smtp.Sender
	// Slack and Teams are the chat clients (on HTTP).
	Slack *slack.Client
	Teams *teams.Client
	// Webhooks is the incoming webhooks service (webhook_received).
	Webhooks trigger.Webhooks
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
			trigger.Scheduled{Schedules: deps.Schedules},
			trigger.WebhookReceived{Webhooks: deps.Webhooks},
			trigger.ButtonClicked{},
		},
		[]kind.Action{
			action.CreateRecord{Records: deps.Records},
			action.UpdateRecord{Records: deps.Records},
			action.DeleteRecord{Records: deps.Records},
			action.LinkRecords{Records: deps.Records},
			action.SendWebhook{HTTP: deps.HTTP},
			action.FindRecords{Records: deps.Records},
			action.NotifyUser{Notifications: deps.Notifications, Users: deps.Notifications},
			action.SendEmail{Connections: deps.Connections, Mail: deps.Mail, Default: deps.DefaultSMTP, DefaultMail: deps.DefaultMail},
			action.SendSlackMessage{Connections: deps.Connections, Slack: deps.Slack},
			action.SendTeamsMessage{Connections: deps.Connections, Teams: deps.Teams},
			action.RunScript{Runner: deps.Scripts, Records: deps.Records},
			action.Delay{},
		},
	)
}
