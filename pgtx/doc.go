// Package pgtx holds the PostgreSQL helpers every service shares: running a
// transaction again when PostgreSQL aborted it whole (deadlock,
// serialization failure), and turning "no rows" and unique violations into
// rowflow errors. It knows no table.
package pgtx
