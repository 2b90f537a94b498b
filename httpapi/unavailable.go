package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5/middleware"
)

// unavailableRetryAfter is the Retry-After (seconds) of a 503 answered
// while the database is unreachable.
const unavailableRetryAfter = "5"

// unavailable is the answer while the database cannot be reached: 503
// with Retry-After (a client may try again; nothing was written), the
// cause logged with the request id and never shown.
func unavailable(ctx context.Context, log *slog.Logger, err error) error {
	reqID := middleware.GetReqID(ctx)
	log.LogAttrs(ctx, slog.LevelWarn, "database unavailable", slog.String("request_id", reqID), slog.String("error", err.Error()))
	return &retryAfterError{huma.NewError(http.StatusServiceUnavailable, "the database is unavailable right now; try again shortly (request id "+reqID+")")}
}

// retryAfterError is a problem answered with a Retry-After header.
type retryAfterError struct{ huma.StatusError }

// GetHeaders implements huma.HeadersError.
func (e *retryAfterError) GetHeaders() http.Header {
	return http.Header{"Retry-After": []string{unavailableRetryAfter}}
}
