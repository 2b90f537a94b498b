package connection

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/outbound"
	"github.com/rowflow/rowflow/outbound/smtp"
)

// Connection types.
const (
	TypeSMTP  = "smtp"
	TypeSlack = "slack"
	TypeTeams = "teams"
)

// Mask stands for a secret in API answers. Sent back in a patch (as is, or
// kind.Redacted), it keeps the stored secret.
const Mask = "••••"

// Connection is the API view of a connection: Config holds the
// non-secret settings, and for every secret of the type "<name>": Mask and
// "has_<name>": true when it is set (false when not).
type Connection struct {
	ID        string         `json:"id" example:"con_01jd0000000000000000000000"`
	BaseID    string         `json:"base_id"`
	Name      string         `json:"name"`
	Type      string         `json:"type" enum:"smtp,slack,teams"`
	Config    map[string]any `json:"config"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Credentials is a connection with its secrets, for the actions that use
// it (Resolve). Exactly the field of its Type is filled.
type Credentials struct {
	ID     string
	BaseID string
	Name   string
	Type   string
	SMTP   smtp.Config
	Slack  Slack
	Teams  Teams
}

// Slack is a slack connection: an incoming webhook, or a bot token with
// the channel messages go to by default.
type Slack struct {
	WebhookURL     string `json:"webhook_url,omitempty"`
	BotToken       string `json:"bot_token,omitempty"`
	DefaultChannel string `json:"default_channel,omitempty"`
}

// Teams is a teams connection: a Teams Workflows webhook.
type Teams struct {
	WebhookURL string `json:"webhook_url,omitempty"`
}

// smtpConfig is the stored and accepted shape of an smtp connection.
type smtpConfig struct {
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	TLS      string `json:"tls,omitempty"`
	From     string `json:"from"`
}

// secretKeys are the secret config keys of each type.
var secretKeys = map[string][]string{
	TypeSMTP:  {"password"},
	TypeSlack: {"webhook_url", "bot_token"},
	TypeTeams: {"webhook_url"},
}

// SecretKeys lists the secret config keys of a connection type.
func SecretKeys(typ string) []string { return secretKeys[typ] }

// parsed is a whole config (secrets included) checked for its type.
type parsed struct {
	smtp  smtp.Config
	slack Slack
	teams Teams
}

// parse checks a whole config (a JSON object) for typ, reporting at
// "config.<key>".
func parse(typ string, cfg map[string]any) (parsed, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return parsed{}, rowflow.Invalid("config", "must be an object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p parsed
	switch typ {
	case TypeSMTP:
		var c smtpConfig
		if err := dec.Decode(&c); err != nil {
			return p, decodeProblem(err)
		}
		if c.TLS == "" {
			c.TLS = smtp.TLSStartTLS
		}
		if c.Port == 0 {
			c.Port = smtp.DefaultPort(c.TLS)
		}
		p.smtp = smtp.Config{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, TLS: c.TLS, From: c.From}
		if key, err := p.smtp.Check(); err != nil {
			return p, rowflow.Invalid("config."+key, "%s", err.Error())
		}
	case TypeSlack:
		if err := dec.Decode(&p.slack); err != nil {
			return p, decodeProblem(err)
		}
		s := p.slack
		switch {
		case s.WebhookURL == "" && s.BotToken == "":
			return p, rowflow.Invalid("config.webhook_url", "give webhook_url (an incoming webhook) or bot_token with default_channel")
		case s.WebhookURL != "" && s.BotToken != "":
			return p, rowflow.Invalid("config.bot_token", "give webhook_url or bot_token, not both")
		case s.WebhookURL != "":
			if err := outbound.ValidateURL(s.WebhookURL); err != nil {
				return p, rowflow.Invalid("config.webhook_url", "%s", strings.TrimPrefix(err.Error(), "outbound: "))
			}
		case strings.ContainsAny(s.BotToken, " \t\r\n"):
			return p, rowflow.Invalid("config.bot_token", "must be a Slack token (xoxb-…)")
		case strings.TrimSpace(s.DefaultChannel) == "":
			return p, rowflow.Invalid("config.default_channel", "a bot token needs the channel messages go to by default")
		}
	case TypeTeams:
		if err := dec.Decode(&p.teams); err != nil {
			return p, decodeProblem(err)
		}
		if err := outbound.ValidateURL(p.teams.WebhookURL); err != nil {
			return p, rowflow.Invalid("config.webhook_url", "%s", strings.TrimPrefix(err.Error(), "outbound: "))
		}
	default:
		return p, rowflow.Invalid("type", "must be smtp, slack or teams")
	}
	return p, nil
}

func decodeProblem(err error) error {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if k, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return rowflow.Invalid("config."+strings.Trim(k, `"`), "unknown setting")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return rowflow.Invalid("config."+te.Field, "must be a %s", te.Type.Kind())
	}
	// The message may not quote values: a secret could be one.
	return rowflow.Invalid("config", "is not a valid config")
}

// split separates a whole config into its stored non-secret part and its
// secrets.
func split(typ string, cfg map[string]any) (public map[string]any, secrets map[string]string) {
	public, secrets = map[string]any{}, map[string]string{}
	for k, v := range cfg {
		if isSecretKey(typ, k) {
			if s, _ := v.(string); s != "" {
				secrets[k] = s
			}
			continue
		}
		if v != nil && v != "" {
			public[k] = v
		}
	}
	return public, secrets
}

func isSecretKey(typ, k string) bool {
	for _, s := range secretKeys[typ] {
		if s == k {
			return true
		}
	}
	return false
}

// view is the API config: public settings plus a mask and has_<key> for
// every secret of the type.
func view(typ string, public map[string]any, secrets map[string]string) map[string]any {
	out := make(map[string]any, len(public)+2*len(secretKeys[typ]))
	for k, v := range public {
		out[k] = v
	}
	for _, k := range secretKeys[typ] {
		_, set := secrets[k]
		out["has_"+k] = set
		if set {
			out[k] = Mask
		}
	}
	return out
}

// isFlag reports a has_<secret> key of the answers.
func isFlag(typ, k string) bool {
	name, ok := strings.CutPrefix(k, "has_")
	return ok && isSecretKey(typ, name)
}

// isMask reports a secret sent back as it was shown.
func isMask(v any) bool {
	s, ok := v.(string)
	return ok && (s == Mask || s == "********")
}
