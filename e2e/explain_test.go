package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// reasonOf returns the reason of part in an explain answer.
func reasonOf(t *testing.T, ex map[string]any, part string) map[string]any {
	t.Helper()
	for _, r := range ex["reasons"].([]any) {
		if m := r.(map[string]any); m["part"] == part {
			return m
		}
	}
	t.Fatalf("no reason %q in %v", part, ex["reasons"])
	return nil
}

// TestExplain: GET /automations/{id}/explain says which part stops an
// automation from firing for a record: disabled, a non-record trigger, a
// failing condition rule with its expected and actual values, the view
// filter of record_enters_view; and would_fire for a passing case. Viewers
// may ask; another base's token gets 404; record_id is required for a
// record trigger. Nothing is written (no run).
func TestExplain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rec := f.create(t, map[string]any{"Name": "Order 1", "Status": "Todo", "Amount": 50})
	explain := func(aut, recID string) map[string]any {
		return f.env.JSON("GET", "/api/v1/automations/"+aut+"/explain?record_id="+recID, nil, 200)
	}
	conds := map[string]any{"match": "all", "rules": []any{
		map[string]any{"field": "Status", "op": "is", "value": "Done"},
		map[string]any{"field": "Amount", "op": "gt", "value": 10},
	}}

	t.Run("a failing clause with its values", func(t *testing.T) {
		t.Parallel()
		aut := f.automation(t, map[string]any{"name": "done", "trigger": f.trigger("record_updated", map[string]any{"fields": []any{"Status"}}), "conditions": conds, "steps": []any{}})
		ex := explain(aut, rec)
		require.Equal(t, false, ex["would_fire"], "%v", ex)
		require.Equal(t, true, reasonOf(t, ex, "enabled")["passed"])
		trig := reasonOf(t, ex, "trigger")
		require.Equal(t, false, trig["computable"])
		require.Contains(t, trig["message"], "Status")
		c := reasonOf(t, ex, "conditions")
		require.Equal(t, false, c["passed"])
		require.Contains(t, c["message"], "Status is Done (actual: Todo)")
		require.Contains(t, reasonOf(t, ex, "loop_depth")["message"], "not applicable")
		trace := ex["conditions"].(map[string]any)
		require.Equal(t, false, trace["passed"])
		rules := trace["rules"].([]any)
		require.Len(t, rules, 2)
		r0, r1 := rules[0].(map[string]any), rules[1].(map[string]any)
		require.Equal(t, map[string]any{"path": "rules[0]", "field": "Status", "field_id": r0["field_id"], "op": "is", "expected": "Done", "actual": "Todo", "passed": false}, r0)
		require.Equal(t, "Amount", r1["field"])
		require.Equal(t, "gt", r1["op"])
		require.EqualValues(t, 10, r1["expected"])
		require.EqualValues(t, 50, r1["actual"])
		require.Equal(t, true, r1["passed"])
		require.Empty(t, f.runs(t, aut), "explain starts no run")
	})

	t.Run("a passing case", func(t *testing.T) {
		t.Parallel()
		done := f.create(t, map[string]any{"Name": "Order 2", "Status": "Done", "Amount": 20})
		aut := f.automation(t, map[string]any{"name": "done2", "trigger": f.trigger("record_updated", nil), "conditions": conds, "steps": []any{}})
		ex := explain(aut, done)
		require.Equal(t, true, ex["would_fire"], "%v", ex)
		require.Equal(t, true, ex["conditions"].(map[string]any)["passed"])
		for _, r := range ex["reasons"].([]any) {
			require.Equal(t, true, r.(map[string]any)["passed"], "%v", r)
		}
	})

	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		aut := f.automation(t, map[string]any{"name": "off", "trigger": f.trigger("record_created", nil), "steps": []any{}})
		f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
		ex := explain(aut, rec)
		require.Equal(t, false, ex["would_fire"])
		en := reasonOf(t, ex, "enabled")
		require.Equal(t, false, en["passed"])
		require.Contains(t, en["message"], "disabled")
	})

	t.Run("a non-record trigger", func(t *testing.T) {
		t.Parallel()
		aut := f.automation(t, map[string]any{"name": "tick", "trigger": map[string]any{"type": "scheduled", "config": map[string]any{"every": "1h"}}, "steps": []any{}})
		ex := explain(aut, rec)
		require.Equal(t, false, ex["would_fire"])
		tr := reasonOf(t, ex, "trigger")
		require.Equal(t, false, tr["passed"])
		require.Contains(t, tr["message"], "scheduled does not fire for records")
		// record_id is optional for it.
		f.env.JSON("GET", "/api/v1/automations/"+aut+"/explain", nil, 200)
	})

	t.Run("view membership", func(t *testing.T) {
		t.Parallel()
		view := f.view(t, "Big", map[string]any{"rules": []any{map[string]any{"field": "Amount", "op": "gte", "value": 100}}})
		aut := f.automation(t, map[string]any{"name": "big", "trigger": f.trigger("record_enters_view", map[string]any{"view_id": view}), "steps": []any{}})
		ex := explain(aut, rec)
		require.Equal(t, false, ex["would_fire"])
		v := reasonOf(t, ex, "view")
		require.Equal(t, false, v["passed"])
		require.Contains(t, v["message"], "Amount gte 100 (actual: 50)")
		require.Equal(t, false, ex["view"].(map[string]any)["passed"])
	})

	t.Run("access and input", func(t *testing.T) {
		t.Parallel()
		aut := f.automation(t, map[string]any{"name": "acc", "trigger": f.trigger("record_created", nil), "steps": []any{}})
		viewer := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "v", "role": "viewer", "base_ids": []any{f.baseID}}, 201)["token"].(string)
		f.env.JSONAs(viewer, "GET", "/api/v1/automations/"+aut+"/explain?record_id="+rec, nil, 200)
		other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)["id"].(string)
		stranger := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "s", "role": "owner", "base_ids": []any{other}}, 201)["token"].(string)
		f.env.JSONAs(stranger, "GET", "/api/v1/automations/"+aut+"/explain?record_id="+rec, nil, 404)
		p := f.env.JSON("GET", "/api/v1/automations/"+aut+"/explain", nil, 422)
		require.Contains(t, p["errors"].([]any)[0].(map[string]any)["location"], "record_id")
		f.env.JSON("GET", "/api/v1/automations/"+aut+"/explain?record_id=rec_nope", nil, 422)
	})
}
