package e2e_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// validAutomation is a body that saves; cases break one thing in it. Its
// webhook goes to example.com: save it enabled only where nothing fires.
func validAutomation(f *fixture) map[string]any {
	return map[string]any{
		"name":    "valid",
		"trigger": f.trigger("record_created", nil),
		"steps":   []any{webhookStep("notify", "https://example.com/hook", nil)},
	}
}

// TestAutomationValidation: a malformed automation is refused at save time
// with 422 naming the exact place, and nothing is written.
func TestAutomationValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)
	otherTable := f.env.JSON("POST", "/api/v1/bases/"+other["id"].(string)+"/tables", map[string]any{
		"name": "Elsewhere", "fields": []any{map[string]any{"name": "Name", "type": "text"}},
	}, 201)["id"].(string)
	otherView := f.env.JSON("POST", "/api/v1/tables/"+otherTable+"/views", map[string]any{"name": "v"}, 201)["id"].(string)
	hook := func(id string) map[string]any { return webhookStep(id, "https://example.com/hook", nil) }
	withStep := func(s map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range s {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name   string
		change func(body map[string]any)
		loc    string
		msg    string // a fragment of the message at loc
	}{
		{"unknown trigger type", func(b map[string]any) {
			b["trigger"] = map[string]any{"type": "record_exploded", "config": map[string]any{"table_id": f.tableID}}
		}, "trigger.type", "unknown trigger type"},
		{"missing trigger", func(b map[string]any) { delete(b, "trigger") }, "trigger", "required"},
		{"unknown step type", func(b map[string]any) {
			b["steps"] = []any{map[string]any{"id": "x", "type": "launch_rocket", "config": map[string]any{}}}
		}, "steps[0].type", "unknown step type"},
		{"missing table", func(b map[string]any) {
			b["trigger"] = map[string]any{"type": "record_created", "config": map[string]any{}}
		}, "trigger.config.table_id", "required"},
		{"unknown table", func(b map[string]any) { b["trigger"] = f.trigger("record_created", nil); setTable(b, "tbl_nope") },
			"trigger.config.table_id", "no table"},
		{"table of another base", func(b map[string]any) { setTable(b, otherTable) }, "trigger.config.table_id", "no table"},
		{"unknown trigger config key", func(b map[string]any) {
			b["trigger"] = f.trigger("record_created", map[string]any{"fields": []any{"Name"}})
		}, "trigger.config", "unknown field"},
		{"unknown field in record_updated fields", func(b map[string]any) {
			b["trigger"] = f.trigger("record_updated", map[string]any{"fields": []any{"Nope"}})
		}, "trigger.config.fields[0]", "no field"},
		{"field_value_changed to a value the field cannot hold", func(b map[string]any) {
			b["trigger"] = f.trigger("field_value_changed", map[string]any{"fields": []any{"Status"}, "to": "Finished"})
		}, "trigger.config.to", "Finished"},
		{"field_value_changed without fields", func(b map[string]any) {
			b["trigger"] = f.trigger("field_value_changed", nil)
		}, "trigger.config.fields", "at least one"},
		{"view of another table", func(b map[string]any) {
			b["trigger"] = f.trigger("record_enters_view", map[string]any{"view_id": otherView})
		}, "trigger.config.view_id", "no view"},
		{"record_matches_conditions without conditions", func(b map[string]any) {
			b["trigger"] = f.trigger("record_matches_conditions", nil)
		}, "trigger.config.conditions", "required"},
		{"unknown form", func(b map[string]any) {
			b["trigger"] = map[string]any{"type": "form_submitted", "config": map[string]any{"form_id": "frm_nope"}}
		}, "trigger.config.form_id", "no form"},
		{"bad URL", func(b map[string]any) {
			b["steps"] = []any{hook("first"), webhookStep("second", "ftp://example.com/x", nil)}
		}, "steps[1].config.url", ""},
		{"URL without a host", func(b map[string]any) {
			b["steps"] = []any{hook("first"), webhookStep("second", "https://", nil)}
		}, "steps[1].config.url", ""},
		{"bad template", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"config": map[string]any{
				"url": "https://example.com/hook", "body": map[string]any{"x": "{{trigger.record"},
			}})}
		}, "steps[0].config.body.x", "bad template"},
		{"template with an unknown root", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"config": map[string]any{
				"url": "https://example.com/hook", "headers": map[string]any{"X-Id": "id {{record_id}}"},
			}})}
		}, "steps[0].config.headers.X-Id", "bad template"},
		{"template referring to a step that does not exist", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"config": map[string]any{
				"url": "https://example.com/{{steps.nowhere.output.id}}",
			}})}
		}, "steps[0].config", `"nowhere"`},
		{"template referring to a later step", func(b map[string]any) {
			b["steps"] = []any{
				withStep(hook("first"), map[string]any{"config": map[string]any{
					"url": "https://example.com/hook", "body": map[string]any{"x": "{{steps.second.output.status}}"},
				}}),
				hook("second"),
			}
		}, "steps[0].config", `"second"`},
		{"template referring to itself", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("me"), map[string]any{"config": map[string]any{
				"url": "https://example.com/hook", "body": "{{steps.me.output}}",
			}})}
		}, "steps[0].config", `"me"`},
		{"duplicate step ids", func(b map[string]any) { b["steps"] = []any{hook("same"), hook("same")} }, "steps[1].id", "duplicate"},
		{"bad step id", func(b map[string]any) { b["steps"] = []any{hook("1st")} }, "steps[0].id", ""},
		{"unknown step config key", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"config": map[string]any{"url": "https://example.com/hook", "bogus": 1}})}
		}, "steps[0].config", "unknown field"},
		{"unknown field in create_record", func(b map[string]any) {
			b["steps"] = []any{map[string]any{"id": "c", "type": "create_record", "config": map[string]any{
				"table_id": f.tableID, "fields": map[string]any{"Nope": "x"},
			}}}
		}, "steps[0].config.fields.Nope", "no field"},
		{"literal of the wrong type in update_record", func(b map[string]any) {
			b["steps"] = []any{map[string]any{"id": "u", "type": "update_record", "config": map[string]any{
				"table_id": f.tableID, "record_id": "{{trigger.record.id}}", "fields": map[string]any{"Amount": "lots"},
			}}}
		}, "steps[0].config.fields.Amount", ""},
		{"step table of another base", func(b map[string]any) {
			b["steps"] = []any{map[string]any{"id": "d", "type": "delete_record", "config": map[string]any{
				"table_id": otherTable, "record_id": "{{trigger.record.id}}",
			}}}
		}, "steps[0].config.table_id", "no table"},
		{"bad condition op", func(b map[string]any) {
			b["conditions"] = map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "resembles", "value": "Done"}}}
		}, "conditions.rules[0].op", "resembles"},
		{"unknown field in conditions", func(b map[string]any) {
			b["conditions"] = map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Nope", "op": "is", "value": "x"}}}
		}, "conditions.rules[0].field", "Nope"},
		{"bad value in a nested condition", func(b map[string]any) {
			b["conditions"] = map[string]any{"match": "all", "rules": []any{
				map[string]any{"field": "Name", "op": "is_not_empty"},
				map[string]any{"match": "any", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Finished"}}},
			}}
		}, "conditions.rules[1].rules[0].value", "Finished"},
		{"bad formula", func(b map[string]any) {
			b["conditions"] = map[string]any{"formula": "AND({Status} = 'Done', {Amount} >)"}
		}, "conditions.formula", "position"},
		{"formula with an unknown field", func(b map[string]any) {
			b["conditions"] = map[string]any{"formula": "{Nope} = 1"}
		}, "conditions.formula", "Nope"},
		{"unknown field in a step condition", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{
				"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Nope", "op": "is_empty"}}},
			})}
		}, "steps[0].if.rules[0].field", "Nope"},
		{"unknown top-level key", func(b map[string]any) { b["colour"] = "blue" }, "", ""},
		{"on_error maybe", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"on_error": "maybe"})}
		}, "steps[0].on_error", "stop or continue"},
		{"max_attempts 99", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"retry": map[string]any{"max_attempts": 99}})}
		}, "steps[0].retry.max_attempts", "between 1 and 50"},
		{"bad backoff type", func(b map[string]any) {
			b["steps"] = []any{withStep(hook("notify"), map[string]any{"retry": map[string]any{"backoff": map[string]any{"type": "random"}}})}
		}, "steps[0].retry.backoff.type", ""},
		{"missing name", func(b map[string]any) { delete(b, "name") }, "name", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := validAutomation(f)
			tt.change(body)
			status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", body)
			require.Equal(t, 422, status, "%s", raw)
			if tt.loc != "" {
				var locs []string
				found := false
				for _, e := range p.Errors {
					locs = append(locs, e.Location)
					if e.Location == tt.loc {
						found = true
						require.Contains(t, e.Message, tt.msg)
					}
				}
				require.True(t, found, "want an error at %s, got %v (%s)", tt.loc, locs, raw)
				require.Len(t, p.Errors, 1, "one problem, one error: %s", raw)
			}
			require.Empty(t, items(f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)), "nothing was written")
		})
	}

	// The same body with nothing broken saves (disabled: it must never
	// call example.com).
	valid := validAutomation(f)
	valid["enabled"] = false
	f.automation(t, valid)
}

func setTable(b map[string]any, tableID string) {
	b["trigger"].(map[string]any)["config"].(map[string]any)["table_id"] = tableID
}

// TestAutomationVersions: every save is a new version; a run records the
// version it ran; an invalid PATCH changes nothing.
func TestAutomationVersions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	body := validAutomation(f)
	body["steps"] = []any{webhookStep("notify", rcv.URL, map[string]any{"config": map[string]any{"url": rcv.URL, "body": map[string]any{"v": "one"}}})}
	a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", body, 201)
	aut := a["id"].(string)
	require.EqualValues(t, 1, a["version"])
	require.Equal(t, true, a["enabled"], "enabled by default")

	f.create(t, map[string]any{"Name": "first"})
	require.Equal(t, "one", rcv.wait(t).Body["v"])
	require.EqualValues(t, 1, f.waitExactly(t, aut, 1)[0]["version"])

	p := f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{"config": map[string]any{"url": rcv.URL, "body": map[string]any{"v": "two"}}})},
	}, 200)
	require.EqualValues(t, 2, p["version"])
	require.Equal(t, "valid", p["name"], "a PATCH changes only what it names")
	p = f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"name": "renamed"}, 200)
	require.EqualValues(t, 3, p["version"], "every save is a version")

	status, prob, raw := f.send(t, "PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": []any{webhookStep("notify", "not a url", nil)}})
	require.Equal(t, 422, status, "%s", raw)
	require.Equal(t, "steps[0].config.url", prob.Errors[0].Location)
	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	require.EqualValues(t, 3, got["version"], "a refused PATCH writes nothing")
	require.Equal(t, "renamed", got["name"])

	f.create(t, map[string]any{"Name": "second"})
	require.Equal(t, "two", rcv.wait(t).Body["v"])
	runs := oldestFirst(f.waitExactly(t, aut, 2))
	require.EqualValues(t, 1, runs[0]["version"], "an old run keeps its version")
	require.EqualValues(t, 3, runs[1]["version"])
}

func TestDisabledAutomationDoesNotFire(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{"name": "toggled", "enabled": false, "trigger": f.trigger("record_created", nil), "steps": []any{}})
	sentinel := f.automation(t, map[string]any{"name": "sentinel", "trigger": f.trigger("record_created", nil), "steps": []any{}})

	f.create(t, map[string]any{"Name": "while created disabled"})
	f.waitExactly(t, sentinel, 1)
	require.Empty(t, f.runs(t, aut))

	a := f.env.JSON("POST", "/api/v1/automations/"+aut+"/enable", nil, 200)
	require.Equal(t, true, a["enabled"])
	require.EqualValues(t, 1, a["version"], "enabling does not change the definition")
	on := f.create(t, map[string]any{"Name": "while enabled"})
	require.Equal(t, on, triggerRecordID(f.waitExactly(t, aut, 1)[0]))

	a = f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	require.Equal(t, false, a["enabled"])
	require.Equal(t, false, f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["enabled"])
	f.create(t, map[string]any{"Name": "while disabled"})
	f.waitExactly(t, sentinel, 3)
	require.Len(t, f.runs(t, aut), 1, "a disabled automation does not fire")

	// Disabling through PATCH works the same way.
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/enable", nil, 200)
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"enabled": false}, 200)
	f.create(t, map[string]any{"Name": "patched off"})
	f.waitExactly(t, sentinel, 4)
	require.Len(t, f.runs(t, aut), 1)
	require.True(t, strings.HasPrefix(aut, "aut_"))
}

// TestPatchNullRemovesConditions: "conditions": null in a PATCH removes
// the conditions (an absent key keeps them).
func TestPatchNullRemovesConditions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := validAutomation(f)
	body["steps"] = []any{}
	body["conditions"] = map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}
	aut := f.automation(t, body)

	p := f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"name": "renamed"}, 200)
	require.NotNil(t, p["conditions"], "an absent key keeps the conditions")
	f.create(t, map[string]any{"Name": "todo", "Status": "Todo"})
	done := f.create(t, map[string]any{"Name": "done", "Status": "Done"})
	require.Equal(t, done, triggerRecordID(f.waitExactly(t, aut, 1)[0]))

	p = f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"conditions": nil}, 200)
	require.Nil(t, p["conditions"])
	require.EqualValues(t, 3, p["version"])
	require.Nil(t, f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["conditions"])
	todo := f.create(t, map[string]any{"Name": "todo 2", "Status": "Todo"})
	runs := f.waitExactly(t, aut, 2)
	require.Equal(t, todo, triggerRecordID(oldestFirst(runs)[1]), "without conditions a Todo record fires")
}

// TestRunKeepsItsVersion: a run executes the definition it started with,
// even when the automation is changed while the run is under way.
func TestRunKeepsItsVersion(t *testing.T) {
	t.Parallel()
	f := setup(t)
	first, second := newReceiver(t), newReceiver(t)
	release := first.hold(t, 0)
	steps := func(v string) []any {
		return []any{
			webhookStep("first", first.URL, nil),
			webhookStep("second", second.URL, map[string]any{"config": map[string]any{"url": second.URL, "body": map[string]any{"v": v}}}),
		}
	}
	aut := f.automation(t, map[string]any{"name": "pinned", "trigger": f.trigger("record_created", nil), "steps": steps("one")})
	f.create(t, map[string]any{"Name": "a"})
	first.wait(t) // the run is in its first step
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": steps("two")}, 200)
	release()
	require.Equal(t, "one", second.wait(t).Body["v"], "the running run keeps version 1")
	run := f.waitExactly(t, aut, 1)[0]
	require.EqualValues(t, 1, run["version"])
	require.Equal(t, "succeeded", run["status"])

	f.create(t, map[string]any{"Name": "b"})
	first.wait(t)
	require.Equal(t, "two", second.wait(t).Body["v"])
	require.EqualValues(t, 2, oldestFirst(f.waitExactly(t, aut, 2))[1]["version"])
}
