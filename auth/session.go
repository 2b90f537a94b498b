package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// SessionCookie is the name of the browser session cookie of the runs
// console and River UI.
const SessionCookie = "rowflow_session"

// SessionTTL is how long a console session lives after its login.
const SessionTTL = 12 * time.Hour

// Sessions are browser sessions: a person logs in once with an access
// token and the browser then carries an HttpOnly, SameSite=Strict cookie
// instead of the token. The server keeps the session (only the SHA-256
// of the cookie value is stored), so a session ends on logout, at expiry,
// or when its token is deleted. Each session has a CSRF token that every
// mutating form must send back. Safe for concurrent use.
type Sessions struct {
	q          *db.Queries
	tokens     *Tokens
	adminToken string
}

// NewSessions returns the session service on pool; tokens checks the
// token given at login, adminToken (may be "") is the admin token.
func NewSessions(pool *pgxpool.Pool, tokens *Tokens, adminToken string) *Sessions {
	return &Sessions{q: db.New(pool), tokens: tokens, adminToken: adminToken}
}

// Session is a resolved browser session: who it acts as and its CSRF
// token.
type Session struct {
	Principal rowflow.Principal
	CSRF      string
}

// Login checks secret like a bearer token (the admin token included) and
// opens a session for it, returning the cookie value to set and the
// session. An unknown secret is an unauthorized error. Each login also
// deletes the expired sessions (of anyone).
func (s *Sessions) Login(ctx context.Context, secret string) (string, Session, error) {
	p, err := s.tokens.Authenticate(ctx, secret, s.adminToken)
	if err != nil {
		return "", Session{}, err
	}
	if _, err := s.DeleteExpired(ctx); err != nil {
		return "", Session{}, fmt.Errorf("deleting expired sessions: %w", err)
	}
	value, err := randomString()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomString()
	if err != nil {
		return "", Session{}, err
	}
	params := db.CreateConsoleSessionParams{IDHash: HashToken(value), Csrf: csrf, ExpiresAt: time.Now().Add(SessionTTL)}
	if p.System {
		params.AdminHash = HashToken(secret)
	} else {
		params.TokenID = &p.TokenID
	}
	if err := s.q.CreateConsoleSession(ctx, params); err != nil {
		return "", Session{}, fmt.Errorf("opening a session: %w", err)
	}
	return value, Session{Principal: p, CSRF: csrf}, nil
}

// Get resolves a cookie value to its live session; an unknown, expired
// or revoked one is an unauthorized error.
func (s *Sessions) Get(ctx context.Context, value string) (Session, error) {
	if value == "" {
		return Session{}, rowflow.Errorf(rowflow.CodeUnauthorized, "no session")
	}
	row, err := s.q.GetConsoleSession(ctx, HashToken(value))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, rowflow.Errorf(rowflow.CodeUnauthorized, "no such session (expired or logged out)")
	}
	if err != nil {
		return Session{}, fmt.Errorf("looking up session: %w", err)
	}
	if row.TokenID == nil {
		// An admin session holds only while its admin token is the
		// configured one.
		if s.adminToken == "" || subtle.ConstantTimeCompare(row.AdminHash, HashToken(s.adminToken)) != 1 {
			return Session{}, rowflow.Errorf(rowflow.CodeUnauthorized, "the admin token of this session changed")
		}
		return Session{Principal: rowflow.Principal{System: true, Role: rowflow.RoleOwner, TokenID: rowflow.AdminTokenID}, CSRF: row.Csrf}, nil
	}
	if row.Role == nil {
		return Session{}, rowflow.Errorf(rowflow.CodeUnauthorized, "the token of this session was deleted")
	}
	return Session{Principal: rowflow.Principal{TokenID: *row.TokenID, Role: *row.Role, BaseIDs: row.BaseIds, UserID: deref(row.UserID)}, CSRF: row.Csrf}, nil
}

// FromRequest resolves the session cookie of r.
func (s *Sessions) FromRequest(r *http.Request) (Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return Session{}, rowflow.Errorf(rowflow.CodeUnauthorized, "no session")
	}
	return s.Get(r.Context(), c.Value)
}

// Logout ends the session of cookie value (nothing when there is none).
func (s *Sessions) Logout(ctx context.Context, value string) error {
	return s.q.DeleteConsoleSession(ctx, HashToken(value))
}

// DeleteExpired removes expired sessions and reports how many.
func (s *Sessions) DeleteExpired(ctx context.Context) (int64, error) {
	return s.q.DeleteExpiredConsoleSessions(ctx)
}

// CheckCSRF reports whether got is the session's CSRF token (constant
// time).
func (sess Session) CheckCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// SessionCookieFor is the cookie that carries value: HttpOnly,
// SameSite=Strict, for the whole site (the console and River UI), Secure
// when the request came over HTTPS (SecureRequest). maxAge < 0 deletes it.
func SessionCookieFor(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: SecureRequest(r)}
}

// SecureRequest reports whether r came over HTTPS: TLS to this server, or
// a proxy that terminated TLS and says so (X-Forwarded-Proto: https).
// Trusting the header only ever adds Secure to a cookie, which a client
// cannot turn to its advantage.
func SecureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func randomString() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}
