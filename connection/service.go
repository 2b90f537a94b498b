package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/outbound/slack"
	"github.com/rowflow/rowflow/outbound/smtp"
	"github.com/rowflow/rowflow/outbound/teams"
)

// MaxListLimit caps a page of List.
const MaxListLimit = 1000

// Opts configures a Service.
type Opts struct {
	Pool *pgxpool.Pool
	Keys *Keyring
	// SMTP, Slack and Teams are the clients Test uses (the outbound
	// guard's, as the actions use them).
	SMTP  *smtp.Sender
	Slack *slack.Client
	Teams *teams.Client
}

// Service is the connection service. Safe for concurrent use.
type Service struct {
	q     *db.Queries
	keys  *Keyring
	smtp  *smtp.Sender
	slack *slack.Client
	teams *teams.Client
}

// New returns the service.
func New(o Opts) *Service {
	return &Service{q: db.New(o.Pool), keys: o.Keys, smtp: o.SMTP, slack: o.Slack, teams: o.Teams}
}

// Input creates a connection.
type Input struct {
	Name   string
	Type   string
	Config map[string]any
}

// Patch changes a connection: a nil Name keeps it; Config keys given
// replace the stored ones (null removes a setting), keys omitted — and
// secrets sent back as the mask — keep theirs. The type never changes.
type Patch struct {
	Name   *string
	Config map[string]any
}

// Create stores a new connection of base baseID (editor).
func (s *Service) Create(ctx context.Context, baseID string, in Input) (Connection, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleEditor); err != nil {
		return Connection{}, err
	}
	if _, err := s.q.GetBase(ctx, baseID); err != nil {
		return Connection{}, notFoundOr(err, rowflow.NotFound("base", baseID))
	}
	name := strings.TrimSpace(in.Name)
	if err := rowflow.CheckName("name", name); err != nil {
		return Connection{}, err
	}
	if _, ok := secretKeys[in.Type]; !ok {
		return Connection{}, rowflow.Invalid("type", "must be smtp, slack or teams")
	}
	cfg := map[string]any{}
	for k, v := range in.Config {
		if isFlag(in.Type, k) {
			continue
		}
		if isMask(v) {
			return Connection{}, rowflow.Invalid("config."+k, "give the secret itself")
		}
		cfg[k] = v
	}
	if _, err := parse(in.Type, cfg); err != nil {
		return Connection{}, err
	}
	id := rowflow.NewID(rowflow.PrefixConnection)
	public, secrets := split(in.Type, cfg)
	pubJSON, sealed, err := s.encode(id, baseID, public, secrets)
	if err != nil {
		return Connection{}, err
	}
	row, err := s.q.CreateConnection(ctx, db.CreateConnectionParams{ID: id, BaseID: baseID, Name: name, Type: in.Type, Config: pubJSON, Secrets: sealed})
	if err != nil {
		return Connection{}, fmt.Errorf("storing connection: %w", err)
	}
	return viewOf(row, secrets), nil
}

// Get returns a connection (viewer of its base).
func (s *Service) Get(ctx context.Context, id string) (Connection, error) {
	row, secrets, err := s.load(ctx, id, rowflow.RoleViewer)
	if err != nil {
		return Connection{}, err
	}
	return viewOf(row, secrets), nil
}

// List returns up to limit connections of a base after the cursor id.
func (s *Service) List(ctx context.Context, baseID, cursor string, limit int) ([]Connection, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleViewer); err != nil {
		return nil, err
	}
	if _, err := s.q.GetBase(ctx, baseID); err != nil {
		return nil, notFoundOr(err, rowflow.NotFound("base", baseID))
	}
	if limit <= 0 || limit > MaxListLimit+1 {
		limit = MaxListLimit + 1
	}
	rows, err := s.q.ListConnections(ctx, db.ListConnectionsParams{BaseID: baseID, After: cursor, Lim: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Connection, 0, len(rows))
	for _, r := range rows {
		secrets, err := s.open(r)
		if err != nil {
			return nil, err
		}
		out = append(out, viewOf(r, secrets))
	}
	return out, nil
}

// Update applies a patch (editor of its base).
func (s *Service) Update(ctx context.Context, id string, p Patch) (Connection, error) {
	row, secrets, err := s.load(ctx, id, rowflow.RoleEditor)
	if err != nil {
		return Connection{}, err
	}
	name := row.Name
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
		if err := rowflow.CheckName("name", name); err != nil {
			return Connection{}, err
		}
	}
	cfg := map[string]any{}
	if err := json.Unmarshal(row.Config, &cfg); err != nil {
		return Connection{}, fmt.Errorf("reading connection %s: %w", id, err)
	}
	for k, v := range secrets {
		cfg[k] = v
	}
	for k, v := range p.Config {
		switch {
		case isFlag(row.Type, k):
			// has_<secret>, sent back from an answer: read-only.
		case isMask(v) && isSecretKey(row.Type, k):
		case v == nil:
			delete(cfg, k)
		default:
			cfg[k] = v
		}
	}
	if _, err := parse(row.Type, cfg); err != nil {
		return Connection{}, err
	}
	public, secrets := split(row.Type, cfg)
	pubJSON, sealed, err := s.encode(row.ID, row.BaseID, public, secrets)
	if err != nil {
		return Connection{}, err
	}
	row, err = s.q.UpdateConnection(ctx, db.UpdateConnectionParams{ID: row.ID, Name: name, Config: pubJSON, Secrets: sealed})
	if err != nil {
		return Connection{}, notFoundOr(err, rowflow.NotFound("connection", id))
	}
	return viewOf(row, secrets), nil
}

// Delete removes a connection (editor of its base). Automations naming it
// fail their step with "connection not found" until they are changed.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, _, err := s.load(ctx, id, rowflow.RoleEditor); err != nil {
		return err
	}
	n, err := s.q.DeleteConnection(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return rowflow.NotFound("connection", id)
	}
	return nil
}

// Resolve returns the credentials of connection id for an action running
// in base baseID; a connection of another base is not found. It checks no
// principal: the run's base is the scope.
func (s *Service) Resolve(ctx context.Context, baseID, id string) (*Credentials, error) {
	row, err := s.q.GetConnection(ctx, id)
	if err != nil || row.BaseID != baseID {
		return nil, notFoundOr(err, rowflow.NotFound("connection", id))
	}
	secrets, err := s.open(row)
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{}
	if err := json.Unmarshal(row.Config, &cfg); err != nil {
		return nil, fmt.Errorf("reading connection %s: %w", id, err)
	}
	for k, v := range secrets {
		cfg[k] = v
	}
	p, err := parse(row.Type, cfg)
	if err != nil {
		return nil, fmt.Errorf("connection %s no longer validates: %w", id, err)
	}
	return &Credentials{ID: row.ID, BaseID: row.BaseID, Name: row.Name, Type: row.Type, SMTP: p.smtp, Slack: p.slack, Teams: p.teams}, nil
}

// TestResult is the answer of Test.
type TestResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Test tries a connection (editor): SMTP connects, says EHLO, upgrades to
// TLS and authenticates; Slack calls auth.test for a bot token (a webhook
// cannot be tried without posting: its URL is checked); Teams checks the
// URL (the same reason). A failure is an answer, not an error.
func (s *Service) Test(ctx context.Context, id string) (TestResult, error) {
	row, _, err := s.load(ctx, id, rowflow.RoleEditor)
	if err != nil {
		return TestResult{}, err
	}
	c, err := s.Resolve(ctx, row.BaseID, id)
	if err != nil {
		return TestResult{}, err
	}
	switch c.Type {
	case TypeSMTP:
		err = s.smtp.Check(ctx, c.SMTP)
	case TypeSlack:
		if c.Slack.BotToken != "" {
			err = s.slack.AuthTest(ctx, c.Slack.BotToken)
		}
	}
	if err != nil {
		return TestResult{Error: scrub(err.Error(), c)}, nil
	}
	return TestResult{OK: true}, nil
}

// Rekey re-seals every connection sealed with a previous key with the
// current one (key rotation) and returns how many it changed.
func (s *Service) Rekey(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		rows, err := s.q.ListAllConnections(ctx, db.ListAllConnectionsParams{After: after, Lim: 200})
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		for _, r := range rows {
			after = r.ID
			if r.Secrets == nil || s.keys.Current(r.Secrets) {
				continue
			}
			plain, err := s.keys.Open(r.Secrets, aad(r.ID, r.BaseID))
			if err != nil {
				return n, fmt.Errorf("connection %s: %w", r.ID, err)
			}
			sealed, err := s.keys.Seal(plain, aad(r.ID, r.BaseID))
			if err != nil {
				return n, err
			}
			if err := s.q.SetConnectionSecrets(ctx, db.SetConnectionSecretsParams{ID: r.ID, Secrets: sealed}); err != nil {
				return n, err
			}
			n++
		}
	}
}

// load reads a connection the caller may reach with role need; outside
// its bases it does not exist.
func (s *Service) load(ctx context.Context, id, need string) (db.Connection, map[string]string, error) {
	row, err := s.q.GetConnection(ctx, id)
	if err != nil {
		return row, nil, notFoundOr(err, rowflow.NotFound("connection", id))
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return row, nil, rowflow.NotFound("connection", id)
	}
	if err := rowflow.CheckRole(rowflow.PrincipalFrom(ctx), need); err != nil {
		return row, nil, err
	}
	secrets, err := s.open(row)
	return row, secrets, err
}

func (s *Service) encode(id, baseID string, public map[string]any, secrets map[string]string) ([]byte, []byte, error) {
	pubJSON, err := json.Marshal(public)
	if err != nil {
		return nil, nil, err
	}
	if len(secrets) == 0 {
		return pubJSON, nil, nil
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := s.keys.Seal(plain, aad(id, baseID))
	return pubJSON, sealed, err
}

func (s *Service) open(row db.Connection) (map[string]string, error) {
	out := map[string]string{}
	if row.Secrets == nil {
		return out, nil
	}
	plain, err := s.keys.Open(row.Secrets, aad(row.ID, row.BaseID))
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", row.ID, err)
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("connection %s: secrets are not JSON", row.ID)
	}
	return out, nil
}

// aad binds sealed secrets to their row: copied to another connection or
// base, they do not open.
func aad(id, baseID string) []byte { return []byte("connection\x00" + id + "\x00" + baseID) }

func viewOf(row db.Connection, secrets map[string]string) Connection {
	public := map[string]any{}
	_ = json.Unmarshal(row.Config, &public)
	return Connection{ID: row.ID, BaseID: row.BaseID, Name: row.Name, Type: row.Type,
		Config: view(row.Type, public, secrets), CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
}

// scrub removes c's secrets from a message shown to a client.
func scrub(msg string, c *Credentials) string {
	for _, s := range []string{c.SMTP.Password, c.Slack.BotToken, c.Slack.WebhookURL, c.Teams.WebhookURL} {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, Mask)
		}
	}
	return msg
}

func notFoundOr(err error, nf error) error {
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		return nf
	}
	return err
}
