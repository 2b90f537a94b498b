package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Auth modes of a webhook.
const (
	ModeHMAC   = "hmac"
	ModeBearer = "bearer"
	ModeBasic  = "basic"
	ModeNone   = "none"
)

// Defaults of a new webhook.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultRate         = 100
	DefaultBurst        = 200
	// DefaultGrace is how long a rotated-out secret stays valid.
	DefaultGrace = 24 * time.Hour
	// DedupeFor is how long a sender's delivery id is remembered.
	DedupeFor = 7 * 24 * time.Hour
)

// Opts configures a Service.
type Opts struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// NowFunc is the clock of signature timestamps and grace periods
	// (default time.Now).
	NowFunc func() time.Time
}

// Service is the incoming webhooks: their CRUD and secrets, and the
// requests they receive. It is safe for concurrent use.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	log  *slog.Logger
	now  func() time.Time
	// runs starts the runs of a request (set by SetRuntime).
	runs *automation.Runtime

	mu       sync.Mutex
	limiters map[string]*limiter
	mappings map[string]*compiledMapping
	received uint64
	// batch is the group commit of requests (ingest.go).
	batch *pgtx.Group[stored, Answer]
}

// limiter is a webhook's token bucket, for the rate it was built with.
type limiter struct {
	*rate.Limiter
	rate  float64
	burst int
}

// New returns a Service; SetRuntime must be called before it receives
// requests.
func New(opts Opts) *Service {
	s := &Service{pool: opts.Pool, q: db.New(opts.Pool), log: opts.Logger, now: opts.NowFunc,
		limiters: map[string]*limiter{}, mappings: map[string]*compiledMapping{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.batch = pgtx.NewGroup(maxBatch, maxCommitters, s.commitBatch)
	return s
}

// SetRuntime gives the service the automation runtime that starts the runs
// of its requests (the runtime's trigger kinds are built with the service,
// so it comes after).
func (s *Service) SetRuntime(rt *automation.Runtime) { s.runs = rt }

// Webhook is a webhook as the API shows it: never its secret.
type Webhook struct {
	ID     string `json:"id"`
	BaseID string `json:"base_id"`
	Name   string `json:"name"`
	// URL is the path senders POST to (the API adds scheme and host).
	URL     string            `json:"url"`
	Auth    Auth              `json:"auth"`
	Mapping map[string]string `json:"mapping"`
	// MaxBodyBytes, RatePerSecond, RateBurst are the request limits.
	MaxBodyBytes  int       `json:"max_body_bytes"`
	RatePerSecond float64   `json:"rate_per_second"`
	RateBurst     int       `json:"rate_burst"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// PreviousSecretUntil is when the secret before the last rotation
	// stops being accepted (nil: none is).
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
}

// Auth is a webhook's authentication mode.
type Auth struct {
	Mode string `json:"mode" enum:"hmac,bearer,basic,none" doc:"hmac: Standard Webhooks signature; bearer: Authorization: Bearer <secret>; basic: any user, the secret as password; none: the URL is the secret"`
}

// Input creates a webhook (every field) or patches one (nil: unchanged;
// the auth mode cannot change: create another webhook).
type Input struct {
	Name          *string            `json:"name,omitempty"`
	Auth          *Auth              `json:"auth,omitempty"`
	Mapping       *map[string]string `json:"mapping,omitempty"`
	MaxBodyBytes  *int               `json:"max_body_bytes,omitempty"`
	RatePerSecond *float64           `json:"rate_per_second,omitempty"`
	RateBurst     *int               `json:"rate_burst,omitempty"`
}

// Path is the trigger path of webhook id.
func Path(id string) string { return "/api/v1/webhooks/" + id + "/trigger" }

func fromRow(r db.Webhook) Webhook {
	w := Webhook{ID: r.ID, BaseID: r.BaseID, Name: r.Name, URL: Path(r.ID), Auth: Auth{Mode: r.AuthMode},
		MaxBodyBytes: int(r.MaxBodyBytes), RatePerSecond: r.RatePerSecond, RateBurst: int(r.RateBurst),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Mapping: map[string]string{}}
	_ = json.Unmarshal(r.Mapping, &w.Mapping)
	if r.PreviousUntil != nil && r.PreviousUntil.After(time.Now()) {
		w.PreviousSecretUntil = r.PreviousUntil
	}
	return w
}

// newSecret returns a fresh secret for mode: whsec_ + base64 of 24 random
// bytes for hmac (the Standard Webhooks form), a random token otherwise.
func newSecret(mode string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	switch mode {
	case ModeNone:
		return ""
	case ModeHMAC:
		return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
	}
	return "whk_secret_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Create creates a webhook in a base (editor) and returns it with its
// secret, which is never shown again.
func (s *Service) Create(ctx context.Context, baseID string, in Input) (Webhook, string, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleEditor); err != nil {
		return Webhook{}, "", err
	}
	p := db.CreateWebhookParams{ID: rowflow.NewID(rowflow.PrefixWebhook), BaseID: baseID,
		MaxBodyBytes: DefaultMaxBodyBytes, RatePerSecond: DefaultRate, RateBurst: DefaultBurst, Mapping: json.RawMessage("{}")}
	if in.Auth == nil {
		return Webhook{}, "", rowflow.Invalid("body.auth", "is required ({\"mode\": \"hmac\"|\"bearer\"|\"basic\"|\"none\"})")
	}
	p.AuthMode = in.Auth.Mode
	var err error
	if p.Name, p.Mapping, p.MaxBodyBytes, p.RatePerSecond, p.RateBurst, err = s.validate(in, p.Name, p.Mapping, p.MaxBodyBytes, p.RatePerSecond, p.RateBurst); err != nil {
		return Webhook{}, "", err
	}
	p.Secret = newSecret(p.AuthMode)
	row, err := s.q.CreateWebhook(ctx, p)
	if err != nil {
		return Webhook{}, "", fmt.Errorf("creating webhook: %w", err)
	}
	return fromRow(row), p.Secret, nil
}

// validate applies and checks the set fields of in.
func (s *Service) validate(in Input, name string, mapping json.RawMessage, maxBody int32, rps float64, burst int32) (string, json.RawMessage, int32, float64, int32, error) {
	var details []rowflow.ErrorDetail
	add := func(loc, msg string) { details = append(details, rowflow.ErrorDetail{Location: loc, Message: msg}) }
	if in.Auth != nil {
		switch in.Auth.Mode {
		case ModeHMAC, ModeBearer, ModeBasic, ModeNone:
		default:
			add("body.auth.mode", "must be hmac, bearer, basic or none")
		}
	}
	if in.Name != nil {
		name = *in.Name
	}
	if name == "" || len(name) > 200 {
		add("body.name", "must be 1–200 characters")
	}
	if in.Mapping != nil {
		for k, expr := range *in.Mapping {
			if _, err := compileExpr(expr); err != nil {
				add("body.mapping."+k, "bad jq expression: "+err.Error())
			}
			if !validName(k) {
				add("body.mapping."+k, "a mapping name is 1–64 letters, digits or _")
			}
		}
		mapping, _ = json.Marshal(*in.Mapping)
	}
	if in.MaxBodyBytes != nil {
		if *in.MaxBodyBytes < 1 || *in.MaxBodyBytes > 10<<20 {
			add("body.max_body_bytes", "must be between 1 and 10485760")
		}
		maxBody = int32(*in.MaxBodyBytes)
	}
	if in.RatePerSecond != nil {
		if *in.RatePerSecond <= 0 || *in.RatePerSecond > 10000 {
			add("body.rate_per_second", "must be more than 0 and at most 10000")
		}
		rps = *in.RatePerSecond
	}
	if in.RateBurst != nil {
		if *in.RateBurst < 1 || *in.RateBurst > 100000 {
			add("body.rate_burst", "must be between 1 and 100000")
		}
		burst = int32(*in.RateBurst)
	}
	if len(details) > 0 {
		return "", nil, 0, 0, 0, &rowflow.Error{Code: rowflow.CodeInvalid, Message: "the webhook is not valid", Details: details}
	}
	return name, mapping, maxBody, rps, burst, nil
}

func validName(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// load reads a webhook the caller may reach with role need.
func (s *Service) load(ctx context.Context, id, need string) (db.Webhook, error) {
	row, err := s.q.GetWebhook(ctx, id)
	if err := pgtx.NotFoundIf(err, "webhook", id); err != nil {
		return db.Webhook{}, err
	}
	if err := rowflow.CheckBase(ctx, row.BaseID, need); err != nil {
		if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
			return db.Webhook{}, rowflow.NotFound("webhook", id)
		}
		return db.Webhook{}, err
	}
	return row, nil
}

// Get returns a webhook (viewer).
func (s *Service) Get(ctx context.Context, id string) (Webhook, error) {
	row, err := s.load(ctx, id, rowflow.RoleViewer)
	return fromRow(row), err
}

// BaseOf returns the base of webhook id, for the webhook_received
// trigger's validation; NotFound when the caller cannot see it.
func (s *Service) BaseOf(ctx context.Context, id string) (string, error) {
	row, err := s.load(ctx, id, rowflow.RoleViewer)
	return row.BaseID, err
}

// List lists a base's webhooks (viewer).
func (s *Service) List(ctx context.Context, baseID string) ([]Webhook, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleViewer); err != nil {
		return nil, err
	}
	rows, err := s.q.ListWebhooks(ctx, baseID)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Update patches a webhook (editor).
func (s *Service) Update(ctx context.Context, id string, in Input) (Webhook, error) {
	row, err := s.load(ctx, id, rowflow.RoleEditor)
	if err != nil {
		return Webhook{}, err
	}
	if in.Auth != nil && in.Auth.Mode != row.AuthMode {
		return Webhook{}, rowflow.Invalid("body.auth.mode", "the auth mode of a webhook cannot change (it is %s): create another webhook", row.AuthMode)
	}
	p := db.UpdateWebhookParams{ID: id}
	if p.Name, p.Mapping, p.MaxBodyBytes, p.RatePerSecond, p.RateBurst, err = s.validate(in, row.Name, row.Mapping, row.MaxBodyBytes, row.RatePerSecond, row.RateBurst); err != nil {
		return Webhook{}, err
	}
	row, err = s.q.UpdateWebhook(ctx, p)
	if err != nil {
		return Webhook{}, pgtx.NotFoundIf(err, "webhook", id)
	}
	return fromRow(row), nil
}

// Delete deletes a webhook with its requests (editor). Its automations
// stay and fire no more.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := s.load(ctx, id, rowflow.RoleEditor); err != nil {
		return err
	}
	n, err := s.q.DeleteWebhook(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return rowflow.NotFound("webhook", id)
	}
	return nil
}

// RotateSecret gives a webhook a new secret (editor), returned once; the
// old one stays valid for grace (DefaultGrace when 0; negative: none).
func (s *Service) RotateSecret(ctx context.Context, id string, grace time.Duration) (Webhook, string, error) {
	row, err := s.load(ctx, id, rowflow.RoleEditor)
	if err != nil {
		return Webhook{}, "", err
	}
	if row.AuthMode == ModeNone {
		return Webhook{}, "", rowflow.Errorf(rowflow.CodeConflict, "a webhook with auth mode none has no secret: create another webhook for a new URL")
	}
	if grace == 0 {
		grace = DefaultGrace
	}
	until := s.now().Add(max(grace, 0))
	secret := newSecret(row.AuthMode)
	row, err = s.q.RotateWebhookSecret(ctx, db.RotateWebhookSecretParams{ID: id, Secret: secret, PreviousUntil: &until})
	if err != nil {
		return Webhook{}, "", pgtx.NotFoundIf(err, "webhook", id)
	}
	return fromRow(row), secret, nil
}

// inTx runs fn in one transaction.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgtx.Run(ctx, s.pool, s.log, fn)
}
