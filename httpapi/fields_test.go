package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestFieldValuesThroughAPI writes good and bad values of every field type
// through the API: a good value answers 201 with the canonical cell (and
// reads back the same), a bad one 422 naming the field and the reason.
func TestFieldValuesThroughAPI(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	t1 := createRecord(t, env, s.TargetsID, map[string]any{"Label": "T1"})
	t2 := createRecord(t, env, s.TargetsID, map[string]any{"Label": "T2"})
	recs := "/api/v1/tables/" + s.ItemsID + "/records"

	type good struct {
		in   any
		want any
	}
	type bad struct {
		in     any
		reason string
	}
	for _, tc := range []struct {
		field string
		goods []good
		bads  []bad
	}{
		{"Name", []good{{"hello", "hello"}, {"  spaced  ", "  spaced  "}, {"", nil}, {nil, nil}, {"日本語 ✓", "日本語 ✓"}}, []bad{
			{5, "expected a string, got number 5"},
			{true, "expected a string"},
			{[]any{"a"}, "expected a string, got a list"},
			{map[string]any{"a": 1}, "got an object"},
			{"a\u0000b", "nul"},
			{strings.Repeat("x", 100_001), "too long"},
		}},
		{"Notes", []good{{"line 1\nline 2", "line 1\nline 2"}}, []bad{{1.5, "expected a string"}}},
		{"Amount", []good{{1.25, 1.25}, {-2.5, -2.5}, {3, 3.0}, {0.01, 0.01}, {nil, nil}, {1e15, 1e15}}, []bad{
			{1.005, "1.005 has more decimals than the field's precision (2) allows; it would be stored as 1.01"},
			{0.004, "more decimals than the field's precision (2)"},
			{"3", `expected a number, got string "3"`},
			{true, "expected a number"},
			{[]any{1}, "expected a number"},
		}},
		{"Count", []good{{2, 2.0}, {-3, -3.0}, {0, 0.0}}, []bad{{"", "expected a number"}, {2.5, "precision (0)"}}},
		{"Done", []good{{true, true}, {false, false}, {nil, nil}}, []bad{
			{"true", "expected true or false"},
			{1, "expected true or false"},
		}},
		{"Status", []good{{"Done", "Done"}, {"done", "Done"}, {"", nil}, {nil, nil}}, []bad{
			{"Nope", `"Nope" is not one of the choices: Todo, Doing, Done`},
			{[]any{"Done"}, "expected a choice name"},
			{3, "expected a choice name"},
		}},
		{"Tags", []good{{[]any{"red", "green"}, []any{"red", "green"}}, {"blue", []any{"blue"}}, {[]any{"RED", "red"}, []any{"red"}}, {[]any{}, nil}, {nil, nil}}, []bad{
			{[]any{"red", "nope"}, `item 2: "nope" is not one of the choices`},
			{[]any{1}, "item 1: expected a choice name"},
			{5, "expected a list of choice names"},
		}},
		{"Due", []good{{"2026-02-28", "2026-02-28"}, {"2024-02-29", "2024-02-29"}, {"2026-01-02T23:30:00-05:00", "2026-01-03"}, {"", nil}}, []bad{
			{"2026-02-30", "expected a date"},
			{"tomorrow", "expected a date"},
			{"02/01/2026", "expected a date"},
			{20260102, "expected a date"},
			{"0000-01-01", "out of range"},
		}},
		{"At", []good{
			{"2026-07-01T12:00", "2026-07-01T10:00:00Z"}, // Paris is UTC+2 in summer
			{"2026-01-02T10:00:00", "2026-01-02T09:00:00Z"},
			{"2026-01-02T10:00:00+01:00", "2026-01-02T09:00:00Z"},
			{"2026-01-02T10:00:00.5Z", "2026-01-02T10:00:00.5Z"},
			{"2026-01-02", "2026-01-01T23:00:00Z"},
			{nil, nil},
		}, []bad{
			{"noon", "expected an RFC 3339 timestamp"},
			{"2026-13-01T00:00:00Z", "expected an RFC 3339 timestamp"},
			{1767225600, "expected an RFC 3339 timestamp"},
		}},
		{"Email", []good{{"Ada@Example.COM", "Ada@example.com"}, {"a.b+c@sub.example.org", "a.b+c@sub.example.org"}}, []bad{
			{"ada", "exactly one @"},
			{"a b@example.com", "space"},
			{"Ada <ada@example.com>", "space"},
			{"ada@localhost", "must contain a dot"},
			{"@example.com", "nothing before the @"},
			{7, "expected an email address"},
		}},
		{"Site", []good{{"https://example.com", "https://example.com"}, {"http://example.com:8080/a?b=c#d", "http://example.com:8080/a?b=c#d"}}, []bad{
			{"ftp://example.com", "absolute http or https url"},
			{"example.com", "absolute http or https url"},
			{"https://exa mple.com", "contains a space"},
			{"https://" + strings.Repeat("a", 2050), "too long"},
			{false, "expected a url"},
		}},
		{"Phone", []good{{"+44 20 7946 0958", "+44 20 7946 0958"}, {"(555) 010.9999", "(555) 010.9999"}}, []bad{
			{"12", "at least 3 digits"},
			{"call me", "only digits"},
			{"12+34", "only digits"},
			{5550100, "expected a phone number"},
		}},
		{"Target", []good{{[]any{t1}, []any{t1}}, {t2, []any{t2}}, {[]any{t1, t2, t1}, []any{t1, t2}}, {[]any{}, nil}}, []bad{
			{[]any{"rec_missing"}, `no record "rec_missing"`},
			{[]any{s.TargetsID}, "expected a record id"},
			{5, "expected a list of record ids"},
		}},
		{"Go", nil, []bad{{"click", "cannot be written"}, {true, "cannot be written"}}},
	} {
		for i, g := range tc.goods {
			t.Run(fmt.Sprintf("%s/good/%d", tc.field, i), func(t *testing.T) {
				t.Parallel()
				out := doJSON(t, env, "POST", recs, map[string]any{"fields": map[string]any{tc.field: g.in}}, http.StatusCreated)
				require.Equal(t, g.want, out["fields"].(map[string]any)[tc.field])
				require.Equal(t, g.want, getFields(t, env, s.ItemsID, out["id"].(string))[tc.field])
			})
		}
		for i, b := range tc.bads {
			t.Run(fmt.Sprintf("%s/bad/%d", tc.field, i), func(t *testing.T) {
				t.Parallel()
				status, raw := do(t, env, "POST", recs, admin, map[string]any{"fields": map[string]any{tc.field: b.in}})
				requireProblemAt(t, status, raw, "fields."+tc.field, b.reason)
				// The same value keyed by field id is located by the name too.
				status, raw = do(t, env, "POST", recs, admin, map[string]any{"fields": map[string]any{s.Fields[tc.field]: b.in}})
				requireProblemAt(t, status, raw, "fields."+tc.field, b.reason)
			})
		}
	}
}

// TestFieldOptionsThroughAPI: bad field definitions are refused with the
// place of the problem; nothing is created.
func TestFieldOptionsThroughAPI(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	other := createSchema(t, env)
	for _, tc := range []struct {
		name     string
		field    map[string]any
		location string
		reason   string
	}{
		{"unknown type", map[string]any{"name": "X", "type": "money"}, "type", "unknown field type"},
		{"empty name", map[string]any{"name": " ", "type": "text"}, "name", "must not be empty"},
		{"duplicate name", map[string]any{"name": "Amount", "type": "text"}, "name", "already exists"},
		{"options on text", map[string]any{"name": "X", "type": "text", "options": map[string]any{"max": 3}}, "options.max", "unknown option"},
		{"precision too big", map[string]any{"name": "X", "type": "number", "options": map[string]any{"precision": 9}}, "options.precision", "0 to 8"},
		{"precision not whole", map[string]any{"name": "X", "type": "number", "options": map[string]any{"precision": 1.5}}, "options.precision", "whole number"},
		{"bad time zone", map[string]any{"name": "X", "type": "datetime", "options": map[string]any{"time_zone": "Mars/Olympus"}}, "options.time_zone", "IANA"},
		{"duplicate choice", map[string]any{"name": "X", "type": "single_select", "options": map[string]any{"choices": []any{map[string]any{"name": "a"}, map[string]any{"name": "a"}}}}, "options.choices", "duplicate"},
		{"blank choice", map[string]any{"name": "X", "type": "multi_select", "options": map[string]any{"choices": []any{map[string]any{"name": ""}}}}, "options.choices", "empty"},
		{"link without table", map[string]any{"name": "X", "type": "link_to_record"}, "options.table_id", "required"},
		{"link to a missing table", map[string]any{"name": "X", "type": "link_to_record", "options": map[string]any{"table_id": "tbl_missing"}}, "options.table_id", "no table"},
		{"link to another base", map[string]any{"name": "X", "type": "link_to_record", "options": map[string]any{"table_id": other.ItemsID}}, "options.table_id", "no table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/fields", admin, tc.field)
			if tc.name == "duplicate name" {
				require.Equal(t, http.StatusConflict, status, "%s", raw)
				require.Contains(t, string(raw), tc.reason)
				return
			}
			requireProblemAt(t, status, raw, tc.location, tc.reason)
			// In a table definition the same problem is located by index.
			status, raw = do(t, env, "POST", "/api/v1/bases/"+s.BaseID+"/tables", admin, map[string]any{
				"name": "New " + tc.name, "fields": []any{map[string]any{"name": "Ok", "type": "text"}, tc.field},
			})
			requireProblemAt(t, status, raw, "fields[1]."+tc.location, tc.reason)
		})
	}
	fields := doJSON(t, env, "GET", "/api/v1/tables/"+s.ItemsID, nil, http.StatusOK)["fields"].([]any)
	require.Len(t, fields, len(itemFields(s.TargetsID)), "a refused field was created")
	tables := doJSON(t, env, "GET", "/api/v1/bases/"+s.BaseID+"/tables", nil, http.StatusOK)["items"].([]any)
	require.Len(t, tables, 2, "a refused table was created")
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+other.ItemsID, nil, http.StatusOK)["fields"], len(itemFields(s.TargetsID)))

	// A good field of every type is created with canonical options.
	for _, f := range itemFields(s.TargetsID) {
		f := map[string]any{"name": "Copy of " + f["name"].(string), "type": f["type"], "options": f["options"]}
		out := doJSON(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/fields", f, http.StatusCreated)
		require.True(t, strings.HasPrefix(out["id"].(string), "fld_"))
		require.Equal(t, f["type"], out["type"])
		require.NotNil(t, out["options"])
	}
	fields = doJSON(t, env, "GET", "/api/v1/tables/"+s.ItemsID, nil, http.StatusOK)["fields"].([]any)
	byName := map[string]map[string]any{}
	for _, f := range fields {
		byName[f.(map[string]any)["name"].(string)] = f.(map[string]any)
	}
	require.Equal(t, map[string]any{"precision": 0.0}, byName["Copy of Count"]["options"])
	require.Equal(t, map[string]any{"time_zone": "Europe/Paris"}, byName["Copy of At"]["options"])
	require.Equal(t, map[string]any{"label": "Ship"}, byName["Copy of Go"]["options"])
}

// TestFieldLimitEveryPath is the regression test of the 500-field limit
// being checked only on create-table (8,041 fields were added one by
// one): adding a field, and a link that would add its inverse field to a
// full table, are refused with 422 and nothing is written.
func TestFieldLimitEveryPath(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	base := doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "b"}, 201)["id"].(string)
	fields := make([]any, 500)
	for i := range fields {
		fields[i] = map[string]any{"name": fmt.Sprintf("F%d", i), "type": "text"}
	}
	full := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/tables", map[string]any{"name": "Full", "fields": fields}, 201)["id"].(string)
	other := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/tables", map[string]any{"name": "Other"}, 201)["id"].(string)

	status, raw := do(t, env, "POST", "/api/v1/tables/"+full+"/fields", admin, map[string]any{"name": "One more", "type": "text"})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	require.Contains(t, string(raw), "500 fields")
	status, raw = do(t, env, "POST", "/api/v1/tables/"+other+"/fields", admin, map[string]any{"name": "Link", "type": "link_to_record", "options": map[string]any{"table_id": full}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	require.Contains(t, string(raw), "options.table_id")
	got := doJSON(t, env, "GET", "/api/v1/tables/"+full, nil, 200)
	require.Len(t, got["fields"], 500)
	require.Empty(t, doJSON(t, env, "GET", "/api/v1/tables/"+other, nil, 200)["fields"], "the link's own field was rolled back")
}

// TestRowSizeLimit: cell by cell, a record cannot grow past
// record.MaxRowBytes; the write that would is refused and changes nothing.
func TestRowSizeLimit(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	base := doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "b"}, 201)["id"].(string)
	fields := make([]any, 12)
	for i := range fields {
		fields[i] = map[string]any{"name": fmt.Sprintf("T%d", i), "type": "long_text"}
	}
	tbl := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/tables", map[string]any{"name": "Big", "fields": fields}, 201)["id"].(string)
	id := createRecord(t, env, tbl, map[string]any{"T0": strings.Repeat("a", 99_000)})
	refused := -1
	for i := 1; i < 12; i++ {
		status, raw := do(t, env, "PATCH", "/api/v1/tables/"+tbl+"/records/"+id, admin, map[string]any{"fields": map[string]any{fmt.Sprintf("T%d", i): strings.Repeat("b", 99_000)}})
		if status == http.StatusUnprocessableEntity {
			require.Contains(t, string(raw), "at most 1048576")
			refused = i
			break
		}
		require.Equal(t, http.StatusOK, status, "%s", raw)
	}
	require.Equal(t, 10, refused, "the 11th cell of 99,000 bytes passes 1 MiB")
	got := doJSON(t, env, "GET", "/api/v1/tables/"+tbl+"/records/"+id, nil, 200)["fields"].(map[string]any)
	require.Nil(t, got["T10"], "nothing written")
}
