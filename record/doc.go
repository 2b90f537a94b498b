// Package record is the record service: bases, tables and their typed
// fields (field/), records (create, update, delete, batches of up to
// MaxBatch, all or nothing), lists with filter / sort / cursor, views and
// forms — every call checking the principal of its context (rowflow.CheckBase).
//
// It is the lower layer: it never imports the automation runtime. It tells
// whoever runs automations about every write through its own Hook, in the
// same statement or transaction as the write:
//
//	CreateRecords (no link cells, own transaction) ──▶ Hook.CreateWithRuns   records + their work in ONE statement
//	every other write                              ──▶ Hook.Changed          inside the write's transaction;
//	                                                   its after-commit work runs once the write committed
//
// so a committed write always carries its automation work and a
// rolled-back one never does. A write whose context carries a caller's
// transaction (WithTx: a record action inside its step's completion)
// joins it as a savepoint.
//
// Table definitions are cached per process at their schema_version
// (cache.go, one cache.Versioned); a write never validates against a
// stale definition: the statement that writes checks the version.
package record
