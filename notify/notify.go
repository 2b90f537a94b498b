package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/db"
)

// Channel is the PostgreSQL NOTIFY channel of new notifications.
const Channel = "rowflow_notifications"

// Limits of a notification's texts (characters).
const (
	MaxTitle = 500
	MaxBody  = 5000
	MaxLink  = 2000
)

// maxPayload is the largest NOTIFY payload sent whole (PostgreSQL's limit
// is 8000 bytes); a bigger notification is announced by id and read back.
const maxPayload = 7900

// Service writes and reads notifications. It is safe for concurrent use.
type Service struct {
	q *db.Queries
}

// New returns the notification service on pool.
func New(pool *pgxpool.Pool) *Service { return &Service{q: db.New(pool)} }

// Notification is one in-app notification of one user.
type Notification struct {
	ID           string     `json:"id" example:"ntf_01jd0000000000000000000000"`
	UserID       string     `json:"user_id" example:"usr_01jd0000000000000000000000"`
	Title        string     `json:"title" example:"Order 42 is done"`
	Body         string     `json:"body,omitempty"`
	Link         string     `json:"link,omitempty"`
	BaseID       string     `json:"base_id,omitempty"`
	AutomationID string     `json:"automation_id,omitempty"`
	RunID        string     `json:"run_id,omitempty"`
	StepID       string     `json:"step_id,omitempty"`
	RecordID     string     `json:"record_id,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ReadAt       *time.Time `json:"read_at" doc:"null while unread"`
}

func fromRow(r db.Notification) Notification {
	return Notification{ID: r.ID, UserID: r.UserID, Title: r.Title, Body: r.Body, Link: r.Link,
		BaseID: str(r.BaseID), AutomationID: str(r.AutomationID), RunID: str(r.RunID), StepID: str(r.StepID),
		RecordID: str(r.RecordID), CreatedAt: r.CreatedAt, ReadAt: r.ReadAt}
}

// Message is a notification to write: User is a user id (usr_…) or an
// email address; the rest says what it is about.
type Message struct {
	User         string
	Title        string
	Body         string
	Link         string
	BaseID       string
	AutomationID string
	RunID        string
	StepID       string
	RecordID     string
}

// Check validates m's texts, reporting at loc + ".title" and so on.
func Check(m Message, loc string) error {
	if strings.TrimSpace(m.User) == "" {
		return rowflow.Invalid(loc+".user", "name a user: a user id (usr_…) or an email address")
	}
	if strings.TrimSpace(m.Title) == "" {
		return rowflow.Invalid(loc+".title", "must not be empty")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"title", m.Title, MaxTitle}, {"body", m.Body, MaxBody}, {"link", m.Link, MaxLink}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return rowflow.Invalid(loc+"."+f.name, "must be at most %d characters (got %d)", f.max, utf8.RuneCountInString(f.v))
		}
		if strings.ContainsRune(f.v, 0) {
			return rowflow.Invalid(loc+"."+f.name, "must not contain a NUL character")
		}
	}
	return CheckLink(m.Link, loc+".link")
}

// CheckLink accepts "", a path of this site ("/…") or an http(s) URL: a
// link a browser follows must not run code (javascript:, data:).
func CheckLink(link, loc string) error {
	if link == "" {
		return nil
	}
	if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") {
		return nil
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return rowflow.Invalid(loc, "must be a path (/…) or an http(s) URL, got %q", link)
	}
	return nil
}

// Insert writes m in tx — the transaction that completes the step — and
// announces it on Channel in the same transaction, so the row and its
// announcement commit with the step or not at all. A message of a step
// (RunID and StepID set) already written for that user is not written
// again: the existing notification is answered.
func (s *Service) Insert(ctx context.Context, tx pgx.Tx, m Message) (Notification, error) {
	if err := Check(m, "config"); err != nil {
		return Notification{}, err
	}
	q := s.q.WithTx(tx)
	userID, err := resolveUser(ctx, q, strings.TrimSpace(m.User))
	if err != nil {
		return Notification{}, err
	}
	row, err := q.InsertNotification(ctx, db.InsertNotificationParams{ID: rowflow.NewID(rowflow.PrefixNotification),
		UserID: userID, Title: m.Title, Body: m.Body, Link: m.Link, BaseID: ptr(m.BaseID),
		AutomationID: ptr(m.AutomationID), RunID: ptr(m.RunID), StepID: ptr(m.StepID), RecordID: ptr(m.RecordID)})
	if errors.Is(err, pgx.ErrNoRows) {
		row, err = q.GetStepNotification(ctx, db.GetStepNotificationParams{RunID: ptr(m.RunID), StepID: ptr(m.StepID), UserID: userID})
		if err != nil {
			return Notification{}, fmt.Errorf("reading the notification of step %s of %s: %w", m.StepID, m.RunID, err)
		}
		return fromRow(row), nil
	}
	if err != nil {
		return Notification{}, fmt.Errorf("inserting a notification: %w", err)
	}
	n := fromRow(row)
	payload, _ := json.Marshal(n)
	if len(payload) > maxPayload {
		payload, _ = json.Marshal(announcement{ID: n.ID, UserID: n.UserID, Ref: true})
	}
	if err := q.NotifyNotification(ctx, string(payload)); err != nil {
		return Notification{}, fmt.Errorf("announcing notification %s: %w", n.ID, err)
	}
	return n, nil
}

// announcement is the NOTIFY payload of a notification too big to send
// whole: the Hub reads it by id.
type announcement struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Ref    bool   `json:"ref"`
}

// resolveUser turns a user id or an email into a user id.
func resolveUser(ctx context.Context, q *db.Queries, ref string) (string, error) {
	if strings.HasPrefix(ref, rowflow.PrefixUser) {
		if _, err := q.GetUser(ctx, ref); errors.Is(err, pgx.ErrNoRows) {
			return "", rowflow.Invalid("config.user", "no user %q", ref)
		} else if err != nil {
			return "", err
		}
		return ref, nil
	}
	if _, err := auth.CheckEmail("config.user", ref); err != nil {
		return "", rowflow.Invalid("config.user", "%q is neither a user id (usr_…) nor an email address", ref)
	}
	u, err := q.GetUserByEmail(ctx, ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", rowflow.Invalid("config.user", "no user with email %q", ref)
	}
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// Scope is whose notifications a caller sees: its token's user's, and of
// those, for a base-scoped token, only the ones of its bases (a
// notification of another base does not exist for it: 404).
type Scope struct {
	UserID string
	// BaseIDs nil: every base.
	BaseIDs []string
}

// ScopeOf is the scope of the calling token, or auth.ErrNoUser.
func ScopeOf(ctx context.Context) (Scope, error) {
	userID, err := auth.CurrentUserID(ctx)
	if err != nil {
		return Scope{}, err
	}
	p := rowflow.PrincipalFrom(ctx)
	sc := Scope{UserID: userID}
	if !p.System && p.BaseIDs != nil {
		sc.BaseIDs = p.BaseIDs
	}
	return sc, nil
}

// Sees reports whether a caller of scope sc sees n.
func (sc Scope) Sees(n Notification) bool {
	return n.UserID == sc.UserID && (sc.BaseIDs == nil || slices.Contains(sc.BaseIDs, n.BaseID))
}

// List answers the calling token's user's notifications, newest first,
// before the cursor (the last id of the previous page); unreadOnly keeps
// the unread ones.
func (s *Service) List(ctx context.Context, unreadOnly bool, cursor string, limit int) ([]Notification, error) {
	sc, err := ScopeOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListNotifications(ctx, db.ListNotificationsParams{UserID: sc.UserID, Before: cursor, UnreadOnly: unreadOnly, Allowed: sc.BaseIDs, Lim: int32(limit)})
	if err != nil {
		return nil, err
	}
	return fromRows(rows), nil
}

// After answers the notifications of scope sc created after id after,
// oldest first (what a reconnecting stream missed).
func (s *Service) After(ctx context.Context, sc Scope, after string, limit int) ([]Notification, error) {
	rows, err := s.q.ListNotificationsAfter(ctx, db.ListNotificationsAfterParams{UserID: sc.UserID, After: after, Allowed: sc.BaseIDs, Lim: int32(limit)})
	if err != nil {
		return nil, err
	}
	return fromRows(rows), nil
}

// Newest is the id of userID's newest notification ("" for none).
func (s *Service) Newest(ctx context.Context, userID string) (string, error) {
	return s.q.NewestNotificationID(ctx, userID)
}

// get reads one notification (the Hub, for announcements by id).
func (s *Service) get(ctx context.Context, id string) (Notification, error) {
	row, err := s.q.GetNotification(ctx, id)
	if err != nil {
		return Notification{}, err
	}
	return fromRow(row), nil
}

// MarkRead marks one of the calling user's notifications read (again is
// fine: read_at keeps its first value). Another user's notification does
// not exist (404).
func (s *Service) MarkRead(ctx context.Context, id string) (Notification, error) {
	sc, err := ScopeOf(ctx)
	if err != nil {
		return Notification{}, err
	}
	row, err := s.q.MarkNotificationRead(ctx, db.MarkNotificationReadParams{ID: id, UserID: sc.UserID, Allowed: sc.BaseIDs})
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, rowflow.NotFound("notification", id)
	}
	if err != nil {
		return Notification{}, err
	}
	return fromRow(row), nil
}

// MarkAllRead marks every unread notification of the calling user read
// and answers how many were.
func (s *Service) MarkAllRead(ctx context.Context) (int, error) {
	sc, err := ScopeOf(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.q.MarkAllNotificationsRead(ctx, db.MarkAllNotificationsReadParams{UserID: sc.UserID, Allowed: sc.BaseIDs})
	return int(n), err
}

// Unread counts the calling user's unread notifications.
func (s *Service) Unread(ctx context.Context) (int, error) {
	sc, err := ScopeOf(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.q.CountUnreadNotifications(ctx, db.CountUnreadNotificationsParams{UserID: sc.UserID, Allowed: sc.BaseIDs})
	return int(n), err
}

func fromRows(rows []db.Notification) []Notification {
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ResolveUser resolves a user id (usr_…) or an email address to the id of
// an existing user; an unknown one is an invalid error at "config.user".
func (s *Service) ResolveUser(ctx context.Context, ref string) (string, error) {
	return resolveUser(ctx, s.q, strings.TrimSpace(ref))
}
