package kind

import (
	"fmt"
	"time"
)

// StepContext is what an action sees of the run it executes in.
type StepContext struct {
	RunID        string
	AutomationID string
	BaseID       string
	// StepID is the step's id; inside a for_each it carries the item
	// indexes ("notify_3", "post_2_5"), so that a kind keying its effect
	// on (run, step) — a notification, an email's Message-ID — has one
	// per item.
	StepID  string
	Attempt int
	// RetryDeclared: the step has a retry policy of its own
	// (retry.max_attempts). Kinds whose failures repeat on every try (a
	// script's) retry only then.
	RetryDeclared bool
	Depth         int
	// IdempotencyKey is the same on every attempt of this step of this run
	// (the webhook-id of send_webhook).
	IdempotencyKey string
	// Trigger is the run's trigger data ({{trigger…}}), decoded.
	Trigger map[string]any
	// Now is when this attempt started, on the runtime's clock.
	Now time.Time
}

// ActionError is a failed step execution with its retry classification.
type ActionError struct {
	Err        error
	Retryable  bool
	RetryAfter time.Duration // wait this long (Retry-After) without using an attempt
	Output     any           // what the step saw (e.g. the HTTP answer), stored with the error
}

// Error implements error.
func (e *ActionError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ActionError) Unwrap() error { return e.Err }

// Errf is a permanent step failure with a formatted message.
func Errf(format string, args ...any) error {
	return &ActionError{Err: fmt.Errorf(format, args...)}
}
