package script

import (
	"context"
	"encoding/json"
	"time"
)

// Base is the read-only view of records a script gets through
// base.getTable. Its methods run on the execution's goroutine with a
// context that ends at the script's deadline; their errors reach the
// script as thrown Errors with the error's text.
type Base interface {
	// Table describes a table of the base by name or id.
	Table(ctx context.Context, nameOrID string) (Table, error)
	// SelectRecords lists records of a table.
	SelectRecords(ctx context.Context, tableID string, q Query) ([]Record, error)
	// SelectRecord returns one record of a table, or nil when it has none
	// with that id.
	SelectRecord(ctx context.Context, tableID, recordID string) (*Record, error)
}

// Table is a table as a script sees it (table.id, table.name, table.fields).
type Table struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// Field is one field of a Table.
type Field struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Query is selectRecordsAsync's options: a condition group (the language
// of conditions), a sort ([{field, direction}]) and a limit.
type Query struct {
	Filter json.RawMessage `json:"filter,omitempty"`
	Sort   json.RawMessage `json:"sort,omitempty"`
	Limit  int             `json:"limit,omitempty"`
}

// Record is a record as a script sees it: cells keyed by field name.
type Record struct {
	ID          string         `json:"id"`
	CreatedTime time.Time      `json:"created_time"`
	Fields      map[string]any `json:"fields"`
}
