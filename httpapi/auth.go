package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/auth"
)

// Operation metadata key "auth": authNone (no token looked at),
// authOptional (a token is used when given: public forms), or unset
// (a valid token is required).
const (
	authNone     = "none"
	authOptional = "optional"
	// authQuery: a token is required, and may also come as the
	// access_token query parameter (EventSource cannot send headers).
	authQuery = "query"
)

type anonymousKey struct{}

// authMiddleware resolves the bearer token of every operation into the
// principal of the request context; the services enforce base
// scoping and roles from it. A client IP that failed authentication too
// often, and a token that made too many requests, get 429 (RateLimits).
func authMiddleware(api huma.API, tokens *auth.Tokens, adminToken string, limits *limiters) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		mode, _ := ctx.Operation().Metadata["auth"].(string)
		if mode == authNone {
			next(ctx)
			return
		}
		secret, ok := bearer(ctx.Header("Authorization"))
		if !ok && mode == authQuery {
			secret = ctx.Query("access_token")
			ok = secret != ""
		}
		if !ok && mode == authOptional {
			next(huma.WithValue(ctx, anonymousKey{}, true))
			return
		}
		if !ok {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="rowflow"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
			return
		}
		ip := clientIP(ctx.RemoteAddr())
		if blocked, wait := limits.authFailures.blocked(ip); blocked {
			tooMany(api, ctx, wait, "failed authentications from this address")
			return
		}
		p, err := tokens.Authenticate(ctx.Context(), secret, adminToken)
		if err != nil {
			status := http.StatusUnauthorized
			msg := "invalid token"
			if rowflow.ErrorCode(err) != rowflow.CodeUnauthorized {
				status, msg = http.StatusServiceUnavailable, "cannot check the token right now"
			} else {
				limits.authFailures.take(ip)
			}
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="rowflow"`)
			_ = huma.WriteErr(api, ctx, status, msg)
			return
		}
		if ok, wait := limits.tokens.take(tokenKey(secret)); !ok {
			tooMany(api, ctx, wait, "requests with this token")
			return
		}
		next(huma.WithContext(ctx, rowflow.WithPrincipal(ctx.Context(), p)))
	}
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// riverUIAuth lets only owners (or the admin token) reach River UI. A
// browser gets a Basic challenge: any user name, the token as password.
// Bearer tokens work too, for scripts. Because a browser attaches Basic
// credentials to any request, even one a foreign page makes, unsafe
// methods (POST, PUT, PATCH, DELETE) whose Origin or Sec-Fetch-Site is not
// our own are refused with 403 before anything else
// (http.CrossOriginProtection); clients that send neither (curl, scripts)
// are not browsers and go through.
//
// A browser logged in to the console (sessions non-nil) is let in by its
// session cookie alone, under the same rule (an owner reaching every
// base, or the admin token); the cookie is SameSite=Strict and the
// cross-origin check above still applies.
//
// Failed passwords count against the client IP's failed-authentication
// limit, as on the API.
func riverUIAuth(tokens *auth.Tokens, sessions *auth.Sessions, adminToken string, limits *limiters, next http.Handler) http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused: River UI accepts changes only from its own pages", http.StatusForbidden)
	}))
	return csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			_, secret, ok = r.BasicAuth()
		}
		if !ok && sessions != nil {
			if sess, err := sessions.FromRequest(r); err == nil {
				if p := sess.Principal; p.System || (p.Role == rowflow.RoleOwner && p.BaseIDs == nil) {
					next.ServeHTTP(w, r)
					return
				}
				http.Error(w, "River UI needs an owner token that reaches every base", http.StatusForbidden)
				return
			}
		}
		if ok {
			ip := clientIP(r.RemoteAddr)
			if blocked, wait := limits.authFailures.blocked(ip); blocked {
				w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
				http.Error(w, "too many failed authentications from this address", http.StatusTooManyRequests)
				return
			}
			p, err := tokens.Authenticate(r.Context(), secret, adminToken)
			if err != nil && rowflow.ErrorCode(err) == rowflow.CodeUnauthorized {
				limits.authFailures.take(ip)
			}
			if err == nil && (p.System || (p.Role == rowflow.RoleOwner && p.BaseIDs == nil)) {
				next.ServeHTTP(w, r)
				return
			}
			if err == nil {
				http.Error(w, "River UI needs an owner token that reaches every base", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="rowflow River UI (password: an owner token)", charset="UTF-8"`)
		http.Error(w, "authentication required: use an owner token as the password", http.StatusUnauthorized)
	}))
}

func isAnonymous(ctx interface{ Value(any) any }) bool {
	v, _ := ctx.Value(anonymousKey{}).(bool)
	return v
}
