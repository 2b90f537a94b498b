// Package console is the runs console: server-rendered HTML pages
// (html/template, embedded with embed, one small vendored script, nothing
// from a CDN) where a person sees every automation's health and every
// run's story, under /console/.
//
//	/console/login                 token → server-side session (auth.Sessions), cookie HttpOnly SameSite=Strict
//	/console/                      automations of the bases the session sees: 24 h runs, success rate, p95, sparkline
//	/console/automations/{id}      definition (secrets redacted), versions, stats charts, run list (filters, cursor)
//	/console/runs/{id}             trigger data, condition trace, steps; retry / cancel / replay / dry-run
//	…/events                       Server-Sent Events fed by runfeed (LISTEN/NOTIFY): live rows and run state
//
// Every page calls the same runtime and record service methods as the
// API, with the session's principal in the context, so base scoping and
// roles are exactly the API's. Every POST carries the session's CSRF
// token (403 without it) and passes http.CrossOriginProtection.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/runfeed"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Opts are what the console needs.
type Opts struct {
	// Records and Automations are the services every page calls with
	// the session's principal.
	Records     *record.Service
	Automations *automation.Runtime
	// Sessions resolves the session cookie and opens sessions at login.
	Sessions *auth.Sessions
	// Feed is the run feed the live pages listen to (nil: pages are not
	// live).
	Feed   *runfeed.Feed
	Logger *slog.Logger
	// DryRun, when set, evaluates an automation again against a run's
	// trigger data without effects ("dry-run this again"); nil hides the
	// button.
	DryRun func(ctx context.Context, automationID string, runID string) (json.RawMessage, error)
	// RiverUI is shown as a link in the header when true.
	RiverUI bool
	// Heartbeat is how often an idle event stream is pinged and its
	// session checked again (0: DefaultHeartbeat).
	Heartbeat time.Duration
}

// Console is the console's http.Handler (paths start with /console/).
type Console struct {
	opts Opts
	tmpl map[string]*template.Template
	mux  http.Handler
	log  *slog.Logger
}

// New builds the console's routes and parses its templates (a template
// that does not parse panics: they are embedded, so that is a build bug).
func New(opts Opts) *Console {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{opts: opts, log: opts.Logger.With("component", "console"), tmpl: parseTemplates()}
	r := chi.NewRouter()
	static, _ := fs.Sub(staticFS, "static")
	r.Handle("/console/static/*", http.StripPrefix("/console/static/", staticHandler(http.FileServerFS(static))))
	r.Get("/console/login", c.loginPage)
	r.Post("/console/login", c.login)
	r.Group(func(r chi.Router) {
		r.Use(c.authenticated, c.csrf)
		r.Post("/console/logout", c.logout)
		r.Get("/console/", c.listPage)
		r.Post("/console/automations/{id}/enable", c.setEnabled(true))
		r.Post("/console/automations/{id}/disable", c.setEnabled(false))
		r.Get("/console/automations/{id}", c.automationPage)
		r.Get("/console/automations/{id}/events", c.automationEvents)
		r.Get("/console/runs/{id}", c.runPage)
		r.Get("/console/runs/{id}/events", c.runEvents)
		r.Post("/console/runs/{id}/retry", c.runAction("retry"))
		r.Post("/console/runs/{id}/cancel", c.runAction("cancel"))
		r.Post("/console/runs/{id}/replay", c.runAction("replay"))
		r.Post("/console/runs/{id}/dry-run", c.dryRun)
	})
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		c.fail(w, req, rowflow.Errorf(rowflow.CodeNotFound, "no such page: %s", req.URL.Path))
	})
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c.fail(w, req, rowflow.Errorf(rowflow.CodeForbidden, "cross-origin request refused: the console accepts changes only from its own pages"))
	}))
	c.mux = csrf.Handler(r)
	return c
}

// ServeHTTP serves the console with security headers: no framing, no
// scripts or styles but its own, no referrer leaving the site.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

type sessionKey struct{}

// authenticated resolves the session cookie into the request's principal.
// Without a live session a page redirects to the login page (coming back
// afterwards) and a form post to the login page; event streams answer
// 401.
func (c *Console) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := c.opts.Sessions.FromRequest(r)
		if err != nil {
			if rowflow.ErrorCode(err) != rowflow.CodeUnauthorized {
				c.fail(w, r, err)
				return
			}
			switch {
			case strings.HasSuffix(r.URL.Path, "/events"):
			case r.Method == http.MethodGet:
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			default:
				// Nothing is done: the person logs in and tries again.
				http.Redirect(w, r, "/console/login", http.StatusSeeOther)
				return
			}
			c.fail(w, r, err)
			return
		}
		ctx := rowflow.WithPrincipal(context.WithValue(r.Context(), sessionKey{}, sess), sess.Principal)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// csrf refuses (403) a POST whose form field csrf is not the session's
// CSRF token.
func (c *Console) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !sessionFrom(r.Context()).CheckCSRF(r.PostFormValue("csrf")) {
				c.fail(w, r, rowflow.Errorf(rowflow.CodeForbidden, "missing or wrong CSRF token: reload the page and try again"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func sessionFrom(ctx context.Context) auth.Session {
	s, _ := ctx.Value(sessionKey{}).(auth.Session)
	return s
}

// statusOf maps rowflow error codes to HTTP statuses, as the API does.
var statusOf = map[string]int{
	rowflow.CodeInvalid:      http.StatusUnprocessableEntity,
	rowflow.CodeNotFound:     http.StatusNotFound,
	rowflow.CodeConflict:     http.StatusConflict,
	rowflow.CodeForbidden:    http.StatusForbidden,
	rowflow.CodeUnauthorized: http.StatusUnauthorized,
	rowflow.CodeTooLarge:     http.StatusRequestEntityTooLarge,
}

// fail answers err as an error page: a domain error with its status and
// message, anything else as a logged 500 without details.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	var e *rowflow.Error
	if errors.As(err, &e) {
		if s, ok := statusOf[e.Code]; ok {
			status, msg = s, e.Error()
		}
	}
	if status == http.StatusInternalServerError {
		if errors.Is(err, context.Canceled) {
			return
		}
		c.log.Error("console error", "path", r.URL.Path, "error", err)
	}
	if strings.HasSuffix(r.URL.Path, "/events") {
		http.Error(w, msg, status)
		return
	}
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Data: msg})
}

// localPath returns p when it is a path of this site under /console/
// (never another host: an open redirect), else fallback.
func localPath(p, fallback string) string {
	if !strings.HasPrefix(p, "/console/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return fallback
	}
	return p
}

// staticHandler marks the embedded assets cacheable for a while.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
