package action

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/notify"
	"github.com/rowflow/rowflow/record"
)

// NotifyUserConfig is notify_user's config. Every string may be a
// template; user is rendered first, then resolved.
type NotifyUserConfig struct {
	User  string `json:"user" doc:"who: a user id (usr_…), an email address, or a template giving one ({{trigger.cause.user_id}} is the user whose token made the change)" example:"ada@example.com"`
	Title string `json:"title" doc:"one line, at most 500 characters" example:"Order {{trigger.record.fields.Name}} is done"`
	Body  string `json:"body,omitempty" doc:"at most 5000 characters"`
	Link  string `json:"link,omitempty" doc:"a path (/…) or an http(s) URL to open"`
}

// Notifier writes a notification in the transaction of the step's
// completion (notify.Service).
type Notifier interface {
	Insert(ctx context.Context, tx pgx.Tx, m notify.Message) (notify.Notification, error)
}

// UserResolver resolves a user id or email to a user id, so that a user
// named literally is checked when the automation is saved (notify.Service).
type UserResolver interface {
	ResolveUser(ctx context.Context, ref string) (string, error)
}

// NotifyUser writes an in-app notification for one user. It is
// Transactional: the notification row (and its announcement to open
// streams) commits exactly with the step's completion, so a retried or
// rolled-back step never notifies twice or at all.
type NotifyUser struct {
	Notifications Notifier
	Users         UserResolver
}

// Name implements kind.Kind.
func (NotifyUser) Name() string { return "notify_user" }

// Summary implements kind.Kind.
func (NotifyUser) Summary() string {
	return "Send an in-app notification to a user (by id, email or template); it appears in GET /notifications and on the SSE stream when the step commits."
}

// NewConfig implements kind.Kind.
func (NotifyUser) NewConfig() any { return &NotifyUserConfig{} }

// Example implements kind.Kind. The user ada@example.com must exist.
func (NotifyUser) Example(string) any {
	return NotifyUserConfig{User: "ada@example.com", Title: "Order {{trigger.record.fields.Name}} is done",
		Body: "Status: {{trigger.record.fields.Status}}", Link: "/records/{{trigger.record.id}}"}
}

// Transactional implements kind.Transactional.
func (NotifyUser) Transactional() {}

// Validate implements kind.Action.
func (a NotifyUser) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*NotifyUserConfig)
	user := strings.TrimSpace(c.User)
	switch {
	case user == "":
		v.Add(loc+".user", "name a user: a user id (usr_…), an email address or a template")
	case !kind.IsTemplate(user) && a.Users != nil:
		if _, err := a.Users.ResolveUser(v.Context(), user); err != nil {
			v.Add(loc+".user", "%s", message(err))
		}
	}
	if strings.TrimSpace(c.Title) == "" {
		v.Add(loc+".title", "must not be empty")
	}
	// Lengths and the link's scheme are checked again after rendering.
	m := notify.Message{User: "x", Title: "x", Body: c.Body}
	if !kind.IsTemplate(c.Title) {
		m.Title = c.Title
	}
	if !kind.IsTemplate(c.Link) {
		m.Link = c.Link
	} else if !strings.HasPrefix(c.Link, "/") && !strings.HasPrefix(c.Link, "http://") && !strings.HasPrefix(c.Link, "https://") {
		v.Add(loc+".link", "must start with /, http:// or https:// (a template may fill the rest)")
	}
	if err := notify.Check(m, loc); err != nil {
		var re *rowflow.Error
		if errors.As(err, &re) && len(re.Details) > 0 {
			v.Add(re.Details[0].Location, "%s", re.Details[0].Message)
		}
	}
}

// Execute implements kind.Action: it needs the step's transaction
// (record.TxFrom), which the runtime gives Transactional actions.
func (a NotifyUser) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*NotifyUserConfig)
	tx, ok := record.TxFrom(ctx)
	if !ok {
		return nil, kind.Errf("notify_user runs only inside its step's transaction")
	}
	if strings.TrimSpace(c.User) == "" {
		return nil, kind.Errf("user: the template rendered empty (with {{trigger.cause.user_id}}: the change was not made with a token that belongs to a user)")
	}
	m := notify.Message{User: c.User, Title: c.Title, Body: c.Body, Link: c.Link,
		BaseID: s.BaseID, AutomationID: s.AutomationID, RunID: s.RunID, StepID: s.StepID, RecordID: triggerRecordID(s.Trigger)}
	// One notification per (run, step execution, user): each item of a
	// for_each notifies, a retry of one does not notify twice.
	n, err := a.Notifications.Insert(ctx, tx, m)
	if err != nil {
		return nil, err
	}
	return map[string]any{"notification_id": n.ID, "user_id": n.UserID}, nil
}

// Preview implements kind.Previewer: the recipient resolved and the
// notification checked as Insert checks it, nothing written or announced.
func (a NotifyUser) Preview(ctx context.Context, s *kind.StepContext, cfg any) (kind.Preview, error) {
	c := cfg.(*NotifyUserConfig)
	if strings.TrimSpace(c.User) == "" {
		return kind.Preview{}, kind.Errf("user: the template rendered empty (with {{trigger.cause.user_id}}: the change was not made with a token that belongs to a user)")
	}
	m := notify.Message{User: c.User, Title: c.Title, Body: c.Body, Link: c.Link,
		BaseID: s.BaseID, AutomationID: s.AutomationID, RecordID: triggerRecordID(s.Trigger)}
	if err := notify.Check(m, "config"); err != nil {
		return kind.Preview{}, kind.Errf("%s", message(err))
	}
	user := c.User
	if a.Users != nil {
		id, err := a.Users.ResolveUser(ctx, c.User)
		if err != nil {
			return kind.Preview{}, kind.Errf("user: %s", message(err))
		}
		user = id
	}
	req := map[string]any{"user_id": user, "title": m.Title}
	for k, v := range map[string]string{"body": m.Body, "link": m.Link, "record_id": m.RecordID} {
		if v != "" {
			req[k] = v
		}
	}
	return kind.Preview{Request: req, Note: "written and shown on the user's stream when the step commits"}, nil
}

// triggerRecordID is the id of the run's trigger record ("" for none).
func triggerRecordID(trigger map[string]any) string {
	rec, _ := trigger["record"].(map[string]any)
	id, _ := rec["id"].(string)
	return id
}

// message is err's text for a validation problem: a rowflow error's
// message, else the error.
func message(err error) string {
	var re *rowflow.Error
	if errors.As(err, &re) {
		if len(re.Details) > 0 {
			return re.Details[0].Message
		}
		return re.Message
	}
	return err.Error()
}
