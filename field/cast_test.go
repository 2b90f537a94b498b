package field

import (
	"reflect"
	"strings"
	"testing"
)

// castCases are typecast inputs per field type: good when err is "", bad
// otherwise (err is a substring of the reason).
var castCases = []valueCase{
	// number: locale-free decimals only
	{typ: Number, in: "21", want: 21.0},
	{typ: Number, in: " -3.5 ", want: -4.0},
	{typ: Number, opts: `{"precision":2}`, in: "3.14159", want: 3.14},
	{typ: Number, in: "1e3", want: 1000.0},
	{typ: Number, in: "+7", want: 7.0},
	{typ: Number, in: "", want: nil},
	{typ: Number, in: 5.0, want: 5.0},
	{typ: Number, in: "21abc", err: `cannot convert "21abc" to a number`},
	{typ: Number, in: "1,000", err: "cannot convert"},
	{typ: Number, in: "0x10", err: "cannot convert"},
	{typ: Number, in: "NaN", err: "cannot convert"},
	{typ: Number, in: "Inf", err: "cannot convert"},
	{typ: Number, in: true, err: "expected a number"},
	// checkbox
	{typ: Checkbox, in: "true", want: true},
	{typ: Checkbox, in: " YES ", want: true},
	{typ: Checkbox, in: "1", want: true},
	{typ: Checkbox, in: "false", want: false},
	{typ: Checkbox, in: "No", want: false},
	{typ: Checkbox, in: "0", want: false},
	{typ: Checkbox, in: 1.0, want: true},
	{typ: Checkbox, in: 0.0, want: false},
	{typ: Checkbox, in: "", want: nil},
	{typ: Checkbox, in: "maybe", err: `cannot convert "maybe" to true or false`},
	{typ: Checkbox, in: 2.0, err: "cannot convert 2"},
	// single_select: case-insensitive exact name, never created
	{typ: SingleSelect, opts: statusOpts, in: "Done", want: "Done"},
	{typ: SingleSelect, opts: statusOpts, in: " done ", want: "Done"},
	{typ: SingleSelect, opts: statusOpts, in: []any{"todo"}, want: "Todo"},
	{typ: SingleSelect, opts: statusOpts, in: "Shipped", err: `"Shipped" is not one of the choices`},
	{typ: SingleSelect, opts: statusOpts, in: "", want: nil},
	// multi_select: "a, b"
	{typ: MultiSelect, opts: statusOpts, in: "Todo, done", want: []string{"Todo", "Done"}},
	{typ: MultiSelect, opts: statusOpts, in: "Doing", want: []string{"Doing"}},
	{typ: MultiSelect, opts: statusOpts, in: []any{"Done"}, want: []string{"Done"}},
	{typ: MultiSelect, opts: statusOpts, in: " , ", want: nil},
	{typ: MultiSelect, opts: statusOpts, in: "Todo, Nope", err: `item 2: "Nope" is not one of the choices`},
	// date and datetime: ISO 8601, space or T
	{typ: Date, in: "2026-03-01", want: "2026-03-01"},
	{typ: Date, in: " 2026-03-01T10:00:00Z ", want: "2026-03-01"},
	{typ: Date, in: "2026-03-01 23:30:00+02:00", want: "2026-03-01"},
	{typ: Date, in: "01/03/2026", err: "expected a date"},
	{typ: DateTime, in: "2026-03-01 10:30", want: "2026-03-01T10:30:00Z"},
	{typ: DateTime, opts: `{"time_zone":"Europe/Berlin"}`, in: "2026-03-01T10:30:00", want: "2026-03-01T09:30:00Z"},
	{typ: DateTime, in: "2026-03-01T10:30:00+01:00", want: "2026-03-01T09:30:00Z"},
	{typ: DateTime, in: "tomorrow", err: "expected an RFC 3339 timestamp"},
	// link_to_record: an id, "a, b", or a list
	{typ: LinkToRecord, opts: `{"table_id":"tbl_x"}`, in: "rec_a", want: []string{"rec_a"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_x"}`, in: "rec_a, rec_b", want: []string{"rec_a", "rec_b"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_x"}`, in: []any{"rec_a"}, want: []string{"rec_a"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_x"}`, in: "nope", err: `expected a record id`},
	// text-like: numbers and booleans become text
	{typ: Text, in: 21.0, want: "21"},
	{typ: Text, in: 2.5, want: "2.5"},
	{typ: Text, in: true, want: "true"},
	{typ: Text, in: []any{"a", 1.0}, want: "a, 1"},
	{typ: Text, in: map[string]any{"a": 1.0}, err: "expected a string"},
	{typ: LongText, in: 3.0, want: "3"},
	{typ: Email, in: " ada@example.com ", want: "ada@example.com"},
	{typ: Email, in: "not an email", err: ""},
	{typ: URL, in: " https://example.com/x ", want: "https://example.com/x"},
	{typ: Phone, in: 5551234.0, want: "5551234"},
}

// TestTypecast runs every cast case through Typecast: good values become
// the canonical cell, bad ones an *Error on the field with the reason.
func TestTypecast(t *testing.T) {
	for _, c := range castCases {
		if c.typ == Email && c.in == "not an email" {
			// The email check itself stays Normalize's: a cast string is
			// still validated.
			f := newField(t, c.typ, c.opts)
			if _, err := Typecast(f, c.in); err == nil {
				t.Errorf("email %q: typecast accepted an invalid address", c.in)
			}
			continue
		}
		f := newField(t, c.typ, c.opts)
		got, err := Typecast(f, c.in)
		name := string(c.typ) + " " + clipString(describe(c.in))
		if c.err != "" {
			fe, ok := err.(*Error)
			switch {
			case err == nil:
				t.Errorf("%s: got %#v, want error %q", name, got, c.err)
			case !ok:
				t.Errorf("%s: error %T %v is not a *Error", name, err, err)
			case fe.Field != f.Name || !strings.Contains(fe.Reason, c.err):
				t.Errorf("%s: error {%q, %q}, want {%q, …%q…}", name, fe.Field, fe.Reason, f.Name, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", name, got, c.want)
		}
	}
}

// TestTypecastOnlyWhenAsked: without typecast, the same strings are
// refused (Normalize is unchanged).
func TestTypecastOnlyWhenAsked(t *testing.T) {
	for _, c := range []valueCase{{typ: Number, in: "21"}, {typ: Checkbox, in: "true"}, {typ: Text, in: 3.0}} {
		if _, err := Normalize(newField(t, c.typ, c.opts), c.in); err == nil {
			t.Errorf("%s: Normalize accepted %#v", c.typ, c.in)
		}
	}
}

// TestEveryTypeCasts: every registered type has a cast (the registry
// cannot hold a type without one), and nil stays nil.
func TestEveryTypeCasts(t *testing.T) {
	for _, typ := range Types() {
		k, _ := Lookup(typ)
		f := Field{Name: "Col", Type: typ, Options: []byte("{}")}
		if v, err := k.Cast(f, nil); err != nil || v != nil {
			t.Errorf("%s: Cast(nil) = %#v, %v", typ, v, err)
		}
	}
}
