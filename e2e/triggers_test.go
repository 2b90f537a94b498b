package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecordTriggersFireExactlyWhenTheyShould drives each record trigger
// through writes that must fire and writes that must not. Every script ends
// with a write to a fresh record that fires, and the test waits for that
// record's run: by then the earlier writes' events have drained, so the
// runs present (how many, and which records they are about) prove the
// negative cases without sleeping.
func TestRecordTriggersFireExactlyWhenTheyShould(t *testing.T) {
	t.Parallel()
	done := map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}
	tests := []struct {
		name    string
		trigger func(f *fixture, t *testing.T) map[string]any
		// script makes the writes and returns the record ids of the runs
		// that must exist afterwards (in any order); the last one is a
		// record that no earlier write touched.
		script func(f *fixture, t *testing.T) []string
	}{
		{
			name:    "record_created fires on create, not on update or delete",
			trigger: func(f *fixture, _ *testing.T) map[string]any { return f.trigger("record_created", nil) },
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a"})
				f.update(t, a, map[string]any{"Name": "a2"})
				f.remove(t, a)
				b := f.create(t, map[string]any{"Name": "b"})
				return []string{a, b}
			},
		},
		{
			name:    "record_updated fires on a real change only",
			trigger: func(f *fixture, _ *testing.T) map[string]any { return f.trigger("record_updated", nil) },
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Name": "a2"})                   // fires
				f.update(t, a, map[string]any{"Name": "a2", "Status": "Todo"}) // changes nothing
				f.update(t, a, map[string]any{})                               // changes nothing
				f.remove(t, a)
				b := f.create(t, map[string]any{"Name": "b"})
				f.update(t, b, map[string]any{"Amount": 3}) // fires
				return []string{a, b}
			},
		},
		{
			name: "record_updated with fields fires only when a watched field changes",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("record_updated", map[string]any{"fields": []any{"Status"}})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Name": "a2"})                    // not watched
				f.update(t, a, map[string]any{"Status": "Doing"})               // fires
				f.update(t, a, map[string]any{"Status": "Doing", "Name": "a3"}) // Status unchanged
				f.update(t, a, map[string]any{"Status": "Done"})                // fires
				b := f.create(t, map[string]any{"Name": "b", "Status": "Todo"})
				f.update(t, b, map[string]any{"Status": "Doing"}) // fires
				return []string{a, a, b}
			},
		},
		{
			name:    "record_deleted fires on delete",
			trigger: func(f *fixture, _ *testing.T) map[string]any { return f.trigger("record_deleted", nil) },
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a"})
				f.update(t, a, map[string]any{"Name": "a2"})
				f.remove(t, a)
				b := f.create(t, map[string]any{"Name": "b"})
				f.remove(t, b)
				return []string{a, b}
			},
		},
		{
			name: "field_value_changed without from/to fires on any change of the field",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Name": "a2"})
				f.update(t, a, map[string]any{"Status": "Doing"}) // fires
				f.update(t, a, map[string]any{"Status": nil})     // fires (cleared)
				b := f.create(t, map[string]any{"Name": "b"})
				f.update(t, b, map[string]any{"Status": "Done"}) // fires (set)
				return []string{a, a, b}
			},
		},
		{
			name: "field_value_changed to Done fires on Todo→Done, not on Todo→Doing",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}, "to": "Done"})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Status": "Doing"})
				b := f.create(t, map[string]any{"Name": "b", "Status": "Done"}) // a create is no change
				f.update(t, b, map[string]any{"Name": "b2"})
				c := f.create(t, map[string]any{"Name": "c", "Status": "Todo"})
				f.update(t, c, map[string]any{"Status": "Done"}) // fires
				return []string{c}
			},
		},
		{
			name: "field_value_changed from Todo fires on Todo→Doing, not on Doing→Done",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}, "from": "Todo"})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Status": "Doing"}) // fires
				f.update(t, a, map[string]any{"Status": "Done"})
				b := f.create(t, map[string]any{"Name": "b", "Status": "Doing"})
				f.update(t, b, map[string]any{"Status": "Todo"})
				f.update(t, b, map[string]any{"Status": "Done"}) // fires
				return []string{a, b}
			},
		},
		{
			name: "field_value_changed from Todo to Done needs both",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}, "from": "Todo", "to": "Done"})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Status": "Doing"})
				f.update(t, a, map[string]any{"Status": "Done"})
				b := f.create(t, map[string]any{"Name": "b", "Status": "Todo"})
				f.update(t, b, map[string]any{"Status": "Done"}) // fires
				return []string{b}
			},
		},
		{
			name: "record_enters_view fires on entering, again after leaving, not while staying",
			trigger: func(f *fixture, t *testing.T) map[string]any {
				return f.trigger("record_enters_view", map[string]any{"view_id": f.view(t, "Done", done)})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
				f.update(t, a, map[string]any{"Status": "Done"}) // enters
				f.update(t, a, map[string]any{"Name": "a2"})     // stays in
				f.update(t, a, map[string]any{"Status": "Todo"}) // leaves
				f.update(t, a, map[string]any{"Status": "Done"}) // enters again
				f.remove(t, a)
				f.create(t, map[string]any{"Name": "not in view", "Status": "Doing"})
				b := f.create(t, map[string]any{"Name": "b", "Status": "Done"}) // created in the view
				return []string{a, a, b}
			},
		},
		{
			name: "record_matches_conditions fires on false→true, not on true→true",
			trigger: func(f *fixture, _ *testing.T) map[string]any {
				return f.trigger("record_matches_conditions", map[string]any{"conditions": map[string]any{
					"match": "all", "rules": []any{map[string]any{"field": "Amount", "op": "gt", "value": 100}},
				}})
			},
			script: func(f *fixture, t *testing.T) []string {
				a := f.create(t, map[string]any{"Name": "a", "Amount": 5})
				f.update(t, a, map[string]any{"Amount": 150}) // false → true
				f.update(t, a, map[string]any{"Amount": 200}) // true → true
				f.update(t, a, map[string]any{"Name": "a2"})  // true → true
				f.update(t, a, map[string]any{"Amount": 50})  // true → false
				f.update(t, a, map[string]any{"Amount": 300}) // false → true
				f.remove(t, a)
				f.create(t, map[string]any{"Name": "small", "Amount": 1})
				b := f.create(t, map[string]any{"Name": "b", "Amount": 500}) // matches at once
				return []string{a, a, b}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			aut := f.automation(t, map[string]any{"name": tt.name, "trigger": tt.trigger(f, t), "steps": []any{}})
			want := tt.script(f, t)
			runs := f.drainUntil(t, aut, want[len(want)-1])
			require.ElementsMatch(t, want, recordIDs(runs))
			for _, r := range runs {
				require.Equal(t, "succeeded", r["status"])
				require.EqualValues(t, 0, r["depth"])
			}
		})
	}
}

func TestRecordDeletedCarriesTheLastCells(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{"name": "deleted", "trigger": f.trigger("record_deleted", nil), "steps": []any{}})
	id := f.create(t, map[string]any{"Name": "first", "Status": "Todo", "Amount": 1})
	f.update(t, id, map[string]any{"Name": "last", "Status": "Doing", "Amount": 42.5})
	f.remove(t, id)
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "record_deleted", run["trigger"].(map[string]any)["type"])
	rec := triggerRecord(run)
	require.Equal(t, id, rec["id"])
	fields := rec["fields"].(map[string]any)
	require.Equal(t, "last", fields["Name"])
	require.Equal(t, "Doing", fields["Status"])
	require.EqualValues(t, 42.5, fields["Amount"])
	require.Equal(t, "deleted", run["trigger"].(map[string]any)["data"].(map[string]any)["change"])
}

func TestFieldValueChangedCarriesThePreviousCells(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "changed",
		"trigger": f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}, "to": "Done"}),
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{"config": map[string]any{"url": rcv.URL, "body": map[string]any{
			"change": "{{trigger.previous.fields.Status}} → {{trigger.record.fields.Status}}",
		}}})},
	})
	id := f.create(t, map[string]any{"Name": "a", "Status": "Doing"})
	f.update(t, id, map[string]any{"Status": "Done"})
	require.Equal(t, "Doing → Done", rcv.wait(t).Body["change"])
	run := f.waitExactly(t, aut, 1)[0]
	data := run["trigger"].(map[string]any)["data"].(map[string]any)
	require.Equal(t, "Done", data["record"].(map[string]any)["fields"].(map[string]any)["Status"])
	require.Equal(t, "Doing", data["previous"].(map[string]any)["fields"].(map[string]any)["Status"])
}

func TestFormSubmittedFiresForItsFormOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	form := f.form(t, "Intake", "Name", "Status")
	other := f.form(t, "Other", "Name")
	aut := f.automation(t, map[string]any{"name": "form", "steps": []any{},
		"trigger": map[string]any{"type": "form_submitted", "config": map[string]any{"form_id": form}}})
	x := f.submit(t, form, map[string]any{"Name": "x", "Status": "Todo"})
	f.create(t, map[string]any{"Name": "through the API"})
	f.submit(t, other, map[string]any{"Name": "other form"})
	y := f.submit(t, form, map[string]any{"Name": "y"})
	runs := f.drainUntil(t, aut, y)
	require.ElementsMatch(t, []string{x, y}, recordIDs(runs))
	for _, r := range runs {
		cause := r["trigger"].(map[string]any)["data"].(map[string]any)["cause"].(map[string]any)
		require.Equal(t, "form", cause["kind"])
		require.Equal(t, form, cause["id"])
	}
}

func TestBatchWritesFireOncePerRecordInOrder(t *testing.T) {
	t.Parallel()
	f := setup(t)
	created := f.automation(t, map[string]any{"name": "created", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	updated := f.automation(t, map[string]any{"name": "updated", "trigger": f.trigger("record_updated", nil), "steps": []any{}})
	var in []map[string]any
	for _, n := range []string{"one", "two", "three", "four", "five"} {
		in = append(in, map[string]any{"Name": n})
	}
	ids := f.createBatch(t, in...)
	require.Len(t, ids, 5)
	require.Equal(t, ids, recordIDs(f.waitExactly(t, created, 5)), "one run per record, in the batch's order")

	// A batch update in another order fires in that order; a record of the
	// batch that does not change fires nothing.
	order := []string{ids[3], ids[0], ids[4], ids[2]}
	var recs []any
	for _, id := range order {
		recs = append(recs, map[string]any{"id": id, "fields": map[string]any{"Status": "Done"}})
	}
	recs = append(recs, map[string]any{"id": ids[1], "fields": map[string]any{"Name": "two"}})
	f.env.JSON("PATCH", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"records": recs}, 200)
	require.Equal(t, order, recordIDs(f.waitExactly(t, updated, 4)))
	require.Len(t, f.runs(t, created), 5)
}
