package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/pgtx"
)

// statusOf maps each rowflow error code to its one HTTP status.
var statusOf = map[string]int{
	rowflow.CodeInvalid:      http.StatusUnprocessableEntity,
	rowflow.CodeNotFound:     http.StatusNotFound,
	rowflow.CodeConflict:     http.StatusConflict,
	rowflow.CodeForbidden:    http.StatusForbidden,
	rowflow.CodeUnauthorized: http.StatusUnauthorized,
	rowflow.CodeTooLarge:     http.StatusRequestEntityTooLarge,
}

// problem turns any error from a service into a problem-details error.
// Domain errors keep their message and field details; anything else is
// logged with the request id and answered with a safe 500 message, so SQL
// or internal details never reach a client.
func (h *handlers) problem(ctx context.Context, err error) error {
	var e *rowflow.Error
	if errors.As(err, &e) {
		status, ok := statusOf[e.Code]
		if ok {
			details := make([]error, len(e.Details))
			for i, d := range e.Details {
				details[i] = &huma.ErrorDetail{Location: d.Location, Message: d.Message}
			}
			return huma.NewError(status, e.Message, details...)
		}
	}
	if errors.Is(err, context.Canceled) {
		return huma.NewError(499, "request cancelled")
	}
	if pgtx.Unavailable(err) {
		return unavailable(ctx, h.log, err)
	}
	reqID := middleware.GetReqID(ctx)
	h.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("request_id", reqID), slog.String("error", err.Error()))
	return huma.Error500InternalServerError("internal error (request id " + reqID + ")")
}

// writeProblem answers a problem outside huma's operations (unknown routes,
// wrong methods) in the same RFC 9457 shape.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(&huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail})
}
