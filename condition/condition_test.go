package condition

import (
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the Europe/Paris zone of the datetime field

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/formula"
)

// testNow is 2026-03-15 in UTC (the date field's zone) and already
// 2026-03-16 00:30 in Paris (the datetime field's zone).
var testNow = time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC)

func testFields() []field.Field {
	sel := json.RawMessage(`{"choices":[{"name":"Todo"},{"name":"Doing","color":"blue"},{"name":"Done"}]}`)
	return []field.Field{
		{ID: "fld_name", Name: "Name", Type: field.Text, Options: json.RawMessage(`{}`)},
		{ID: "fld_notes", Name: "Notes", Type: field.LongText},
		{ID: "fld_email", Name: "Email", Type: field.Email},
		{ID: "fld_site", Name: "Site", Type: field.URL},
		{ID: "fld_phone", Name: "Phone", Type: field.Phone},
		{ID: "fld_amount", Name: "Amount", Type: field.Number, Options: json.RawMessage(`{"precision":2}`)},
		{ID: "fld_paid", Name: "Paid", Type: field.Checkbox},
		{ID: "fld_status", Name: "Status", Type: field.SingleSelect, Options: sel},
		{ID: "fld_tags", Name: "Tags", Type: field.MultiSelect, Options: json.RawMessage(`{"choices":[{"name":"vip"},{"name":"new"},{"name":"old"}]}`)},
		{ID: "fld_links", Name: "Links", Type: field.LinkToRecord, Options: json.RawMessage(`{"table_id":"tbl_x"}`)},
		{ID: "fld_due", Name: "Due", Type: field.Date},
		{ID: "fld_at", Name: "At", Type: field.DateTime, Options: json.RawMessage(`{"time_zone":"Europe/Paris"}`)},
		{ID: "fld_go", Name: "Go", Type: field.Button},
		{ID: "fld_name2", Name: "fld_amount", Type: field.Text}, // a name equal to another field's id
	}
}

// idOf maps the field names of the tables to ids.
func idOf(t *testing.T, name string) string {
	t.Helper()
	for _, f := range testFields() {
		if f.Name == name {
			return f.ID
		}
	}
	t.Fatalf("no field %q", name)
	return ""
}

func TestOperators(t *testing.T) {
	t.Parallel()
	type cs = []any
	tests := []struct {
		field, op string
		value     any
		cell      any // nil: the cell is absent
		want      bool
	}{
		// text family
		{"Name", "is", "Done", " done ", true},
		{"Name", "is", " Done ", "DONE", true},
		{"Name", "is", "Done", "Done!", false},
		{"Name", "is", "Done", nil, false},
		{"Name", "is", "Done", "   ", false},
		{"Name", "is", "1", float64(1), false},
		{"Name", "is_not", "Done", "DONE", false},
		{"Name", "is_not", "Done", "Other", true},
		{"Name", "is_not", "Done", nil, true},
		{"Name", "is_not", "1", float64(1), true},
		{"Name", "contains", "ell", "HELLO", true},
		{"Name", "contains", "ELL", "hello", true},
		{"Name", "contains", "ell", "help", false},
		{"Name", "contains", "ell", nil, false},
		{"Name", "contains", "ÉC", "un éclair", true},
		{"Name", "contains", "ec", "un éclair", false},
		{"Name", "not_contains", "ell", "HELLO", false},
		{"Name", "not_contains", "ell", "abc", true},
		{"Name", "not_contains", "ell", nil, true},
		{"Name", "is_empty", nil, nil, true},
		{"Name", "is_empty", nil, " \t", true},
		{"Name", "is_empty", nil, "a", false},
		{"Name", "is_not_empty", nil, nil, false},
		{"Name", "is_not_empty", "ignored", "a", true},
		{"Name", "is_any_of", cs{"a", "B"}, " b", true},
		{"Name", "is_any_of", []string{"a", "B"}, "c", false},
		{"Name", "is_any_of", cs{"a", "B"}, nil, false},
		{"Name", "is_any_of", cs{}, "a", false},
		{"Name", "is_none_of", cs{"a", "B"}, "b", false},
		{"Name", "is_none_of", cs{"a", "B"}, "c", true},
		{"Name", "is_none_of", cs{"a", "B"}, nil, true},
		{"Notes", "contains", "urgent", "This is\nURGENT.", true},
		{"Notes", "is_empty", nil, "", true},
		{"Email", "is", "Ann@Example.com", "ann@example.com", true},
		{"Email", "is_any_of", cs{"bob@x.io"}, "ann@example.com", false},
		{"Site", "contains", "example.", "https://www.Example.com", true},
		{"Site", "not_contains", "example.", "https://x.io", true},
		{"Phone", "is", "+33 1 23", "+33 1 23 ", true},
		{"Phone", "is_not_empty", nil, nil, false},

		// number
		{"Amount", "is", float64(10), float64(10), true},
		{"Amount", "is", json.Number("10"), json.Number("10.0"), true},
		{"Amount", "is", 10, float64(11), false},
		{"Amount", "is", float64(10), nil, false},
		{"Amount", "is", float64(10), "10", false},
		{"Amount", "is_not", float64(10), float64(11), true},
		{"Amount", "is_not", float64(10), float64(10), false},
		{"Amount", "is_not", float64(10), nil, true},
		{"Amount", "gt", float64(10), float64(10.5), true},
		{"Amount", "gt", float64(10), float64(10), false},
		{"Amount", "gt", float64(10), nil, false},
		{"Amount", "gt", float64(-1), float64(0), true},
		{"Amount", "gte", float64(10), json.Number("10"), true},
		{"Amount", "gte", float64(10), float64(9.99), false},
		{"Amount", "gte", float64(0), nil, false},
		{"Amount", "lt", float64(10), float64(9), true},
		{"Amount", "lt", float64(10), float64(10), false},
		{"Amount", "lt", float64(10), nil, false},
		{"Amount", "lte", float64(10), float64(10), true},
		{"Amount", "lte", float64(10), float64(11), false},
		{"Amount", "lte", float64(10), nil, false},
		{"Amount", "is_any_of", cs{float64(1), json.Number("2")}, float64(2), true},
		{"Amount", "is_any_of", cs{float64(1), float64(2)}, float64(3), false},
		{"Amount", "is_any_of", cs{float64(1)}, nil, false},
		{"Amount", "is_none_of", cs{float64(1), float64(2)}, float64(3), true},
		{"Amount", "is_none_of", cs{float64(1), float64(2)}, float64(1), false},
		{"Amount", "is_none_of", cs{float64(1)}, nil, true},
		{"Amount", "is_empty", nil, nil, true},
		{"Amount", "is_empty", nil, float64(0), false},
		{"Amount", "is_not_empty", nil, float64(0), true},
		{"Amount", "is_not_empty", nil, nil, false},

		// checkbox
		{"Paid", "is", true, true, true},
		{"Paid", "is", true, false, false},
		{"Paid", "is", true, nil, false},
		{"Paid", "is", false, nil, true},
		{"Paid", "is", false, false, true},
		{"Paid", "is", false, true, false},
		{"Paid", "is_not", true, nil, true},
		{"Paid", "is_not", true, true, false},
		{"Paid", "is_not", false, true, true},
		{"Paid", "is_not", false, nil, false},

		// single_select
		{"Status", "is", "Done", "Done", true},
		{"Status", "is", "Done", "Todo", false},
		{"Status", "is", "Done", nil, false},
		{"Status", "is_not", "Done", "Todo", true},
		{"Status", "is_not", "Done", "Done", false},
		{"Status", "is_not", "Done", nil, true},
		{"Status", "is_any_of", cs{"Todo", "Done"}, "Done", true},
		{"Status", "is_any_of", cs{"Todo", "Done"}, "Doing", false},
		{"Status", "is_any_of", cs{"Todo"}, nil, false},
		{"Status", "is_none_of", cs{"Todo", "Done"}, "Doing", true},
		{"Status", "is_none_of", cs{"Todo", "Done"}, "Done", false},
		{"Status", "is_none_of", cs{"Todo"}, nil, true},
		{"Status", "is_empty", nil, nil, true},
		{"Status", "is_empty", nil, "Done", false},
		{"Status", "is_not_empty", nil, "Done", true},
		{"Status", "is_not_empty", nil, nil, false},

		// multi_select
		{"Tags", "contains", "vip", cs{"new", "vip"}, true},
		{"Tags", "contains", "vip", []string{"new", "vip"}, true},
		{"Tags", "contains", "vip", cs{"new"}, false},
		{"Tags", "contains", "vip", nil, false},
		{"Tags", "contains", "vip", cs{}, false},
		{"Tags", "contains", "vip", "vip", false},
		{"Tags", "not_contains", "vip", cs{"new"}, true},
		{"Tags", "not_contains", "vip", cs{"vip"}, false},
		{"Tags", "not_contains", "vip", nil, true},
		{"Tags", "is", cs{"vip", "new"}, cs{"new", "vip"}, true},
		{"Tags", "is", cs{"vip", "new"}, []string{"new", "vip"}, true},
		{"Tags", "is", cs{"vip", "new"}, cs{"vip"}, false},
		{"Tags", "is", cs{"vip", "new"}, cs{"vip", "new", "old"}, false},
		{"Tags", "is", cs{"vip"}, nil, false},
		{"Tags", "is_not", cs{"vip", "new"}, cs{"vip"}, true},
		{"Tags", "is_not", cs{"vip", "new"}, cs{"new", "vip"}, false},
		{"Tags", "is_not", cs{"vip"}, nil, true},
		{"Tags", "is_any_of", cs{"vip", "old"}, cs{"new", "old"}, true},
		{"Tags", "is_any_of", cs{"vip", "old"}, []string{"new"}, false},
		{"Tags", "is_any_of", cs{"vip"}, nil, false},
		{"Tags", "is_none_of", cs{"vip", "old"}, cs{"new"}, true},
		{"Tags", "is_none_of", cs{"vip", "old"}, cs{"old"}, false},
		{"Tags", "is_none_of", cs{"vip"}, nil, true},
		{"Tags", "is_empty", nil, cs{}, true},
		{"Tags", "is_empty", nil, cs{"vip"}, false},
		{"Tags", "is_not_empty", nil, []string{"vip"}, true},
		{"Tags", "is_not_empty", nil, nil, false},

		// link_to_record
		{"Links", "contains", "rec_1", []string{"rec_1", "rec_2"}, true},
		{"Links", "contains", "rec_1", cs{"rec_3"}, false},
		{"Links", "contains", "rec_1", nil, false},
		{"Links", "not_contains", "rec_1", cs{"rec_3"}, true},
		{"Links", "not_contains", "rec_1", cs{"rec_1"}, false},
		{"Links", "not_contains", "rec_1", nil, true},
		{"Links", "is", cs{"rec_1", "rec_2"}, cs{"rec_2", "rec_1"}, true},
		{"Links", "is", cs{"rec_1", "rec_2"}, cs{"rec_2"}, false},
		{"Links", "is", cs{"rec_1"}, nil, false},
		{"Links", "is_not", cs{"rec_1"}, cs{"rec_2"}, true},
		{"Links", "is_any_of", cs{"rec_1", "rec_9"}, cs{"rec_9"}, true},
		{"Links", "is_any_of", cs{"rec_1"}, cs{"rec_9"}, false},
		{"Links", "is_none_of", cs{"rec_1"}, cs{"rec_9"}, true},
		{"Links", "is_none_of", cs{"rec_1"}, cs{"rec_1"}, false},
		{"Links", "is_none_of", cs{"rec_1"}, nil, true},
		{"Links", "is_empty", nil, nil, true},
		{"Links", "is_not_empty", nil, cs{"rec_1"}, true},

		// date (zone UTC: today is 2026-03-15)
		{"Due", "is_on", "2026-03-15", "2026-03-15", true},
		{"Due", "is_on", "2026-03-15", "2026-03-14", false},
		{"Due", "is_on", "2026-03-15", nil, false},
		{"Due", "is_on", "2026-03-15", "15/03/2026", false},
		{"Due", "is_on", "today", "2026-03-15", true},
		{"Due", "is_on", " Today ", "2026-03-16", false},
		{"Due", "is_on", "tomorrow", "2026-03-16", true},
		{"Due", "is_on", "tomorrow", "2026-03-15", false},
		{"Due", "is_on", "yesterday", "2026-03-14", true},
		{"Due", "is_on", "now", "2026-03-15", true},
		{"Due", "is_on", map[string]any{"days_ago": json.Number("5")}, "2026-03-10", true},
		{"Due", "is_on", map[string]any{"days_from_now": float64(2)}, "2026-03-17", true},
		{"Due", "is_on", map[string]any{"days_from_now": float64(2)}, "2026-03-16", false},
		{"Due", "is_on", "2026-03-15T12:00:00+05:00", "2026-03-15", true},
		{"Due", "is_before", "2026-03-15", "2026-03-14", true},
		{"Due", "is_before", "2026-03-15", "2026-03-15", false},
		{"Due", "is_before", "today", nil, false},
		{"Due", "is_before", "now", "2026-03-14", true},
		{"Due", "is_after", "today", "2026-03-16", true},
		{"Due", "is_after", "today", "2026-03-15", false},
		{"Due", "is_after", "today", nil, false},
		{"Due", "is_within", map[string]any{"past_days": float64(7)}, "2026-03-08", true},
		{"Due", "is_within", map[string]any{"past_days": float64(7)}, "2026-03-15", true},
		{"Due", "is_within", map[string]any{"past_days": float64(7)}, "2026-03-07", false},
		{"Due", "is_within", map[string]any{"past_days": float64(7)}, "2026-03-16", false},
		{"Due", "is_within", map[string]any{"past_days": float64(7)}, nil, false},
		{"Due", "is_within", map[string]any{"next_days": 3}, "2026-03-18", true},
		{"Due", "is_within", map[string]any{"next_days": 3}, "2026-03-19", false},
		{"Due", "is_within", "past_week", "2026-03-08", true},
		{"Due", "is_within", "past_week", "2026-03-07", false},
		{"Due", "is_within", "next_week", "2026-03-22", true},
		{"Due", "is_within", "next_week", "2026-03-23", false},
		{"Due", "is_within", "past_month", "2026-02-15", true},
		{"Due", "is_within", "past_month", "2026-02-14", false},
		{"Due", "is_within", "next_month", "2026-04-15", true},
		{"Due", "is_within", "next_month", "2026-04-16", false},
		{"Due", "is_within", "past_year", "2025-03-15", true},
		{"Due", "is_within", "past_year", "2025-03-14", false},
		{"Due", "is_within", "next_year", "2027-03-15", true},
		{"Due", "is_within", "next_year", "2027-03-16", false},
		{"Due", "is_within", "today", "2026-03-15", true},
		{"Due", "is_within", "today", "2026-03-14", false},
		{"Due", "is_empty", nil, nil, true},
		{"Due", "is_empty", nil, "2026-03-15", false},
		{"Due", "is_not_empty", nil, "2026-03-15", true},

		// datetime (zone Europe/Paris, UTC+1: today is 2026-03-16, now 00:30)
		{"At", "is_on", "today", "2026-03-15T23:10:00Z", true},
		{"At", "is_on", "today", "2026-03-15T22:50:00Z", false},
		{"At", "is_on", "today", nil, false},
		{"At", "is_on", "2026-03-16", "2026-03-15T23:10:00Z", true},
		{"At", "is_on", "2026-03-16T08:00:00+10:00", "2026-03-15T23:10:00Z", false},
		{"At", "is_on", "2026-03-16T12:00:00+09:00", "2026-03-15T23:10:00Z", true},
		{"At", "is_before", "now", "2026-03-15T23:00:00Z", true},
		{"At", "is_before", "now", "2026-03-15T23:45:00Z", false},
		{"At", "is_before", "now", nil, false},
		{"At", "is_after", "now", "2026-03-15T23:45:00Z", true},
		{"At", "is_after", "now", "2026-03-15T23:30:00Z", false},
		{"At", "is_before", "2026-03-16T00:00:00+01:00", "2026-03-15T22:59:59Z", true},
		{"At", "is_before", "2026-03-16T00:00:00+01:00", "2026-03-15T23:00:00Z", false},
		{"At", "is_before", "2026-03-16", "2026-03-15T22:59:00Z", true},
		{"At", "is_before", "2026-03-16", "2026-03-15T23:01:00Z", false},
		{"At", "is_after", "yesterday", "2026-03-15T23:01:00Z", true},
		{"At", "is_after", "yesterday", "2026-03-15T22:00:00Z", false},
		{"At", "is_after", "yesterday", nil, false},
		{"At", "is_within", map[string]any{"past_days": float64(1)}, "2026-03-14T23:30:00Z", true},
		{"At", "is_within", map[string]any{"past_days": float64(1)}, "2026-03-14T22:30:00Z", false},
		{"At", "is_within", "today", "2026-03-16T22:59:00Z", true},
		{"At", "is_within", "today", "2026-03-16T23:00:00Z", false},
		{"At", "is_not_empty", nil, "2026-03-15T23:10:00Z", true},
		{"At", "is_empty", nil, nil, true},
	}
	fields := testFields()
	for _, tt := range tests {
		name := strings.Join([]string{tt.field, tt.op, describe(tt.value), describe(tt.cell)}, " ")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(Group{Rules: []Rule{{Field: tt.field, Op: tt.op, Value: tt.value}}}, fields)
			require.NoError(t, err)
			cells := map[string]any{}
			if tt.cell != nil {
				cells[idOf(t, tt.field)] = tt.cell
			}
			got, err := c.Match(cells, testNow)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	leaf := func(f, op string, v any) Group { return Group{Rules: []Rule{{Field: f, Op: op, Value: v}}} }
	deep := Group{Rules: []Rule{{Field: "Name", Op: "is_empty"}}}
	for range MaxDepth {
		inner := deep
		deep = Group{Rules: []Rule{{Group: &inner}}}
	}
	many := Group{Rules: make([]Rule, MaxRules+1)}
	for i := range many.Rules {
		many.Rules[i] = Rule{Field: "Name", Op: "is_empty"}
	}
	tests := []struct {
		name string
		g    Group
		path string
		msg  string
	}{
		{"unknown field", leaf("Nope", "is", "x"), "rules[0].field", `no field "Nope"`},
		{"missing field", leaf("", "is", "x"), "rules[0].field", "is required"},
		{"button", leaf("Go", "is_empty", nil), "rules[0].field", "button field"},
		{"unknown op", leaf("Name", "equals", "x"), "rules[0].op", `unknown operator "equals"`},
		{"missing op", leaf("Name", "", "x"), "rules[0].op", "is required"},
		{"gt on checkbox", leaf("Paid", "gt", true), "rules[0].op", `operator "gt" does not apply to checkbox field "Paid"`},
		{"contains on single select", leaf("Status", "contains", "Do"), "rules[0].op", "does not apply"},
		{"is_on on text", leaf("Name", "is_on", "today"), "rules[0].op", "does not apply"},
		{"gt on date", leaf("Due", "gt", "2026-01-01"), "rules[0].op", "does not apply"},
		{"text value not a string", leaf("Name", "is", float64(1)), "rules[0].value", "must be a string, got number 1"},
		{"text value blank", leaf("Name", "is", "  "), "rules[0].value", "use is_empty"},
		{"contains blank", leaf("Notes", "contains", ""), "rules[0].value", "must not be empty"},
		{"any_of not a list", leaf("Name", "is_any_of", "a"), "rules[0].value", "is_any_of needs a list"},
		{"any_of bad element", leaf("Name", "is_none_of", []any{"a", true}), "rules[0].value[1]", "must be a string"},
		{"number as string", leaf("Amount", "gt", "5"), "rules[0].value", `must be a number, got string "5"`},
		{"number NaN", leaf("Amount", "is", math.NaN()), "rules[0].value", "finite"},
		{"number list element", leaf("Amount", "is_any_of", []any{float64(1), "2"}), "rules[0].value[1]", "must be a number"},
		{"checkbox string", leaf("Paid", "is", "true"), "rules[0].value", "must be true or false"},
		{"checkbox null", leaf("Paid", "is", nil), "rules[0].value", "got null"},
		{"not a choice", leaf("Status", "is", "Nope"), "rules[0].value", `"Nope" is not a choice of field "Status" (choices: Todo, Doing, Done)`},
		{"choice wrong case", leaf("Status", "is", "done"), "rules[0].value", `did you mean "Done"?`},
		{"choice list element", leaf("Status", "is_any_of", []any{"Todo", "Later"}), "rules[0].value[1]", "not a choice"},
		{"multi not a choice", leaf("Tags", "contains", "gold"), "rules[0].value", "not a choice"},
		{"multi is empty list", leaf("Tags", "is", []any{}), "rules[0].value", "must not be empty"},
		{"multi contains list", leaf("Tags", "contains", []any{"vip"}), "rules[0].value", "must be a string, got a list"},
		{"link blank id", leaf("Links", "is_any_of", []any{""}), "rules[0].value[0]", "must not be empty"},
		{"bad date", leaf("Due", "is_on", "2026-02-30"), "rules[0].value", `must be a date "YYYY-MM-DD"`},
		{"date number", leaf("At", "is_before", float64(5)), "rules[0].value", "got number 5"},
		{"days_ago not a number", leaf("Due", "is_on", map[string]any{"days_ago": "x"}), "rules[0].value.days_ago", "whole number"},
		{"days object unknown key", leaf("Due", "is_on", map[string]any{"weeks_ago": float64(1)}), "rules[0].value.weeks_ago", "unknown key"},
		{"days object two keys", leaf("Due", "is_after", map[string]any{"days_ago": float64(1), "days_from_now": float64(1)}), "rules[0].value", "exactly one key"},
		{"bad window word", leaf("Due", "is_within", "last_week"), "rules[0].value", "is_within needs a window"},
		{"window date", leaf("At", "is_within", "2026-01-01"), "rules[0].value", "is_within needs a window"},
		{"window negative", leaf("Due", "is_within", map[string]any{"past_days": float64(-1)}), "rules[0].value.past_days", "from 0 to 100000"},
		{"window fraction", leaf("Due", "is_within", map[string]any{"next_days": 1.5}), "rules[0].value.next_days", "whole number"},
		{"window huge", leaf("Due", "is_within", map[string]any{"next_days": 1e12}), "rules[0].value.next_days", "whole number"},
		{"window days_ago key", leaf("Due", "is_within", map[string]any{"days_ago": float64(1)}), "rules[0].value.days_ago", "unknown key"},
		{"bad match", Group{Match: "some"}, "match", `must be "all" or "any"`},
		{
			"nested value",
			Group{Rules: []Rule{
				{Field: "Name", Op: "is_empty"},
				{Group: &Group{Match: "any", Rules: []Rule{{Field: "Amount", Op: "gt", Value: "x"}}}},
			}},
			"rules[1].rules[0].value", "must be a number",
		},
		{"nested match", Group{Rules: []Rule{{Field: "Name", Op: "is_empty"}, {Group: &Group{Match: "ALL"}}}}, "rules[1].match", "must be"},
		{"leaf and group", Group{Rules: []Rule{{Field: "Name", Group: &Group{}}}}, "rules[0]", "either a leaf"},
		{"rules and formula", Group{Formula: "1", Rules: []Rule{{Field: "Name", Op: "is_empty"}}}, "formula", "not both"},
		{"formula syntax", Group{Formula: "AND({Status} = 'Done',"}, "formula", "syntax error at position"},
		{"formula unknown field", Group{Formula: "{Nope} = 1"}, "formula", "{Nope} is not a field"},
		{"formula button", Group{Formula: "{Go}"}, "formula", "button field"},
		{"nested formula", Group{Rules: []Rule{{Group: &Group{Formula: "{Nope}"}}}}, "rules[0].formula", "{Nope} is not a field"},
		{"too deep", deep, strings.Repeat("rules[0].", MaxDepth-1) + "rules[0]", "more than 10 levels"},
		{"too many rules", many, "rules[200]", "too many rules (at most 200"},
	}
	fields := testFields()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(tt.g, fields)
			require.Nil(t, c)
			pe, ok := err.(*PathError)
			require.True(t, ok, "want a *PathError, got %T %v", err, err)
			require.Equal(t, tt.path, pe.Path)
			require.Contains(t, pe.Msg, tt.msg)
			require.Equal(t, tt.path+": "+pe.Msg, pe.Error())
		})
	}
}

func TestCompileLimitsAccepted(t *testing.T) {
	t.Parallel()
	deep := Group{Rules: []Rule{{Field: "Name", Op: "is_empty"}}}
	for range MaxDepth - 1 {
		inner := deep
		deep = Group{Rules: []Rule{{Group: &inner}}}
	}
	many := Group{Rules: make([]Rule, MaxRules)}
	for i := range many.Rules {
		many.Rules[i] = Rule{Field: "Name", Op: "is_empty"}
	}
	for _, g := range []Group{deep, many} {
		c, err := Compile(g, testFields())
		require.NoError(t, err)
		ok, err := c.Match(nil, testNow)
		require.NoError(t, err)
		require.True(t, ok)
	}
}

func TestFieldByIDOrName(t *testing.T) {
	t.Parallel()
	cells := map[string]any{"fld_amount": float64(5), "fld_name2": "x"}
	tests := []struct {
		ref  string
		op   string
		val  any
		want bool
	}{
		{"Amount", "gt", float64(1), true},
		{"fld_amount", "gt", float64(1), true}, // the id wins over the name "fld_amount"
		{"fld_name2", "is", "X", true},
	}
	for _, tt := range tests {
		c, err := Compile(Group{Rules: []Rule{{Field: tt.ref, Op: tt.op, Value: tt.val}}}, testFields())
		require.NoError(t, err)
		got, err := c.Match(cells, testNow)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.ref)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	done := Rule{Field: "Status", Op: "is", Value: "Done"}
	big := Rule{Field: "Amount", Op: "gt", Value: float64(100)}
	vip := Rule{Field: "Tags", Op: "contains", Value: "vip"}
	tests := []struct {
		name  string
		g     Group
		cells map[string]any
		want  bool
	}{
		{"empty group", Group{}, nil, true},
		{"empty any group", Group{Match: "any"}, map[string]any{"fld_amount": float64(1)}, true},
		{"all true", Group{Rules: []Rule{done, big}}, map[string]any{"fld_status": "Done", "fld_amount": float64(101)}, true},
		{"all one false", Group{Match: "all", Rules: []Rule{done, big}}, map[string]any{"fld_status": "Done", "fld_amount": float64(100)}, false},
		{"any one true", Group{Match: "any", Rules: []Rule{done, big}}, map[string]any{"fld_status": "Todo", "fld_amount": float64(101)}, true},
		{"any none true", Group{Match: "any", Rules: []Rule{done, big}}, map[string]any{"fld_status": "Todo"}, false},
		{
			"nested any in all",
			Group{Rules: []Rule{done, {Group: &Group{Match: "any", Rules: []Rule{big, vip}}}}},
			map[string]any{"fld_status": "Done", "fld_tags": []any{"vip"}}, true,
		},
		{
			"nested any in all false",
			Group{Rules: []Rule{done, {Group: &Group{Match: "any", Rules: []Rule{big, vip}}}}},
			map[string]any{"fld_status": "Done", "fld_tags": []any{"new"}}, false,
		},
		{"empty nested group ignored in any", Group{Match: "any", Rules: []Rule{{Group: &Group{}}, done}}, map[string]any{"fld_status": "Todo"}, false},
		{"only empty nested groups", Group{Match: "any", Rules: []Rule{{Group: &Group{}}, {Group: &Group{Match: "any"}}}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(tt.g, testFields())
			require.NoError(t, err)
			got, err := c.Match(tt.cells, testNow)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNilCondition(t *testing.T) {
	t.Parallel()
	var c *Condition
	ok, err := c.Match(map[string]any{"x": 1}, testNow)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestCompileJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		raw   string
		cells map[string]any
		want  bool
	}{
		{"nil", "", map[string]any{}, true},
		{"null", " null ", nil, true},
		{"empty object", "{}", nil, true},
		{"empty rules", `{"match":"any","rules":[]}`, nil, true},
		{
			"full",
			`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"},
			  {"match":"any","rules":[{"field":"Amount","op":"gte","value":100.50},{"field":"fld_paid","op":"is","value":true}]}]}`,
			map[string]any{"fld_status": "Done", "fld_amount": json.Number("100.5")}, true,
		},
		{
			"full false",
			`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"},
			  {"match":"any","rules":[{"field":"Amount","op":"gte","value":100.50},{"field":"fld_paid","op":"is","value":true}]}]}`,
			map[string]any{"fld_status": "Done", "fld_amount": float64(100.4)}, false,
		},
		{"value null on is_empty", `{"rules":[{"field":"Name","op":"is_empty","value":null}]}`, nil, true},
		{"date object", `{"rules":[{"field":"Due","op":"is_within","value":{"past_days":3}}]}`, map[string]any{"fld_due": "2026-03-13"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := CompileJSON(json.RawMessage(tt.raw), testFields())
			require.NoError(t, err)
			got, err := c.Match(tt.cells, testNow)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCompileJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, path, msg string
	}{
		{"not json", `{"match":`, "", "invalid JSON"},
		{"not an object", `[1]`, "", "group must be a JSON object"},
		{"unknown top key", `{"match":"all","where":1}`, "where", "unknown key"},
		{"match not a string", `{"match":1}`, "match", "must be a string"},
		{"rules not a list", `{"rules":{}}`, "rules", "must be a list of rules"},
		{"rule not an object", `{"rules":["x"]}`, "rules[0]", "rule must be a JSON object"},
		{"empty rule", `{"rules":[{}]}`, "rules[0]", "empty rule"},
		{"unknown rule key", `{"rules":[{"field":"Name","op":"is","value":"x","negate":true}]}`, "rules[0].negate", "unknown key"},
		{"mixed rule", `{"rules":[{"field":"Name","rules":[]}]}`, "rules[0]", "not both"},
		{"field not a string", `{"rules":[{"field":3,"op":"is"}]}`, "rules[0].field", "must be a string"},
		{"nested unknown key", `{"rules":[{"field":"Name","op":"is_empty"},{"match":"any","rules":[{"bogus":1}]}]}`, "rules[1].rules[0].bogus", "unknown key"},
		{"compile error", `{"rules":[{"field":"Amount","op":"gt","value":"1"}]}`, "rules[0].value", "must be a number"},
		{"formula not a string", `{"formula":true}`, "formula", "must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := CompileJSON(json.RawMessage(tt.raw), testFields())
			require.Nil(t, c)
			pe, ok := err.(*PathError)
			require.True(t, ok, "want a *PathError, got %T %v", err, err)
			require.Equal(t, tt.path, pe.Path)
			require.Contains(t, pe.Msg, tt.msg)
		})
	}
}

func TestGroupJSONRoundTrip(t *testing.T) {
	t.Parallel()
	raw := `{"match":"any","rules":[{"field":"Status","op":"is","value":"Done"},{"field":"Name","op":"is_empty"},` +
		`{"match":"all","rules":[{"field":"Amount","op":"gt","value":1.5}]},{"formula":"{Paid}"}]}`
	var g Group
	require.NoError(t, json.Unmarshal([]byte(raw), &g))
	require.Equal(t, Group{Match: "any", Rules: []Rule{
		{Field: "Status", Op: "is", Value: "Done"},
		{Field: "Name", Op: "is_empty"},
		{Group: &Group{Match: "all", Rules: []Rule{{Field: "Amount", Op: "gt", Value: json.Number("1.5")}}}},
		{Group: &Group{Formula: "{Paid}"}},
	}}, g)
	out, err := json.Marshal(g)
	require.NoError(t, err)
	require.JSONEq(t, raw, string(out))

	var r Rule
	err = json.Unmarshal([]byte(`{"field":"x","op":"is","extra":1}`), &r)
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "extra", pe.Path)
}

func TestFormula(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		formula string
		cells   map[string]any
		want    bool
	}{
		{"and true", "AND({Status} = 'Done', {Amount} > 100)", map[string]any{"fld_status": "Done", "fld_amount": float64(150)}, true},
		{"and false", "AND({Status} = 'Done', {Amount} > 100)", map[string]any{"fld_status": "Done", "fld_amount": json.Number("50")}, false},
		{"empty cells", "AND({Status} = 'Done', {Amount} > 100)", nil, false},
		{"checkbox", "{Paid}", map[string]any{"fld_paid": true}, true},
		{"field by id", "{fld_notes}", map[string]any{"fld_notes": "hi"}, true},
		{"blank is false", "{Name}", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(Group{Formula: tt.formula}, testFields())
			require.NoError(t, err)
			got, err := c.Match(tt.cells, testNow)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestFormulaEvalError(t *testing.T) {
	t.Parallel()
	c, err := Compile(Group{Match: "any", Rules: []Rule{
		{Field: "Paid", Op: "is", Value: true},
		{Group: &Group{Formula: "{Amount} * {Name} > 1"}},
	}}, testFields())
	require.NoError(t, err)

	ok, err := c.Match(map[string]any{"fld_amount": float64(2), "fld_name": "abc"}, testNow)
	require.False(t, ok)
	var ee *formula.EvalError
	require.ErrorAs(t, err, &ee)
	require.Contains(t, err.Error(), "condition formula:")

	// An earlier rule that decides the group spares the formula.
	ok, err = c.Match(map[string]any{"fld_paid": true, "fld_amount": float64(2), "fld_name": "abc"}, testNow)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestFormulaNested(t *testing.T) {
	t.Parallel()
	c, err := CompileJSON(json.RawMessage(`{"match":"any","rules":[{"field":"Name","op":"is","value":"a"},{"formula":"{Amount} >= 10"}]}`), testFields())
	require.NoError(t, err)
	for _, tt := range []struct {
		cells map[string]any
		want  bool
	}{
		{map[string]any{"fld_name": "A"}, true},
		{map[string]any{"fld_amount": float64(10)}, true},
		{map[string]any{"fld_amount": float64(9)}, false},
	} {
		got, err := c.Match(tt.cells, testNow)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.cells)
	}
}

func TestOps(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{
		"is", "is_not", "contains", "not_contains", "is_empty", "is_not_empty",
		"gt", "gte", "lt", "lte", "is_any_of", "is_none_of",
		"is_before", "is_after", "is_on", "is_within",
	}, Ops())
	tests := []struct {
		t    field.Type
		want []string
	}{
		{field.Text, []string{"is", "is_not", "contains", "not_contains", "is_empty", "is_not_empty", "is_any_of", "is_none_of"}},
		{field.Phone, []string{"is", "is_not", "contains", "not_contains", "is_empty", "is_not_empty", "is_any_of", "is_none_of"}},
		{field.Number, []string{"is", "is_not", "gt", "gte", "lt", "lte", "is_empty", "is_not_empty", "is_any_of", "is_none_of"}},
		{field.Checkbox, []string{"is", "is_not"}},
		{field.SingleSelect, []string{"is", "is_not", "is_any_of", "is_none_of", "is_empty", "is_not_empty"}},
		{field.LinkToRecord, []string{"contains", "not_contains", "is", "is_not", "is_any_of", "is_none_of", "is_empty", "is_not_empty"}},
		{field.DateTime, []string{"is_on", "is_before", "is_after", "is_within", "is_empty", "is_not_empty"}},
		{field.Button, nil},
		{field.Type("nope"), nil},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, OpsFor(tt.t), tt.t)
	}
	// Every operator of every type is a known operator, and the slices are copies.
	for _, ft := range field.Types() {
		for _, op := range OpsFor(ft) {
			require.Contains(t, Ops(), op)
		}
	}
	OpsFor(field.Checkbox)[0] = "changed"
	require.Equal(t, "is", OpsFor(field.Checkbox)[0])
}

func TestConcurrentMatch(t *testing.T) {
	t.Parallel()
	c, err := CompileJSON(json.RawMessage(`{"rules":[{"field":"Name","op":"contains","value":"a"},{"field":"Due","op":"is_within","value":"past_week"}]}`), testFields())
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([]bool, 8)
	for i := range results {
		wg.Go(func() {
			ok, err := c.Match(map[string]any{"fld_name": "abc", "fld_due": "2026-03-10"}, testNow)
			results[i] = ok && err == nil
		})
	}
	wg.Wait()
	require.Equal(t, []bool{true, true, true, true, true, true, true, true}, results)
}

// deepFilter is a condition nested depth groups deep, a leaf at the bottom.
func deepFilter(depth int) string {
	return strings.Repeat(`{"rules":[`, depth) + `{"field":"Name","op":"is","value":"x"}` + strings.Repeat(`]}`, depth)
}

// TestDeepNestingFailsFast is the regression test of a filter nested 4,000
// deep: decoding re-read the subtree at every level (8 s, +360 MiB) and
// the depth limit was checked only afterwards. Now the depth is checked
// while decoding and the answer comes in well under 10 ms.
func TestDeepNestingFailsFast(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{MaxDepth + 1, 100, 4000, 9000} {
		raw := json.RawMessage(deepFilter(depth))
		best := time.Hour
		for range 5 { // the best of five: the CPU is shared
			start := time.Now()
			_, err := CompileJSON(raw, testFields())
			best = min(best, time.Since(start))
			var pe *PathError
			require.ErrorAs(t, err, &pe, "depth %d", depth)
			require.Contains(t, pe.Msg, "nest", "depth %d", depth)
			require.Contains(t, pe.Msg, "10 levels", "depth %d", depth)
			require.True(t, strings.HasPrefix(pe.Path, strings.Repeat("rules[0].", MaxDepth-1)+"rules[0]"), "depth %d: %s", depth, pe.Path)
			var g Group
			require.Error(t, json.Unmarshal(raw, &g))
		}
		require.Less(t, best, 10*time.Millisecond, "depth %d", depth)
		t.Logf("FIGURE condition nested %d deep refused in %s (best of 5)", depth, best)
	}
	// Exactly MaxDepth deep still compiles.
	_, err := CompileJSON(json.RawMessage(deepFilter(MaxDepth)), testFields())
	require.NoError(t, err)
}

// TestManyRulesStopEarly: rules beyond MaxRules are refused while decoding,
// at the same place Compile names.
func TestManyRulesStopEarly(t *testing.T) {
	t.Parallel()
	leaf := `{"field":"Name","op":"is","value":"x"}`
	raw := `{"rules":[` + strings.TrimSuffix(strings.Repeat(leaf+",", 100_000), ",") + `]}`
	start := time.Now()
	_, err := CompileJSON(json.RawMessage(raw), testFields())
	require.Less(t, time.Since(start), time.Second)
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "rules[200]", pe.Path)
}
