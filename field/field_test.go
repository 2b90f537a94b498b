package field

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the host's zoneinfo
)

// valueCase is one input of a cell: good when err is "", bad otherwise.
type valueCase struct {
	typ  Type
	opts string // raw options, normalized before the case runs ("" → defaults)
	in   any
	want any    // canonical value (nil: clear the cell)
	err  string // substring of the reason
}

const (
	statusOpts = `{"choices":[{"name":"Todo","color":"gray"},{"name":"Doing"},{"name":"Done"}]}`
	caseOpts   = `{"choices":[{"name":"Todo"},{"name":"TODO"}]}`
)

var long = strings.Repeat("a", maxTextBytes)

var valueCases = []valueCase{
	// text
	{typ: Text, in: "hello", want: "hello"},
	{typ: Text, in: "two\nlines", want: "two\nlines"},
	{typ: Text, in: "", want: nil},
	{typ: Text, in: nil, want: nil},
	{typ: Text, in: "  ", want: "  "},
	{typ: Text, in: long, want: long},
	{typ: Text, in: 3.0, err: "expected a string, got number 3"},
	{typ: Text, in: true, err: "expected a string, got boolean true"},
	{typ: Text, in: []any{"a"}, err: "expected a string, got a list"},
	{typ: Text, in: long + "a", err: "too long: 100001 bytes"},
	{typ: Text, in: "a\x00b", err: "NUL"},
	{typ: Text, in: "a\xffb", err: "UTF-8"},
	// long_text
	{typ: LongText, in: "para 1\n\npara 2", want: "para 1\n\npara 2"},
	{typ: LongText, in: "", want: nil},
	{typ: LongText, in: json.Number("12"), err: "expected a string, got number 12"},
	{typ: LongText, in: long + "é", err: "too long"},

	// number
	{typ: Number, in: 3.0, want: 3.0},
	{typ: Number, in: nil, want: nil},
	{typ: Number, in: 2.5, want: 3.0},
	{typ: Number, in: -2.5, want: -3.0},
	{typ: Number, in: -0.4, want: 0.0},
	{typ: Number, in: math.Copysign(0, -1), want: 0.0},
	{typ: Number, opts: `{"precision":2}`, in: 1.005, want: 1.01},
	{typ: Number, opts: `{"precision":2}`, in: -1.005, want: -1.01},
	{typ: Number, opts: `{"precision":2}`, in: 1.004, want: 1.0},
	{typ: Number, opts: `{"precision":8}`, in: 0.123456785, want: 0.12345679},
	{typ: Number, opts: `{"precision":1}`, in: json.Number("2.25"), want: 2.3},
	{typ: Number, opts: `{"precision":3}`, in: json.Number("1e-7"), want: 0.0},
	{typ: Number, in: json.Number("1e300"), want: 1e300},
	{typ: Number, in: 42, want: 42.0},
	{typ: Number, in: int64(-7), want: -7.0},
	{typ: Number, in: uint8(7), want: 7.0},
	{typ: Number, opts: `{"precision":1}`, in: float32(0.15), want: 0.2},
	{typ: Number, in: "abc", err: `expected a number, got string "abc"`},
	{typ: Number, in: "12", err: `expected a number, got string "12"`},
	{typ: Number, in: true, err: "expected a number, got boolean true"},
	{typ: Number, in: []any{1.0}, err: "expected a number, got a list"},
	{typ: Number, in: map[string]any{}, err: "expected a number, got an object"},
	{typ: Number, in: math.NaN(), err: "expected a finite number, got NaN"},
	{typ: Number, in: math.Inf(-1), err: "finite"},
	{typ: Number, in: json.Number("1e400"), err: "out of range"},
	{typ: Number, in: json.Number("abc"), err: `expected a number, got "abc"`},
	{typ: Number, in: json.Number("NaN"), err: "finite"},

	// checkbox
	{typ: Checkbox, in: true, want: true},
	{typ: Checkbox, in: false, want: false},
	{typ: Checkbox, in: nil, want: nil},
	{typ: Checkbox, in: "true", err: `expected true or false, got string "true"`},
	{typ: Checkbox, in: 1.0, err: "expected true or false, got number 1"},
	{typ: Checkbox, in: "", err: "expected true or false"},

	// single_select
	{typ: SingleSelect, opts: statusOpts, in: "Doing", want: "Doing"},
	{typ: SingleSelect, opts: statusOpts, in: "doing", want: "Doing"},
	{typ: SingleSelect, opts: statusOpts, in: "DONE", want: "Done"},
	{typ: SingleSelect, opts: statusOpts, in: "", want: nil},
	{typ: SingleSelect, opts: statusOpts, in: nil, want: nil},
	{typ: SingleSelect, opts: caseOpts, in: "TODO", want: "TODO"},
	{typ: SingleSelect, opts: caseOpts, in: "Todo", want: "Todo"},
	{typ: SingleSelect, opts: statusOpts, in: "Purple", err: `"Purple" is not one of the choices: Todo, Doing, Done`},
	{typ: SingleSelect, opts: statusOpts, in: " Done", err: "is not one of the choices"},
	{typ: SingleSelect, opts: statusOpts, in: 3.0, err: "expected a choice name (string), got number 3"},
	{typ: SingleSelect, opts: statusOpts, in: []any{"Todo"}, err: "got a list"},
	{typ: SingleSelect, opts: caseOpts, in: "todo", err: "matches more than one choice when case is ignored: Todo, TODO"},
	{typ: SingleSelect, in: "x", err: "the field has no choices"},

	// multi_select
	{typ: MultiSelect, opts: statusOpts, in: []any{"Done", "Todo"}, want: []string{"Done", "Todo"}},
	{typ: MultiSelect, opts: statusOpts, in: []any{"Done", "done", "Todo", "Done"}, want: []string{"Done", "Todo"}},
	{typ: MultiSelect, opts: statusOpts, in: "doing", want: []string{"Doing"}},
	{typ: MultiSelect, opts: statusOpts, in: []string{"Todo"}, want: []string{"Todo"}},
	{typ: MultiSelect, opts: statusOpts, in: []any{}, want: nil},
	{typ: MultiSelect, opts: statusOpts, in: "", want: nil},
	{typ: MultiSelect, opts: statusOpts, in: nil, want: nil},
	{typ: MultiSelect, opts: statusOpts, in: []any{"Todo", "Purple"}, err: `item 2: "Purple" is not one of the choices: Todo, Doing, Done`},
	{typ: MultiSelect, opts: statusOpts, in: "Purple", err: `"Purple" is not one of the choices`},
	{typ: MultiSelect, opts: statusOpts, in: []any{"Todo", 1.0}, err: "item 2: expected a choice name (string), got number 1"},
	{typ: MultiSelect, opts: statusOpts, in: []any{""}, err: `"" is not one of the choices`},
	{typ: MultiSelect, opts: statusOpts, in: true, err: "expected a list of choice names, got boolean true"},

	// date
	{typ: Date, in: "2026-01-02", want: "2026-01-02"},
	{typ: Date, in: "2024-02-29", want: "2024-02-29"},
	{typ: Date, in: "2026-01-02T23:30:00-05:00", want: "2026-01-03"},
	{typ: Date, in: "2026-01-02T00:30:00+02:00", want: "2026-01-01"},
	{typ: Date, in: "2026-01-02T10:00:00Z", want: "2026-01-02"},
	{typ: Date, in: time.Date(2026, 5, 6, 23, 0, 0, 0, time.FixedZone("x", -3600)), want: "2026-05-07"},
	{typ: Date, in: "", want: nil},
	{typ: Date, in: nil, want: nil},
	{typ: Date, in: "2026-1-2", err: `expected a date "YYYY-MM-DD" or an RFC 3339 timestamp, got "2026-1-2"`},
	{typ: Date, in: "2025-02-29", err: "expected a date"},
	{typ: Date, in: "02/01/2026", err: "expected a date"},
	{typ: Date, in: "2026-01-02T10:00:00", err: "expected a date"},
	{typ: Date, in: "tomorrow", err: `got "tomorrow"`},
	{typ: Date, in: 20260102.0, err: "got number 20260102"},
	{typ: Date, in: "0000-01-01", err: "out of range"},

	// datetime
	{typ: DateTime, in: "2026-01-02T15:04:05Z", want: "2026-01-02T15:04:05Z"},
	{typ: DateTime, in: "2026-01-02T15:04:05+01:00", want: "2026-01-02T14:04:05Z"},
	{typ: DateTime, in: "2026-01-02T15:04:05.250-02:30", want: "2026-01-02T17:34:05.25Z"},
	{typ: DateTime, in: "2026-01-02T15:04:05.000Z", want: "2026-01-02T15:04:05Z"},
	{typ: DateTime, in: "2026-01-02T15:04:05", want: "2026-01-02T15:04:05Z"},
	{typ: DateTime, in: "2026-01-02T15:04", want: "2026-01-02T15:04:00Z"},
	{typ: DateTime, in: "2026-01-02", want: "2026-01-02T00:00:00Z"},
	{typ: DateTime, opts: `{"time_zone":"Europe/Paris"}`, in: "2026-01-02", want: "2026-01-01T23:00:00Z"},
	{typ: DateTime, opts: `{"time_zone":"America/New_York"}`, in: "2026-07-01T09:00", want: "2026-07-01T13:00:00Z"},
	{typ: DateTime, opts: `{"time_zone":"America/New_York"}`, in: "2026-01-01T09:00:30", want: "2026-01-01T14:00:30Z"},
	{typ: DateTime, opts: `{"time_zone":"America/New_York"}`, in: "2026-07-01T09:00:00+02:00", want: "2026-07-01T07:00:00Z"},
	{typ: DateTime, in: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)), want: "2026-01-02T02:04:05.000000006Z"},
	{typ: DateTime, in: "", want: nil},
	{typ: DateTime, in: nil, want: nil},
	{typ: DateTime, in: "2026-01-02 15:04:05", err: `expected an RFC 3339 timestamp`},
	{typ: DateTime, in: "2026-01-02T25:00:00Z", err: `got "2026-01-02T25:00:00Z"`},
	{typ: DateTime, in: "yesterday", err: "expected an RFC 3339 timestamp"},
	{typ: DateTime, in: 1767225600.0, err: "got number 1767225600"},
	{typ: DateTime, in: "9999-12-31T23:00:00-05:00", err: "out of range"},

	// email
	{typ: Email, in: "ada@example.com", want: "ada@example.com"},
	{typ: Email, in: "Ada.Lovelace+x@Example.COM", want: "Ada.Lovelace+x@example.com"},
	{typ: Email, in: "a@b.co", want: "a@b.co"},
	{typ: Email, in: "", want: nil},
	{typ: Email, in: "ada", err: `"ada" is not a valid email address: it must contain exactly one @`},
	{typ: Email, in: "a@b@c.com", err: "exactly one @"},
	{typ: Email, in: "@example.com", err: "nothing before the @"},
	{typ: Email, in: "ada@localhost", err: "must contain a dot"},
	{typ: Email, in: "ada @example.com", err: "contains a space"},
	{typ: Email, in: "Ada <ada@example.com>", err: "contains a space"},
	{typ: Email, in: `"ada"@example.com`, err: "not a plain address"},
	{typ: Email, in: "ada..x@example.com", err: "not a plain address"},
	{typ: Email, in: "ada@example..com", err: "not a plain address"},
	{typ: Email, in: strings.Repeat("a", 250) + "@b.co", err: "too long: 255 bytes"},
	{typ: Email, in: 1.0, err: "expected an email address (string), got number 1"},

	// url
	{typ: URL, in: "https://example.com", want: "https://example.com"},
	{typ: URL, in: "http://example.com:8080/a/b?q=1#frag", want: "http://example.com:8080/a/b?q=1#frag"},
	{typ: URL, in: "HTTPS://Example.com/Path", want: "HTTPS://Example.com/Path"},
	{typ: URL, in: "", want: nil},
	{typ: URL, in: "example.com", err: `expected an absolute http or https URL (e.g. "https://example.com/page"), got "example.com"`},
	{typ: URL, in: "ftp://example.com/file", err: "expected an absolute http or https URL"},
	{typ: URL, in: "javascript:alert(1)", err: "http or https"},
	{typ: URL, in: "https://", err: "http or https"},
	{typ: URL, in: "http://:80/", err: "http or https"},
	{typ: URL, in: "https:example.com", err: "http or https"},
	{typ: URL, in: "https://exa mple.com", err: "contains a space"},
	{typ: URL, in: "https://example.com/" + strings.Repeat("a", 2048), err: "too long"},
	{typ: URL, in: false, err: "expected a URL (string), got boolean false"},

	// phone
	{typ: Phone, in: "+1 (555) 010-0199", want: "+1 (555) 010-0199"},
	{typ: Phone, in: "01.23.45.67.89", want: "01.23.45.67.89"},
	{typ: Phone, in: "112", want: "112"},
	{typ: Phone, in: "", want: nil},
	{typ: Phone, in: "12", err: "at least 3 digits"},
	{typ: Phone, in: "+ - ()", err: "at least 3 digits"},
	{typ: Phone, in: "555-CALL", err: "only digits, spaces"},
	{typ: Phone, in: "1+23", err: "a leading +"},
	{typ: Phone, in: " +123", err: "a leading +"},
	{typ: Phone, in: strings.Repeat("1", 33), err: "too long: 33 bytes"},
	{typ: Phone, in: 5550100.0, err: "expected a phone number (string), got number 5550100"},

	// link_to_record
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{"rec_a", "rec_b", "rec_a"}, want: []string{"rec_a", "rec_b"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: "rec_01jabcdefghjkmnpqrstvwxyz0", want: []string{"rec_01jabcdefghjkmnpqrstvwxyz0"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []string{"rec_x"}, want: []string{"rec_x"}},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{}, want: nil},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: nil, want: nil},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: manyIDs(1000, 2), want: manyIDStrings(1000)},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{"rec_a", "tbl_b"}, err: `item 2: expected a record id "rec_…", got string "tbl_b"`},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{"rec_"}, err: "expected a record id"},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{"rec_a b"}, err: "expected a record id"},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: []any{1.0}, err: "item 1: expected a record id \"rec_…\", got number 1"},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: map[string]any{"id": "rec_a"}, err: "got an object"},
	{typ: LinkToRecord, opts: `{"table_id":"tbl_1"}`, in: manyIDs(1001, 1), err: "too many linked records: 1001, at most 1000"},

	// button
	{typ: Button, in: true, err: "button fields cannot be written"},
	{typ: Button, in: nil, err: "button fields cannot be written"},
}

func manyIDStrings(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "rec_" + strings.Repeat("x", i/26) + string(rune('a'+i%26))
	}
	return out
}

// manyIDs returns n distinct ids, each repeated times times.
func manyIDs(n, times int) []any {
	var out []any
	for _, id := range manyIDStrings(n) {
		for range times {
			out = append(out, id)
		}
	}
	return out
}

// optionsCase is one raw options value: good when err is "", bad otherwise.
type optionsCase struct {
	typ   Type
	raw   string
	want  string // canonical JSON
	field string // Error.Field of a bad case
	err   string // substring of the reason
}

var optionsCases = []optionsCase{
	{typ: Text, raw: "", want: `{}`},
	{typ: Text, raw: "null", want: `{}`},
	{typ: Text, raw: ` { } `, want: `{}`},
	{typ: Text, raw: `{"max":3}`, field: "options.max", err: "unknown option; text fields have no options"},
	{typ: Text, raw: `[]`, field: "options", err: "expected a JSON object, got a list"},
	{typ: Text, raw: `{`, field: "options", err: "invalid JSON"},
	{typ: Text, raw: `{} {}`, field: "options", err: "invalid JSON"},
	{typ: LongText, raw: `{}`, want: `{}`},
	{typ: LongText, raw: `"x"`, field: "options", err: `expected a JSON object, got string "x"`},

	{typ: Number, raw: "", want: `{"precision":0}`},
	{typ: Number, raw: `{"precision":2}`, want: `{"precision":2}`},
	{typ: Number, raw: `{"precision":8.0}`, want: `{"precision":8}`},
	{typ: Number, raw: `{"precision":null}`, want: `{"precision":0}`},
	{typ: Number, raw: `{"precision":9}`, field: "options.precision", err: "expected a whole number from 0 to 8, got number 9"},
	{typ: Number, raw: `{"precision":-1}`, field: "options.precision", err: "from 0 to 8"},
	{typ: Number, raw: `{"precision":1.5}`, field: "options.precision", err: "from 0 to 8"},
	{typ: Number, raw: `{"precision":"2"}`, field: "options.precision", err: `got string "2"`},
	{typ: Number, raw: `{"precision":2,"unit":"€"}`, field: "options.unit", err: "unknown option; number fields have: precision"},

	{typ: Checkbox, raw: "", want: `{}`},
	{typ: Checkbox, raw: `{"default":true}`, field: "options.default", err: "unknown option"},

	{typ: SingleSelect, raw: "", want: `{"choices":[]}`},
	{typ: SingleSelect, raw: `{"choices":null}`, want: `{"choices":[]}`},
	{typ: SingleSelect, raw: statusOpts, want: statusOpts},
	{typ: SingleSelect, raw: `{"choices":[{"color":"red","name":"A"},{"name":"a","color":""}]}`, want: `{"choices":[{"name":"A","color":"red"},{"name":"a"}]}`},
	{typ: SingleSelect, raw: `{"choices":[{"name":""}]}`, field: "options.choices", err: "choice 1: the name is empty"},
	{typ: SingleSelect, raw: `{"choices":[{"name":"  "}]}`, field: "options.choices", err: "choice 1: the name is empty or blank"},
	{typ: SingleSelect, raw: `{"choices":[{"color":"red"}]}`, field: "options.choices", err: "choice 1: the name is empty"},
	{typ: SingleSelect, raw: `{"choices":[{"name":"A"},{"name":"B"},{"name":"A"}]}`, field: "options.choices", err: `choice 3: duplicate name "A"`},
	{typ: SingleSelect, raw: `{"choices":["A"]}`, field: "options.choices", err: `choice 1: expected an object`},
	{typ: SingleSelect, raw: `{"choices":[{"name":1}]}`, field: "options.choices", err: "choice 1: name must be a string, got number 1"},
	{typ: SingleSelect, raw: `{"choices":[{"name":"A","id":"x"}]}`, field: "options.choices", err: `unknown key "id"`},
	{typ: SingleSelect, raw: `{"choices":[{"name":"A\u0000"}]}`, field: "options.choices", err: "NUL"},
	{typ: SingleSelect, raw: `{"choices":"A,B"}`, field: "options.choices", err: "expected a list of choices"},
	{typ: SingleSelect, raw: choicesJSON(1001), field: "options.choices", err: "too many choices: 1001, at most 1000"},
	{typ: MultiSelect, raw: choicesJSON(1000), want: choicesJSON(1000)},
	{typ: MultiSelect, raw: `{}`, want: `{"choices":[]}`},
	{typ: MultiSelect, raw: `{"choices":[{"name":"x"},{"name":"x"}]}`, field: "options.choices", err: "duplicate"},
	{typ: MultiSelect, raw: `{"options":[]}`, field: "options.options", err: "unknown option; multi_select fields have: choices"},

	{typ: Date, raw: `{}`, want: `{}`},
	{typ: Date, raw: `{"time_zone":"UTC"}`, field: "options.time_zone", err: "unknown option"},
	{typ: DateTime, raw: "", want: `{"time_zone":"UTC"}`},
	{typ: DateTime, raw: `{"time_zone":""}`, want: `{"time_zone":"UTC"}`},
	{typ: DateTime, raw: `{"time_zone":"Europe/Paris"}`, want: `{"time_zone":"Europe/Paris"}`},
	{typ: DateTime, raw: `{"time_zone":"Etc/GMT+5"}`, want: `{"time_zone":"Etc/GMT+5"}`},
	{typ: DateTime, raw: `{"time_zone":"Mars/Olympus"}`, field: "options.time_zone", err: `"Mars/Olympus" is not an IANA time zone`},
	{typ: DateTime, raw: `{"time_zone":"Local"}`, field: "options.time_zone", err: "not an IANA time zone"},
	{typ: DateTime, raw: `{"time_zone":"../../etc/passwd"}`, field: "options.time_zone", err: "not an IANA time zone"},
	{typ: DateTime, raw: `{"time_zone":1}`, field: "options.time_zone", err: "expected a string, got number 1"},

	{typ: Email, raw: `{}`, want: `{}`},
	{typ: Email, raw: `{"x":1}`, field: "options.x", err: "email fields have no options"},
	{typ: URL, raw: `{}`, want: `{}`},
	{typ: URL, raw: `1`, field: "options", err: "expected a JSON object, got number 1"},
	{typ: Phone, raw: ``, want: `{}`},
	{typ: Phone, raw: `{"country":"FR"}`, field: "options.country", err: "unknown option"},

	{typ: LinkToRecord, raw: `{"table_id":"tbl_abc"}`, want: `{"table_id":"tbl_abc"}`},
	{typ: LinkToRecord, raw: `{"inverse_field_id":"fld_x","table_id":"tbl_abc"}`, want: `{"table_id":"tbl_abc","inverse_field_id":"fld_x"}`},
	{typ: LinkToRecord, raw: ``, field: "options.table_id", err: "the linked table is required"},
	{typ: LinkToRecord, raw: `{"table_id":""}`, field: "options.table_id", err: "required"},
	{typ: LinkToRecord, raw: `{"table_id":"rec_abc"}`, field: "options.table_id", err: `expected a table id "tbl_…", got "rec_abc"`},
	{typ: LinkToRecord, raw: `{"table_id":"tbl_"}`, field: "options.table_id", err: "expected a table id"},
	{typ: LinkToRecord, raw: `{"table_id":7}`, field: "options.table_id", err: "expected a string"},
	{typ: LinkToRecord, raw: `{"table_id":"tbl_a","inverse_field_id":false}`, field: "options.inverse_field_id", err: "expected a string"},

	{typ: Button, raw: "", want: `{"label":"Run"}`},
	{typ: Button, raw: `{"label":""}`, want: `{"label":"Run"}`},
	{typ: Button, raw: `{"label":"Send invoice","automation_id":"aut_1"}`, want: `{"label":"Send invoice","automation_id":"aut_1"}`},
	{typ: Button, raw: `{"label":3}`, field: "options.label", err: "expected a string, got number 3"},
	{typ: Button, raw: `{"color":"red"}`, field: "options.color", err: "button fields have: label, automation_id"},
}

func choicesJSON(n int) string {
	cs := make([]Choice, n)
	for i := range cs {
		cs[i] = Choice{Name: "c" + strings.Repeat("x", i/26) + string(rune('a'+i%26))}
	}
	b, _ := json.Marshal(SelectOptions{Choices: cs})
	return string(b)
}

// newField builds a field of type t with raw options normalized.
func newField(t *testing.T, typ Type, raw string) Field {
	t.Helper()
	k, ok := Lookup(typ)
	if !ok {
		t.Fatalf("Lookup(%q) failed", typ)
	}
	opts, err := k.NormalizeOptions(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("%s: NormalizeOptions(%s): %v", typ, raw, err)
	}
	return Field{ID: "fld_1", Name: "Col", Type: typ, Options: opts}
}

func TestNormalizeValues(t *testing.T) {
	for _, c := range valueCases {
		f := newField(t, c.typ, c.opts)
		got, err := Normalize(f, c.in)
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
			case got != nil:
				t.Errorf("%s: error with a value %#v", name, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", name, got, c.want)
			continue
		}
		if got == nil {
			continue
		}
		if x, ok := got.(float64); ok && math.Signbit(x) && x == 0 {
			t.Errorf("%s: got negative zero", name)
		}
		// A canonical value, stored as JSON and read back, is a fixed point.
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("%s: marshal %#v: %v", name, got, err)
		}
		var back any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		again, err := Normalize(f, back)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%s: renormalizing %s gave %#v, %v; want %#v", name, b, again, err, got)
		}
	}
}

func clipString(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestNormalizeOptions(t *testing.T) {
	for _, c := range optionsCases {
		k, ok := Lookup(c.typ)
		if !ok {
			t.Fatalf("Lookup(%q) failed", c.typ)
		}
		name := string(c.typ) + " " + clipString(c.raw)
		got, err := k.NormalizeOptions(json.RawMessage(c.raw))
		if c.err != "" {
			fe, ok := err.(*Error)
			switch {
			case err == nil:
				t.Errorf("%s: got %s, want error %q", name, got, c.err)
			case !ok:
				t.Errorf("%s: error %T %v is not a *Error", name, err, err)
			case fe.Field != c.field || !strings.Contains(fe.Reason, c.err):
				t.Errorf("%s: error {%q, %q}, want {%q, …%q…}", name, fe.Field, fe.Reason, c.field, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s: got %s, want %s", name, got, c.want)
		}
		// Canonical options are a fixed point.
		again, err := k.NormalizeOptions(got)
		if err != nil || string(again) != string(got) {
			t.Errorf("%s: renormalizing %s gave %s, %v", name, got, again, err)
		}
	}
}

// TestEveryTypeIsTested makes a new type fail until it has good and bad
// cases, for values and for options.
func TestEveryTypeIsTested(t *testing.T) {
	type count struct{ good, bad, goodOpts, badOpts int }
	n := map[Type]*count{}
	for _, typ := range Types() {
		n[typ] = &count{}
	}
	for _, c := range valueCases {
		if n[c.typ] == nil {
			t.Errorf("value case for unregistered type %q", c.typ)
			continue
		}
		if c.err == "" {
			n[c.typ].good++
		} else {
			n[c.typ].bad++
		}
	}
	for _, c := range optionsCases {
		if n[c.typ] == nil {
			t.Errorf("options case for unregistered type %q", c.typ)
			continue
		}
		if c.err == "" {
			n[c.typ].goodOpts++
		} else {
			n[c.typ].badOpts++
		}
	}
	for _, typ := range Types() {
		c := n[typ]
		// A type that cannot be written has no good value to test.
		k, _ := Lookup(typ)
		if (c.good == 0 && k.Writable()) || c.bad == 0 || c.goodOpts == 0 || c.badOpts == 0 {
			t.Errorf("type %q lacks cases: %d good / %d bad values, %d good / %d bad options", typ, c.good, c.bad, c.goodOpts, c.badOpts)
		}
	}
}

// TestRegistry checks Types() against the const block of field.go, and that
// every type is looked up to a kind of that type.
func TestRegistry(t *testing.T) {
	consts := typeConsts(t)
	if got := Types(); !reflect.DeepEqual(got, consts) {
		t.Fatalf("Types() = %v\nwant the const block of field.go: %v", got, consts)
	}
	for _, typ := range consts {
		k, ok := Lookup(typ)
		if !ok || k.Type() != typ {
			t.Errorf("Lookup(%q) = %v, %v", typ, k, ok)
			continue
		}
		if k.Writable() != (typ != Button) {
			t.Errorf("%s: Writable() = %v", typ, k.Writable())
		}
		opts, err := k.NormalizeOptions(nil)
		if typ == LinkToRecord {
			opts, err = k.NormalizeOptions(json.RawMessage(`{"table_id":"tbl_x"}`))
		}
		var m map[string]any
		if err != nil || opts == nil || json.Unmarshal(opts, &m) != nil {
			t.Errorf("%s: default options %s, %v: want a JSON object", typ, opts, err)
		}
	}
	ts := Types()
	ts[0] = "mutated"
	if Types()[0] != Text {
		t.Error("Types() returns the registry's own slice")
	}
	if _, ok := Lookup("rating"); ok {
		t.Error(`Lookup("rating") succeeded`)
	}
	_, err := Normalize(Field{Name: "Stars", Type: "rating"}, 3.0)
	if fe, ok := err.(*Error); !ok || fe.Field != "Stars" || !strings.Contains(fe.Reason, `unknown field type "rating"`) {
		t.Errorf("Normalize(unknown type) = %v", err)
	}
}

// typeConsts reads the constants of type Type from field.go, in order.
func typeConsts(t *testing.T) []Type {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "field.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Type
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
				continue
			}
			for i := range vs.Names {
				lit := vs.Values[i].(*ast.BasicLit)
				out = append(out, Type(strings.Trim(lit.Value, `"`)))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no Type constants found in field.go")
	}
	return out
}

func TestLocation(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		f    Field
		want string
	}{
		{Field{Type: DateTime, Options: json.RawMessage(`{"time_zone":"Europe/Paris"}`)}, paris.String()},
		{Field{Type: DateTime, Options: json.RawMessage(`{"time_zone":"UTC"}`)}, "UTC"},
		{Field{Type: DateTime}, "UTC"},
		{Field{Type: DateTime, Options: json.RawMessage(`{}`)}, "UTC"},
		{Field{Type: DateTime, Options: json.RawMessage(`{"time_zone":"Nowhere/Land"}`)}, "UTC"},
		{Field{Type: DateTime, Options: json.RawMessage(`{"time_zone":"Local"}`)}, "UTC"},
		{Field{Type: DateTime, Options: json.RawMessage(`not json`)}, "UTC"},
		{Field{Type: Date, Options: json.RawMessage(`{"time_zone":"Europe/Paris"}`)}, "UTC"},
		{Field{Type: Text}, "UTC"},
	}
	for _, c := range cases {
		if got := Location(c.f); got == nil || got.String() != c.want {
			t.Errorf("Location(%s %s) = %v, want %s", c.f.Type, c.f.Options, got, c.want)
		}
	}
}

// TestBrokenOptions: stored options that are not valid are reported on the
// field rather than panicking.
func TestBrokenOptions(t *testing.T) {
	for _, typ := range []Type{Number, SingleSelect, MultiSelect} {
		f := Field{Name: "Col", Type: typ, Options: json.RawMessage(`{"precision":"x","choices":3}`)}
		_, err := Normalize(f, "x")
		if typ == Number {
			_, err = Normalize(f, 1.5)
		}
		if fe, ok := err.(*Error); !ok || fe.Field != "Col" || !strings.Contains(fe.Reason, "options are invalid") {
			t.Errorf("%s: %v", typ, err)
		}
	}
	// Missing options are the defaults.
	if got, err := Normalize(Field{Type: Number}, 2.6); err != nil || got != 3.0 {
		t.Errorf("number without options: %v, %v", got, err)
	}
}

func TestErrorMessage(t *testing.T) {
	f := newField(t, SingleSelect, statusOpts)
	f.Name = "Status"
	_, err := Normalize(f, "Purple")
	want := `Status: "Purple" is not one of the choices: Todo, Doing, Done`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = Normalize(newField(t, Number, ""), "abc")
	if err == nil || !strings.HasSuffix(err.Error(), `expected a number, got string "abc"`) {
		t.Errorf("got %v", err)
	}
	// Long inputs are cut in reasons.
	_, err = Normalize(newField(t, Number, ""), strings.Repeat("x", 1000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("reason not cut: %d bytes", len(err.Error()))
	}
	// Many choices are cut in reasons.
	_, err = Normalize(newField(t, SingleSelect, choicesJSON(100)), "nope")
	if err == nil || !strings.Contains(err.Error(), "… (80 more)") {
		t.Errorf("choice list not cut: %v", err)
	}
}
