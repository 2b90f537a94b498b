package rowflow

import "context"

// Cause says who or what made a write. A write made by an automation's run
// carries that run and its depth, so the runs it triggers get depth+1 (loop
// protection).
type Cause struct {
	// Kind is token | admin | form | automation | system.
	Kind  string `json:"kind"`
	ID    string `json:"id,omitempty"` // token id, form id or automation id
	RunID string `json:"run_id,omitempty"`
	Depth int    `json:"depth,omitempty"`
	// UserID is the user whose token caused the write, directly or through
	// the runs it started (a step's writes carry its run's user): "" when
	// no user's token is at the origin.
	UserID string `json:"user_id,omitempty"`
}

type causeKey struct{}

// WithCause returns ctx whose writes are attributed to c.
func WithCause(ctx context.Context, c Cause) context.Context {
	return context.WithValue(ctx, causeKey{}, c)
}

// CauseFrom returns the cause of writes made with ctx: the one set with
// WithCause, else the admin token or the calling token, else the system.
func CauseFrom(ctx context.Context) Cause {
	if c, ok := ctx.Value(causeKey{}).(Cause); ok {
		return c
	}
	p, ok := ctx.Value(principalKey{}).(Principal)
	switch {
	case !ok:
		return Cause{Kind: "system"}
	case p.System && p.TokenID == AdminTokenID:
		return Cause{Kind: "admin"}
	case p.TokenID != "":
		return Cause{Kind: "token", ID: p.TokenID, UserID: p.UserID}
	}
	return Cause{Kind: "system"}
}
