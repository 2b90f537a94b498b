package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestRecordCRUD walks one record through create, get, patch (only the
// named fields change, null clears) and delete, with every field type.
func TestRecordCRUD(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	target := createRecord(t, env, s.TargetsID, map[string]any{"Label": "T1"})
	recs := "/api/v1/tables/" + s.ItemsID + "/records"

	created := doJSON(t, env, "POST", recs, map[string]any{"fields": map[string]any{
		"Name":   "Widget",
		"Notes":  "line one\nline two",
		"Amount": 12.35,
		"Done":   true,
		"Status": "doing",
		"Tags":   []any{"red", "Blue", "red"},
		"Due":    "2026-03-04",
		"At":     "2026-01-02T10:00",
		"Email":  "Ada@Example.COM",
		"Site":   "https://example.com/x?y=1",
		"Phone":  "+1 (555) 010-9999",
		"Target": []any{target},
	}}, http.StatusCreated)
	id := created["id"].(string)
	require.True(t, strings.HasPrefix(id, "rec_"), id)
	require.NotEmpty(t, created["created_at"])
	require.NotEmpty(t, created["updated_at"])
	want := map[string]any{
		"Name":   "Widget",
		"Notes":  "line one\nline two",
		"Amount": 12.35,
		"Count":  nil,
		"Done":   true,
		"Status": "Doing",
		"Tags":   []any{"red", "blue"},
		"Due":    "2026-03-04",
		"At":     "2026-01-02T09:00:00Z",
		"Email":  "Ada@example.com",
		"Site":   "https://example.com/x?y=1",
		"Phone":  "+1 (555) 010-9999",
		"Target": []any{target},
	}
	require.Equal(t, want, created["fields"])
	require.Equal(t, want, getFields(t, env, s.ItemsID, id))

	// PATCH changes only the named fields; null and "" clear.
	patched := doJSON(t, env, "PATCH", recs+"/"+id, map[string]any{"fields": map[string]any{
		"Amount": 7, "Notes": nil, "Site": "",
	}}, http.StatusOK)
	want["Amount"] = 7.0
	want["Notes"] = nil
	want["Site"] = nil
	require.Equal(t, want, patched["fields"])
	require.Equal(t, want, getFields(t, env, s.ItemsID, id))

	// A field may be named by its id.
	doJSON(t, env, "PATCH", recs+"/"+id, map[string]any{"fields": map[string]any{s.Fields["Name"]: "Gadget"}}, http.StatusOK)
	require.Equal(t, "Gadget", getFields(t, env, s.ItemsID, id)["Name"])

	status, raw := do(t, env, "DELETE", recs+"/"+id, admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	status, raw = do(t, env, "GET", recs+"/"+id, admin, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	status, raw = do(t, env, "DELETE", recs+"/"+id, admin, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	// Deleting the record removed it from its target's inverse cell.
	require.Nil(t, getFields(t, env, s.TargetsID, target)["Items"])
}

// TestRecordScenarios are single-record requests and what they answer.
func TestRecordScenarios(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	other := createSchema(t, env) // a second base: its records are not in s.ItemsID
	existing := createRecord(t, env, s.ItemsID, map[string]any{"Name": "kept", "Amount": 1})
	foreign := createRecord(t, env, other.ItemsID, map[string]any{"Name": "elsewhere"})
	recs := "/api/v1/tables/" + s.ItemsID + "/records"

	for _, tc := range []struct {
		name     string
		method   string
		path     string
		body     any
		status   int
		location string // a problem detail location that must be present
		contains []string
	}{
		{name: "create empty record", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{}}, status: 201, contains: []string{`"Name":null`}},
		{name: "bad number", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Amount": "12"}}, status: 422, location: "fields.Amount", contains: []string{"expected a number"}},
		{name: "unknown field name", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Nope": 1}}, status: 422, location: "fields.Nope", contains: []string{"no field"}},
		{name: "every bad field named", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Email": "x", "Phone": "x"}}, status: 422, location: "fields.Phone", contains: []string{"fields.Email"}},
		{name: "button not writable", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Go": "x"}}, status: 422, location: "fields.Go", contains: []string{"cannot be written"}},
		{name: "link to a missing record", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Target": []any{"rec_missing"}}}, status: 422, location: "fields.Target", contains: []string{"rec_missing"}},
		{name: "link to a record of the wrong table", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{"Target": []any{existing}}}, status: 422, location: "fields.Target"},
		{name: "unknown body property", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{}, "extra": true}, status: 422, contains: []string{`"location":"extra"`}},
		{name: "neither fields nor records", method: "POST", path: recs, body: map[string]any{}, status: 422, contains: []string{"either fields"}},
		{name: "both fields and records", method: "POST", path: recs, body: map[string]any{"fields": map[string]any{}, "records": []any{map[string]any{"fields": map[string]any{}}}}, status: 422},
		{name: "body not JSON", method: "POST", path: recs, body: "{not json", status: 400},
		{name: "unknown table", method: "POST", path: "/api/v1/tables/tbl_missing/records", body: map[string]any{"fields": map[string]any{}}, status: 404},
		{name: "get unknown record", method: "GET", path: recs + "/rec_missing", status: 404},
		{name: "get a record through another table", method: "GET", path: recs + "/" + foreign, status: 404},
		{name: "patch unknown body property", method: "PATCH", path: recs + "/" + existing, body: map[string]any{"fields": map[string]any{}, "id": existing}, status: 422, contains: []string{`"location":"id"`}},
		{name: "patch bad value", method: "PATCH", path: recs + "/" + existing, body: map[string]any{"fields": map[string]any{"Done": "yes"}}, status: 422, location: "fields.Done", contains: []string{"true or false"}},
		{name: "patch unknown record", method: "PATCH", path: recs + "/rec_missing", body: map[string]any{"fields": map[string]any{"Name": "x"}}, status: 404},
		{name: "patch a record through another table", method: "PATCH", path: recs + "/" + foreign, body: map[string]any{"fields": map[string]any{"Name": "x"}}, status: 404},
		{name: "patch nothing changes nothing", method: "PATCH", path: recs + "/" + existing, body: map[string]any{"fields": map[string]any{}}, status: 200, contains: []string{`"Name":"kept"`}},
		{name: "delete a record through another table", method: "DELETE", path: recs + "/" + foreign, status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, tc.method, tc.path, admin, tc.body)
			require.Equal(t, tc.status, status, "body: %s", raw)
			if tc.location != "" {
				requireProblemAt(t, status, raw, tc.location, "")
			}
			for _, c := range tc.contains {
				require.Contains(t, string(raw), c)
			}
		})
	}
	// No failed request wrote anything: only the two records created above
	// and the empty one exist, and the others are untouched.
	require.Len(t, listAll(t, env, s.ItemsID, ""), 2)
	require.Equal(t, "kept", getFields(t, env, s.ItemsID, existing)["Name"])
	require.Equal(t, 1.0, getFields(t, env, s.ItemsID, existing)["Amount"])
	require.Equal(t, "elsewhere", getFields(t, env, other.ItemsID, foreign)["Name"])
}

// TestBatchCreate: up to 100 records per call, all or nothing.
func TestBatchCreate(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	batch := func(n int) map[string]any {
		records := make([]any, n)
		for i := range records {
			records[i] = map[string]any{"fields": map[string]any{"Name": fmt.Sprintf("r%03d", i), "Amount": i}}
		}
		return map[string]any{"records": records}
	}

	out := doJSON(t, env, "POST", recs, batch(100), http.StatusCreated)
	items := out["items"].([]any)
	require.Len(t, items, 100)
	for i, it := range items {
		f := it.(map[string]any)["fields"].(map[string]any)
		require.Equal(t, fmt.Sprintf("r%03d", i), f["Name"], "items are in request order")
	}
	require.Len(t, listAll(t, env, s.ItemsID, ""), 100)

	status, raw := do(t, env, "POST", recs, admin, batch(101))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	require.Contains(t, string(raw), "records")

	// One bad record (a bad value, or a link to a missing record — found
	// only inside the transaction) and nothing of the batch is written.
	for _, bad := range []struct {
		fields   map[string]any
		location string
	}{
		{map[string]any{"Name": "bad", "Amount": "many"}, "records[1].fields.Amount"},
		{map[string]any{"Name": "bad", "Target": []any{"rec_missing"}}, "records[1].fields.Target"},
	} {
		body := map[string]any{"records": []any{
			map[string]any{"fields": map[string]any{"Name": "ok 1"}},
			map[string]any{"fields": bad.fields},
			map[string]any{"fields": map[string]any{"Name": "ok 2"}},
		}}
		status, raw = do(t, env, "POST", recs, admin, body)
		requireProblemAt(t, status, raw, bad.location, "")
	}
	require.Len(t, listAll(t, env, s.ItemsID, ""), 100, "a failed batch wrote records")

	// A batch of one is still a batch: its errors are located by index.
	status, raw = do(t, env, "POST", recs, admin, map[string]any{"records": []any{map[string]any{"fields": map[string]any{"Amount": "x"}}}})
	requireProblemAt(t, status, raw, "records[0].fields.Amount", "expected a number")
	status, raw = do(t, env, "POST", recs, admin, map[string]any{"records": []any{}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	status, raw = do(t, env, "POST", recs, admin, map[string]any{"records": []any{map[string]any{"fields": map[string]any{}, "id": "rec_x"}}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "unknown property in a batch item: %s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 100)
}

// TestBatchUpdateAndDelete: batch PATCH and DELETE, all or nothing.
func TestBatchUpdateAndDelete(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	var ids []string
	for _, it := range doJSON(t, env, "POST", recs, map[string]any{"records": []any{
		map[string]any{"fields": map[string]any{"Name": "a", "Amount": 1}},
		map[string]any{"fields": map[string]any{"Name": "b", "Amount": 2}},
		map[string]any{"fields": map[string]any{"Name": "c", "Amount": 3}},
	}}, http.StatusCreated)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	amounts := func(t *testing.T) map[string]any {
		out := map[string]any{}
		for _, r := range listAll(t, env, s.ItemsID, "") {
			out[r["fields"].(map[string]any)["Name"].(string)] = r["fields"].(map[string]any)["Amount"]
		}
		return out
	}

	out := doJSON(t, env, "PATCH", recs, map[string]any{"records": []any{
		map[string]any{"id": ids[0], "fields": map[string]any{"Amount": 10}},
		map[string]any{"id": ids[1], "fields": map[string]any{"Amount": nil}},
	}}, http.StatusOK)
	require.Len(t, out["items"], 2)
	require.Equal(t, map[string]any{"a": 10.0, "b": nil, "c": 3.0}, amounts(t))

	for _, tc := range []struct {
		name     string
		records  []any
		status   int
		location string
	}{
		{"one bad value", []any{
			map[string]any{"id": ids[0], "fields": map[string]any{"Amount": 99}},
			map[string]any{"id": ids[2], "fields": map[string]any{"Amount": "x"}},
		}, 422, "records[1].fields.Amount"},
		{"one missing record", []any{
			map[string]any{"id": ids[0], "fields": map[string]any{"Amount": 99}},
			map[string]any{"id": "rec_missing", "fields": map[string]any{"Amount": 1}},
		}, 404, ""},
		{"one bad link", []any{
			map[string]any{"id": ids[0], "fields": map[string]any{"Amount": 99}},
			map[string]any{"id": ids[1], "fields": map[string]any{"Target": "rec_missing"}},
		}, 422, "records[1].fields.Target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "PATCH", recs, admin, map[string]any{"records": tc.records})
			require.Equal(t, tc.status, status, "%s", raw)
			if tc.location != "" {
				requireProblemAt(t, status, raw, tc.location, "")
			}
			require.Equal(t, map[string]any{"a": 10.0, "b": nil, "c": 3.0}, amounts(t), "a failed batch changed records")
		})
	}
	tooMany := make([]any, 101)
	for i := range tooMany {
		tooMany[i] = map[string]any{"id": ids[0], "fields": map[string]any{"Amount": i}}
	}
	status, raw := do(t, env, "PATCH", recs, admin, map[string]any{"records": tooMany})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	require.Equal(t, 10.0, amounts(t)["a"])

	// Batch delete: a missing id deletes nothing; 101 ids are refused.
	status, raw = do(t, env, "DELETE", recs+"?ids="+ids[0]+",rec_missing", admin, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 3)
	many := make([]string, 101)
	for i := range many {
		many[i] = ids[0]
	}
	status, raw = do(t, env, "DELETE", recs+"?ids="+strings.Join(many, ","), admin, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	status, raw = do(t, env, "DELETE", recs, admin, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "ids is required: %s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 3)

	status, raw = do(t, env, "DELETE", recs+"?ids="+ids[0]+","+ids[1], admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	left := listAll(t, env, s.ItemsID, "")
	require.Len(t, left, 1)
	require.Equal(t, ids[2], left[0]["id"])
}

// TestBatchOf100Updates and deletes the maximum in one call.
func TestBatchMaximum(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	records := make([]any, 100)
	for i := range records {
		records[i] = map[string]any{"fields": map[string]any{"Amount": i}}
	}
	var ids []string
	for _, it := range doJSON(t, env, "POST", recs, map[string]any{"records": records}, http.StatusCreated)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	updates := make([]any, 100)
	for i, id := range ids {
		updates[i] = map[string]any{"id": id, "fields": map[string]any{"Amount": 1000 + i}}
	}
	require.Len(t, doJSON(t, env, "PATCH", recs, map[string]any{"records": updates}, http.StatusOK)["items"], 100)
	for _, r := range listAll(t, env, s.ItemsID, "") {
		require.GreaterOrEqual(t, r["fields"].(map[string]any)["Amount"], 1000.0)
	}
	status, raw := do(t, env, "DELETE", recs+"?ids="+strings.Join(ids, ","), admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	require.Empty(t, listAll(t, env, s.ItemsID, ""))
}

// TestListRecords: filter, sort, view_id and cursor pagination.
func TestListRecords(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	doJSON(t, env, "POST", recs, map[string]any{"records": []any{
		map[string]any{"fields": map[string]any{"Name": "apple", "Amount": 5, "Status": "Done", "Tags": []any{"red"}}},
		map[string]any{"fields": map[string]any{"Name": "banana", "Amount": 50, "Status": "Todo", "Tags": []any{"green"}}},
		map[string]any{"fields": map[string]any{"Name": "cherry", "Amount": 50, "Status": "Done", "Tags": []any{"red", "blue"}}},
		map[string]any{"fields": map[string]any{"Name": "date", "Amount": 500, "Status": "Doing"}},
		map[string]any{"fields": map[string]any{"Name": "elder"}},
	}}, http.StatusCreated)
	names := func(t *testing.T, query string) []string {
		var out []string
		for _, r := range listAll(t, env, s.ItemsID, query) {
			out = append(out, r["fields"].(map[string]any)["Name"].(string))
		}
		return out
	}
	viewID := doJSON(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/views", map[string]any{
		"name":   "Big",
		"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Amount", "op": "gte", "value": 50}}},
		"sort":   []any{map[string]any{"field": "Name", "direction": "desc"}},
	}, http.StatusCreated)["id"].(string)
	otherTable := doJSON(t, env, "POST", "/api/v1/tables/"+s.TargetsID+"/views", map[string]any{"name": "All"}, http.StatusCreated)["id"].(string)

	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"creation order", "", []string{"apple", "banana", "cherry", "date", "elder"}},
		{"filter is", "filter=" + q(`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"}]}`), []string{"apple", "cherry"}},
		{"filter any", "filter=" + q(`{"match":"any","rules":[{"field":"Amount","op":"gt","value":100},{"field":"Tags","op":"contains","value":"green"}]}`), []string{"banana", "date"}},
		{"filter nested", "filter=" + q(`{"match":"all","rules":[{"field":"Tags","op":"contains","value":"red"},{"match":"any","rules":[{"field":"Amount","op":"lt","value":10},{"field":"Name","op":"contains","value":"err"}]}]}`), []string{"apple", "cherry"}},
		{"filter empty", "filter=" + q(`{"rules":[{"field":"Amount","op":"is_empty"}]}`), []string{"elder"}},
		{"filter formula", "filter=" + q(`{"formula":"{Amount} > 40"}`), []string{"banana", "cherry", "date"}},
		{"sort desc then asc", "sort=" + q("-Amount,Name"), []string{"date", "banana", "cherry", "apple", "elder"}},
		{"sort asc, empty last", "sort=Amount", []string{"apple", "banana", "cherry", "date", "elder"}},
		{"sort by field id", "sort=-" + s.Fields["Name"], []string{"elder", "date", "cherry", "banana", "apple"}},
		{"view filter and sort", "view_id=" + viewID, []string{"date", "cherry", "banana"}},
		{"view with explicit sort", "view_id=" + viewID + "&sort=Name", []string{"banana", "cherry", "date"}},
		{"view and filter", "view_id=" + viewID + "&filter=" + q(`{"rules":[{"field":"Status","op":"is","value":"Done"}]}`), []string{"cherry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, names(t, tc.query))
		})
	}

	for _, tc := range []struct {
		name     string
		query    string
		location string
	}{
		{"filter not JSON", "filter=" + q(`{"match":`), "query.filter"},
		{"filter unknown field", "filter=" + q(`{"rules":[{"field":"Nope","op":"is","value":"x"}]}`), "filter.rules[0].field"},
		{"filter bad op for type", "filter=" + q(`{"rules":[{"field":"Amount","op":"contains","value":"x"}]}`), "filter.rules[0].op"},
		{"filter unknown choice", "filter=" + q(`{"rules":[{"field":"Status","op":"is","value":"Nope"}]}`), "filter.rules[0].value"},
		{"sort unknown field", "sort=Nope", "sort[0].field"},
		{"view of another table", "view_id=" + otherTable, "view_id"},
		{"unknown view", "view_id=viw_missing", "view_id"},
		{"malformed cursor", "cursor=%21%21", "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "GET", recs+"?"+tc.query, admin, nil)
			requireProblemAt(t, status, raw, tc.location, "")
		})
	}
	for _, limit := range []string{"0", "1001", "x"} {
		status, raw := do(t, env, "GET", recs+"?limit="+limit, admin, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status, "limit=%s: %s", limit, raw)
	}
}

// TestListPagination walks pages of 2 over 5 records: every record once.
func TestListPagination(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	var all []string
	for i := range 5 {
		all = append(all, createRecord(t, env, s.ItemsID, map[string]any{"Name": fmt.Sprintf("n%d", i), "Amount": 10 - i}))
	}
	for _, query := range []string{"", "&sort=Amount", "&filter=" + q(`{"rules":[{"field":"Amount","op":"gt","value":0}]}`)} {
		t.Run("query"+query, func(t *testing.T) {
			var seen []string
			cursor := ""
			pages := 0
			for {
				path := recs + "?limit=2" + query
				if cursor != "" {
					path += "&cursor=" + q(cursor)
				}
				body := doJSON(t, env, "GET", path, nil, http.StatusOK)
				items := body["items"].([]any)
				pages++
				require.LessOrEqual(t, len(items), 2)
				for _, it := range items {
					seen = append(seen, it.(map[string]any)["id"].(string))
				}
				next, ok := body["next_cursor"].(string)
				if !ok {
					require.Nil(t, body["next_cursor"])
					break
				}
				require.NotEmpty(t, next)
				cursor = next
				require.Less(t, pages, 10, "pagination does not end")
			}
			require.Equal(t, 3, pages)
			if query == "&sort=Amount" {
				require.Equal(t, []string{all[4], all[3], all[2], all[1], all[0]}, seen)
			}
			sort.Strings(seen)
			want := append([]string{}, all...)
			sort.Strings(want)
			require.Equal(t, want, seen, "every record exactly once")
		})
	}
}

// TestLinksStayConsistent: a link shows on both sides; unlinking and
// deleting keep both sides in step, from either side.
func TestLinksStayConsistent(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	items := "/api/v1/tables/" + s.ItemsID + "/records/"
	targets := "/api/v1/tables/" + s.TargetsID + "/records/"
	b1 := createRecord(t, env, s.TargetsID, map[string]any{"Label": "B1"})
	b2 := createRecord(t, env, s.TargetsID, map[string]any{"Label": "B2"})
	a := createRecord(t, env, s.ItemsID, map[string]any{"Name": "A", "Target": []any{b1}})
	link := func(table, id string) any {
		return getFields(t, env, table, id)[map[string]string{s.ItemsID: "Target", s.TargetsID: "Items"}[table]]
	}

	require.Equal(t, []any{b1}, link(s.ItemsID, a))
	require.Equal(t, []any{a}, link(s.TargetsID, b1), "link A→B1 shows on B1's inverse field")
	require.Nil(t, link(s.TargetsID, b2))

	// Relink to B1 and B2.
	doJSON(t, env, "PATCH", items+a, map[string]any{"fields": map[string]any{"Target": []any{b1, b2}}}, http.StatusOK)
	require.Equal(t, []any{a}, link(s.TargetsID, b2))
	require.Equal(t, []any{a}, link(s.TargetsID, b1))

	// Unlink B1: it disappears from B1's inverse cell only.
	doJSON(t, env, "PATCH", items+a, map[string]any{"fields": map[string]any{"Target": []any{b2}}}, http.StatusOK)
	require.Nil(t, link(s.TargetsID, b1))
	require.Equal(t, []any{a}, link(s.TargetsID, b2))

	// From the other side: B1 links A; A's cell gets B1.
	doJSON(t, env, "PATCH", targets+b1, map[string]any{"fields": map[string]any{"Items": []any{a}}}, http.StatusOK)
	require.Equal(t, []any{b2, b1}, link(s.ItemsID, a))

	// Clearing with null unlinks every target.
	doJSON(t, env, "PATCH", items+a, map[string]any{"fields": map[string]any{"Target": nil}}, http.StatusOK)
	require.Nil(t, link(s.TargetsID, b1))
	require.Nil(t, link(s.TargetsID, b2))

	// Deleting B removes it from A's cell.
	doJSON(t, env, "PATCH", items+a, map[string]any{"fields": map[string]any{"Target": []any{b1, b2}}}, http.StatusOK)
	status, raw := do(t, env, "DELETE", targets+b2, admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	require.Equal(t, []any{b1}, link(s.ItemsID, a))
	status, raw = do(t, env, "DELETE", targets+b1, admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	require.Nil(t, link(s.ItemsID, a))

	// A batch creating two records linked to one target leaves both on it.
	b3 := createRecord(t, env, s.TargetsID, map[string]any{"Label": "B3"})
	out := doJSON(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/records", map[string]any{"records": []any{
		map[string]any{"fields": map[string]any{"Target": b3}},
		map[string]any{"fields": map[string]any{"Target": []any{b3}}},
	}}, http.StatusCreated)["items"].([]any)
	require.Equal(t, []any{out[0].(map[string]any)["id"], out[1].(map[string]any)["id"]}, link(s.TargetsID, b3))
}

// TestSelfLink: a link to the record's own table keeps both sides in step.
func TestSelfLink(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	baseID := doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "People"}, 201)["id"].(string)
	tbl := doJSON(t, env, "POST", "/api/v1/bases/"+baseID+"/tables", map[string]any{"name": "People", "fields": []any{
		map[string]any{"name": "Name", "type": "text"},
	}}, 201)
	tableID := tbl["id"].(string)
	doJSON(t, env, "POST", "/api/v1/tables/"+tableID+"/fields", map[string]any{"name": "Manager", "type": "link_to_record", "options": map[string]any{"table_id": tableID}}, 201)
	fields := doJSON(t, env, "GET", "/api/v1/tables/"+tableID, nil, 200)["fields"].([]any)
	require.Len(t, fields, 3, "the inverse field lives in the same table: %v", fields)
	inverse := fields[2].(map[string]any)["name"].(string)

	boss := createRecord(t, env, tableID, map[string]any{"Name": "Boss"})
	emp := createRecord(t, env, tableID, map[string]any{"Name": "Emp", "Manager": []any{boss}})
	require.Equal(t, []any{emp}, getFields(t, env, tableID, boss)[inverse])
	status, raw := do(t, env, "DELETE", "/api/v1/tables/"+tableID+"/records/"+boss, admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	require.Nil(t, getFields(t, env, tableID, emp)["Manager"])
}

// TestReturnFieldsByID keys cells by field id on every record answer.
func TestReturnFieldsByID(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	wantKeys := []string{}
	for name, id := range s.Fields {
		if name != "Go" { // a button has no cell
			wantKeys = append(wantKeys, id)
		}
	}
	sort.Strings(wantKeys)
	keys := func(fields any) []string {
		var out []string
		for k := range fields.(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}

	created := doJSON(t, env, "POST", recs+"?return_fields_by_id=true", map[string]any{"fields": map[string]any{"Name": "x"}}, http.StatusCreated)
	id := created["id"].(string)
	require.Equal(t, wantKeys, keys(created["fields"]))
	require.Equal(t, "x", created["fields"].(map[string]any)[s.Fields["Name"]])

	got := doJSON(t, env, "GET", recs+"/"+id+"?return_fields_by_id=true", nil, http.StatusOK)
	require.Equal(t, wantKeys, keys(got["fields"]))
	patched := doJSON(t, env, "PATCH", recs+"/"+id+"?return_fields_by_id=true", map[string]any{"fields": map[string]any{"Amount": 2}}, http.StatusOK)
	require.Equal(t, 2.0, patched["fields"].(map[string]any)[s.Fields["Amount"]])
	list := doJSON(t, env, "GET", recs+"?return_fields_by_id=true", nil, http.StatusOK)["items"].([]any)
	require.Equal(t, wantKeys, keys(list[0].(map[string]any)["fields"]))
	batch := doJSON(t, env, "POST", recs+"?return_fields_by_id=true", map[string]any{"records": []any{map[string]any{"fields": map[string]any{}}}}, http.StatusCreated)["items"].([]any)
	require.Equal(t, wantKeys, keys(batch[0].(map[string]any)["fields"]))

	// Without the flag cells are keyed by name.
	named := doJSON(t, env, "GET", recs+"/"+id, nil, http.StatusOK)
	require.Contains(t, named["fields"], "Name")
	require.NotContains(t, named["fields"], s.Fields["Name"])
}

// TestPaginationAcrossWrites: records created or deleted between pages
// neither repeat a record nor hide one that existed throughout.
func TestPaginationAcrossWrites(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	recs := "/api/v1/tables/" + s.ItemsID + "/records"
	for _, query := range []string{"", "&sort=" + q("-Amount,Name")} {
		t.Run("query"+query, func(t *testing.T) {
			var ids []string
			for i := range 6 {
				ids = append(ids, createRecord(t, env, s.ItemsID, map[string]any{"Name": fmt.Sprintf("p%d", i), "Amount": []any{5, 5, 3, nil, 9, 1}[i]}))
			}
			page := func(cursor string) ([]string, string) {
				path := recs + "?limit=2" + query
				if cursor != "" {
					path += "&cursor=" + q(cursor)
				}
				body := doJSON(t, env, "GET", path, nil, http.StatusOK)
				var out []string
				for _, it := range body["items"].([]any) {
					out = append(out, it.(map[string]any)["id"].(string))
				}
				next, _ := body["next_cursor"].(string)
				return out, next
			}
			first, cursor := page("")
			require.Len(t, first, 2)
			// Delete a record already seen and one not yet seen; add one.
			var unseen string
			for _, id := range ids {
				if !slices.Contains(first, id) {
					unseen = id
					break
				}
			}
			for _, id := range []string{first[0], unseen} {
				status, raw := do(t, env, "DELETE", recs+"/"+id, admin, nil)
				require.Equal(t, http.StatusNoContent, status, "%s", raw)
			}
			createRecord(t, env, s.ItemsID, map[string]any{"Name": "late", "Amount": 4})
			seen := append([]string{}, first...)
			for cursor != "" {
				var items []string
				items, cursor = page(cursor)
				seen = append(seen, items...)
			}
			counts := map[string]int{}
			for _, id := range seen {
				counts[id]++
				require.Equal(t, 1, counts[id], "record %s repeated in %v", id, seen)
			}
			for _, id := range ids {
				if id != first[0] && id != unseen {
					require.Contains(t, seen, id, "a record that existed throughout was skipped")
				}
			}
			status, raw := do(t, env, "DELETE", recs+"?ids="+strings.Join(slices.DeleteFunc(ids, func(id string) bool { return id == first[0] || id == unseen }), ","), admin, nil)
			require.Equal(t, http.StatusNoContent, status, "%s", raw)
		})
	}
}
