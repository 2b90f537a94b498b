package field

import (
	"encoding/json"
	"fmt"
)

// Kind is the behaviour of one field type.
type Kind interface {
	Type() Type
	// NormalizeOptions validates raw options (nil/empty allowed → defaults)
	// and returns canonical JSON (never nil; "{}" at least). Errors are
	// *Error with Field = "options.<name>" ("options" when the whole value
	// is wrong, e.g. not a JSON object).
	NormalizeOptions(raw json.RawMessage) (json.RawMessage, error)
	// Normalize validates an API input value for field f (f.Options already
	// canonical) and returns the canonical cell value, or (nil, nil) for
	// "clear the cell". Errors are *Error{Field: f.Name, Reason: "..."}.
	Normalize(f Field, v any) (any, error)
	// Writable is false for types whose cells cannot be written (button).
	Writable() bool
	// Cast converts a loosely typed value — a rendered template, usually a
	// string, or an API value sent with typecast — into an input Normalize
	// accepts for f, or returns an *Error saying why it cannot; values
	// already of a shape Normalize takes pass through (see Typecast).
	Cast(f Field, v any) (any, error)
}

// kinds is the registry, in the order of the const block in field.go.
// Adding a type is a file type_<name>.go plus a line here.
var kinds = []Kind{
	textKind{Text},
	textKind{LongText},
	numberKind{},
	checkboxKind{},
	singleSelectKind{},
	multiSelectKind{},
	dateKind{},
	dateTimeKind{},
	emailKind{},
	urlKind{},
	phoneKind{},
	linkKind{},
	buttonKind{},
}

var byType = func() map[Type]Kind {
	m := make(map[Type]Kind, len(kinds))
	for _, k := range kinds {
		if _, dup := m[k.Type()]; dup || k.Type() == "" {
			panic(fmt.Sprintf("field: type %q registered twice or empty", k.Type()))
		}
		m[k.Type()] = k
	}
	return m
}()

// Lookup returns the kind of t.
func Lookup(t Type) (Kind, bool) {
	k, ok := byType[t]
	return k, ok
}

// Types lists every registered type in a stable order (the order of the
// const block in field.go). The slice is the caller's.
func Types() []Type {
	ts := make([]Type, len(kinds))
	for i, k := range kinds {
		ts[i] = k.Type()
	}
	return ts
}

// Normalize is Lookup(f.Type) + Kind.Normalize, with an *Error for unknown
// types.
func Normalize(f Field, v any) (any, error) {
	k, ok := Lookup(f.Type)
	if !ok {
		return nil, &Error{Field: f.Name, Reason: fmt.Sprintf("unknown field type %q", f.Type)}
	}
	return k.Normalize(f, v)
}
