// Package trigger holds one file per trigger kind. Each is a value that
// implements kind.Trigger (and the optional interfaces it needs); app
// lists them in the registry. Dependencies (the record service, for the
// triggers that look up views or forms) are fields app sets.
//
// The record triggers share record.go: the table-watching base
// (validation, test data), and the comparisons of cells before and after.
package trigger
