// Package httpapi is rowflow's REST API: huma operations on chi, one file per
// resource, each with a register… function; auth middleware; one function
// (problem) mapping rowflow errors to RFC 9457 problem details.
//
// Handlers read top to bottom: decode (huma) → call one service method →
// respond. The package knows nothing of SQL.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/notify"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/webhook"
	"github.com/swaggest/swgui/v5emb"
)

// Opts configures the HTTP handler.
type Opts struct {
	// Records, Tokens and Automations are the services the operations call.
	Records     *record.Service
	Tokens      *auth.Tokens
	Automations *automation.Runtime
	// Users are the users; Notifications and Hub the in-app
	// notifications and their live stream.
	Users         *auth.Users
	Notifications *notify.Service
	Hub           *notify.Hub
	// Connections is the connection service (nil: the routes answer 500).
	Connections *connection.Service
	// Webhooks is the incoming webhooks service.
	Webhooks *webhook.Service
	// Kinds is the registry the trigger and step schemas of the OpenAPI
	// document are generated from.
	Kinds  *kind.Registry
	Logger *slog.Logger
	// AdminToken, when set, is accepted as a bearer token with full rights.
	AdminToken string
	// RiverUI is the River UI handler (mounted at /riverui/ behind owner
	// auth); nil leaves the path unserved.
	RiverUI http.Handler
	// Console is the runs console (mounted at /console/; its pages do
	// their own session auth); nil leaves the path unserved.
	Console http.Handler
	// Sessions, when set, lets River UI also accept the console's session
	// cookie (an owner reaching every base, or the admin token).
	Sessions *auth.Sessions
	// Ready reports whether the service can serve (database reachable,
	// migrations current); /readyz answers 503 with its error otherwise.
	Ready func(ctx context.Context) error
	// Version is reported in the OpenAPI document.
	Version string
	// Limits are the request rate limits (zero: none).
	Limits RateLimits
}

// Server is the HTTP handler plus the huma API (tests walk its operations).
type Server struct {
	http.Handler
	API huma.API
}

// New builds the router: operational endpoints, the docs page, River UI and
// every /api/v1 operation.
func New(opts Opts) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "0.1.0"
	}
	r := chi.NewMux()
	r.Use(streaming, requestID, requestLogger(opts.Logger), middleware.Recoverer, defaultJSON, memo)

	cfg := huma.DefaultConfig("rowflow API", opts.Version)
	cfg.Info.Description = "rowflow: the automation engine of an Airtable-style product. " +
		"Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an access token (rf_…) or ROWFLOW_ADMIN_TOKEN"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	api := humachi.New(r, cfg)
	setSchemaKinds(opts.Kinds)
	limits := newLimiters(opts.Limits)
	api.UseMiddleware(formRateMiddleware(api, limits), authMiddleware(api, opts.Tokens, opts.AdminToken, limits))

	h := &handlers{records: opts.Records, tokens: opts.Tokens, auto: opts.Automations, conns: opts.Connections, webhooks: opts.Webhooks, log: opts.Logger,
		users: opts.Users, notes: opts.Notifications, hub: opts.Hub}
	registerOps(api, opts.Ready)
	registerBases(api, h)
	registerTables(api, h)
	registerRecords(api, h)
	registerViews(api, h)
	registerForms(api, h)
	registerTokens(api, h)
	registerAutomations(api, h)
	registerRuns(api, h)
	registerVersions(api, h)
	registerExplain(api, h)
	registerStats(api, h)
	registerUsers(api, h)
	registerNotifications(api, h)
	registerConnections(api, h)
	registerWebhooks(api, h)
	registerButtons(api, h)
	applyOpDocs(api)

	r.Handle("/docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	r.Mount("/docs/", v5emb.New("rowflow API", "/openapi.json", "/docs/"))
	if opts.RiverUI != nil {
		ui := riverUIAuth(opts.Tokens, opts.Sessions, opts.AdminToken, limits, withConsoleLink(opts.RiverUI))
		r.Handle("/riverui", http.RedirectHandler("/riverui/", http.StatusMovedPermanently))
		r.Mount("/riverui/", ui)
	}
	if opts.Console != nil {
		r.Handle("/console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
		r.Handle("/console/*", consoleLoginLimit(limits, opts.Sessions, opts.Console))
	}
	// Unknown routes and wrong methods answer problem details too.
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, http.StatusNotFound, "no such route: "+req.Method+" "+req.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				w.Header().Add("Allow", m)
			}
		}
		writeProblem(w, http.StatusMethodNotAllowed, req.Method+" is not allowed on "+req.URL.Path)
	})
	return &Server{Handler: r, API: api}
}

// handlers carries what every operation needs.
type handlers struct {
	records  *record.Service
	tokens   *auth.Tokens
	auto     *automation.Runtime
	conns    *connection.Service
	webhooks *webhook.Service
	log      *slog.Logger
	users    *auth.Users
	notes    *notify.Service
	hub      *notify.Hub
}

// requestLogger logs one structured line per request with its request id.
func requestLogger(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			reqID := middleware.GetReqID(r.Context())
			ww.Header().Set("X-Request-Id", reqID)
			next.ServeHTTP(ww, r)
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", reqID), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", ww.Status()), slog.Int("bytes", ww.BytesWritten()))
		})
	}
}

// memo gives each request its own read memo (record.WithMemo) and marks
// its writes as client input: numbers with more decimals than their field's
// precision are refused, not rounded (record.WithExactNumbers).
func memo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(record.WithExactNumbers(record.WithMemo(r.Context()), true)))
	})
}
