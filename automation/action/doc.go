// Package action holds one file per action (step) kind. Each is a value
// that implements kind.Action, with its dependencies as fields app sets
// (the record service for record actions, the guarded HTTP client for
// send_webhook, the script.Runner for run_script); app lists them in the
// registry.
//
// The record actions share record.go: their output shape and the
// Transactional marker (their writes commit with the step's completion).
package action
