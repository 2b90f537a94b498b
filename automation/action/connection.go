package action

import (
	"context"

	"github.com/rowflow/rowflow/connection"
)

// Connections is what the messaging actions need of the connection
// service: a connection's credentials, looked up within the run's base (a
// connection of another base is not found). *connection.Service
// implements it.
type Connections interface {
	Resolve(ctx context.Context, baseID, id string) (*connection.Credentials, error)
}

// connectionSecrets are the config keys of the messaging actions that name
// credentials; they are redacted wherever they appear although the
// actions only reference connections by id (a user may paste one).
var connectionSecrets = []string{"password", "bot_token", "webhook_url"}

// resolveAt checks at save time that id names a connection of typ in the
// automation's base, reporting at loc.
func resolveAt(v interface {
	Context() context.Context
	BaseID() string
	Add(loc, format string, args ...any)
}, conns Connections, id, typ, loc string) *connection.Credentials {
	if conns == nil {
		v.Add(loc, "connections are not available in this process")
		return nil
	}
	c, err := conns.Resolve(v.Context(), v.BaseID(), id)
	if err != nil {
		v.Add(loc, "no connection %q in this base", id)
		return nil
	}
	if c.Type != typ {
		v.Add(loc, "connection %q is a %s connection; this action needs %s", id, c.Type, typ)
		return nil
	}
	return c
}
