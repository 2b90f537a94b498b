package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

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
	_ = json.NewEncoder(w).Encode(&huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: clipText(detail, maxMessageBytes)})
}

// Limits of an error answer: no answer to any malformed input is longer
// than maxProblemBytes (4 KiB), whatever its size.
const (
	maxValueBytes    = 100  // an echoed value (the offending part of the input)
	maxMessageBytes  = 300  // one detail's message
	maxProblemBytes  = 4096 // the whole problem document
	maxLocationBytes = 200
)

func init() {
	base := huma.NewError
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		se := base(status, msg, errs...)
		if m, ok := se.(*huma.ErrorModel); ok {
			tidyProblem(m)
		}
		return se
	}
}

// tidyProblem gives every problem answer one shape. Locations are paths into
// the request body without a prefix ("name", "fields.Amount",
// "steps[0].config.url"; "body" is the body as a whole), or "query.x",
// "path.x", "header.x" for parameters — huma's own "body." prefix is
// dropped. The body is never echoed back (a secret in it would be): only
// an offending scalar is, cut at maxValueBytes; messages are cut at
// maxMessageBytes, and details are dropped from the end (with a last one
// counting them) so the answer stays within maxProblemBytes.
func tidyProblem(m *huma.ErrorModel) {
	m.Detail = clipText(m.Detail, maxMessageBytes)
	size := 200 + len(m.Title) + len(m.Detail) + len(m.Type) + len(m.Instance)
	kept := m.Errors[:0]
	for i, d := range m.Errors {
		if d == nil {
			continue
		}
		d.Location = clipText(strings.TrimPrefix(d.Location, "body."), maxLocationBytes)
		d.Message = clipText(d.Message, maxMessageBytes)
		if d.Location == "body" {
			d.Value = nil
		}
		d.Value = clipValue(d.Value)
		b, _ := json.Marshal(d)
		if size+len(b)+100 > maxProblemBytes {
			kept = append(kept, &huma.ErrorDetail{Message: fmt.Sprintf("and %d more errors", len(m.Errors)-i)})
			break
		}
		size += len(b) + 1
		kept = append(kept, d)
	}
	m.Errors = kept
}

// clipValue keeps an echoed scalar (strings cut to maxValueBytes) and drops
// objects and arrays: huma echoes the whole enclosing object for an
// unexpected property, which is input, not the offending value.
func clipValue(v any) any {
	switch x := v.(type) {
	case bool, float64, float32, int, int64, int32, uint, uint64, json.Number:
		return v
	case string:
		return clipText(x, maxValueBytes)
	}
	return nil
}

// clipText cuts s to at most n bytes on a rune boundary, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
