package rowflow

import (
	"errors"
	"fmt"
)

// Error codes; httpapi maps each to one HTTP status in one place.
const (
	CodeInvalid      = "invalid"      // 422: the input is malformed; Details say where
	CodeNotFound     = "not_found"    // 404: missing, or outside the caller's bases
	CodeConflict     = "conflict"     // 409: e.g. a duplicate name
	CodeForbidden    = "forbidden"    // 403: the caller's role may not do this
	CodeUnauthorized = "unauthorized" // 401: no or bad credentials
	CodeTooLarge     = "too_large"    // 413: a batch or body over its limit
	CodeInternal     = "internal"     // 500: never carries internal details to clients
)

// Error is the one error type the domain returns to its callers. Message is
// safe to show to a client; Details name the exact places of validation
// failures (e.g. "fields.Amount", "steps[2].config.url").
type Error struct {
	Code    string
	Message string
	Details []ErrorDetail
}

// ErrorDetail is one field-level problem: Location is a path into the
// request ("fields.Status"), Message says what is wrong there.
type ErrorDetail struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	s := e.Message
	for _, d := range e.Details {
		s += "; " + d.Location + ": " + d.Message
	}
	return s
}

// Errorf returns an *Error with code and a formatted client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error with one detail at location.
func Invalid(location, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: CodeInvalid, Message: "validation failed", Details: []ErrorDetail{{Location: location, Message: msg}}}
}

// NotFound returns a CodeNotFound error for a resource kind and id.
func NotFound(kind, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// CodeInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
