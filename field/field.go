// Package field defines the typed fields of a table and how a cell value is
// validated and normalized for each type.
//
// Every type lives in its own file (type_<name>.go) and registers itself in
// the registry (registry.go); the API schema, validation and docs follow from
// the registry. Cells are stored as JSON in a canonical form per type:
//
//	text, long_text, email, url, phone  string
//	number                              JSON number (rounded to the precision)
//	checkbox                            bool
//	single_select                       string: the choice name
//	multi_select                        []string: choice names, in the order given, no duplicates
//	date                                string "YYYY-MM-DD"
//	datetime                            string RFC 3339 in UTC, e.g. "2026-01-02T15:04:05Z"
//	link_to_record                      []string: record ids ("rec_…"), no duplicates
//	button                              never stored (always null): it only triggers automations
//
// An empty cell is absent from the cell map (null in answers). Normalizing an
// "empty" input (null, "", [], false for checkbox is NOT empty: it is a value)
// returns (nil, nil), meaning "clear the cell".
package field

import (
	"encoding/json"
	"fmt"
)

// Type names a field type as it appears in the API ("single_select").
type Type string

// The field types rowflow knows. Adding one is a file type_<name>.go plus a
// line in registry.go.
const (
	Text         Type = "text"
	LongText     Type = "long_text"
	Number       Type = "number"
	Checkbox     Type = "checkbox"
	SingleSelect Type = "single_select"
	MultiSelect  Type = "multi_select"
	Date         Type = "date"
	DateTime     Type = "datetime"
	Email        Type = "email"
	URL          Type = "url"
	Phone        Type = "phone"
	LinkToRecord Type = "link_to_record"
	Button       Type = "button"
)

// Field is one column of a table as the services see it. Options holds the
// type's normalized options JSON (see each type's Options struct); it is
// never nil after Kind.NormalizeOptions ("{}" at least).
type Field struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	Type    Type            `json:"type"`
	Options json.RawMessage `json:"options"`
}

// Error is a validation failure of one cell or one option. Reason is a short
// human sentence without the field name; Error() adds it.
type Error struct {
	Field  string // field name (or option name, for option errors)
	Reason string
}

// Error implements error as "<field>: <reason>".
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }
