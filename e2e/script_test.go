package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// scriptStep is a run_script step.
func scriptStep(id, code string, cfg map[string]any) map[string]any {
	c := map[string]any{"code": code}
	for k, v := range cfg {
		c[k] = v
	}
	return map[string]any{"id": id, "type": "run_script", "config": c}
}

// nameIs is a condition group: Name = name.
func nameIs(name string) map[string]any {
	return map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": name}}}
}

// stepTimes returns how long a step ran, from its started_at to its
// finished_at.
func stepTimes(t *testing.T, step map[string]any) time.Duration {
	t.Helper()
	s, err := time.Parse(time.RFC3339Nano, step["started_at"].(string))
	require.NoError(t, err)
	e, err := time.Parse(time.RFC3339Nano, step["finished_at"].(string))
	require.NoError(t, err)
	return e.Sub(s)
}

// TestScriptHostile runs the hostile scripts as real runs, one
// after another on one server: each ends as a failed step (one attempt)
// with a clear error within its timeout + 100 ms, while an automation
// that is not a script keeps running on every record and the server
// stays up.
func TestScriptHostile(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hook := newReceiver(t)
	healthy := f.automation(t, map[string]any{
		"name": "healthy", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", hook.URL, nil)},
	})
	const timeoutMS = 500
	cases := []struct {
		name, code, want string
	}{
		{"busy loop", "for(;;){}", "timeout"},
		{"try loop", "while(true){try{}catch(e){}}", "timeout"},
		{"recursion", "function f(){f()};f()", "stack overflow (line 1"},
		{"huge repeat", "'x'.repeat(2**30)", "invalid string length (line 1"},
		{"huge array", "new Array(1e9).fill(1)", "(line 1"},
		{"200 MB string", "let s = '';\nfor (let i = 0; i < 200; i++) s += 'x'.repeat(1 << 20) + i;", ""},
		{"require", "require('fs')", "'require' is not defined (line 1"},
		{"fetch", "await fetch('http://127.0.0.1')", "'fetch' is not defined (line 1"},
		{"import", "await import('x')", "could not load module"},
		{"std", "globalThis.std.open('/etc/passwd')", "of undefined (line 1"},
		{"Date.now busy", "const t = Date.now();\nwhile (Date.now() - t < 1e9) {}", "timeout"},
		{"output cycle", "const a = {};\na.self = a;\noutput.set('a', a)", "not JSON-serialisable: circular reference (line 3"},
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
	}
	auts := map[string]string{}
	for _, c := range cases {
		auts[c.name] = f.automation(t, map[string]any{
			"name": "hostile " + c.name, "trigger": f.trigger("record_created", nil), "conditions": nameIs(c.name),
			"steps": []any{scriptStep("evil", c.code, map[string]any{"timeout_ms": timeoutMS})},
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.create(t, map[string]any{"Name": c.name})
			run := f.waitRuns(t, auts[c.name], 1)[0]
			require.Equal(t, "failed", run["status"], "run: %v", run)
			step := stepsOf(run)[0]
			require.Equal(t, "failed", step["status"])
			require.EqualValues(t, 1, step["attempts"], "a script failure is not retried without a retry policy")
			errText := step["error"].(string)
			require.Contains(t, errText, c.want)
			took := stepTimes(t, step)
			// Bounded by its timeout; the slack is for a loaded machine (the
			// script package asserts the tight bound on the engine alone).
			require.LessOrEqual(t, took, (2*timeoutMS+500)*time.Millisecond, "%s took %s: %s", c.name, took, errText)
			t.Logf("%s: %s in %s", c.name, errText, took)
		})
	}
	t.Run("100,000 log lines are capped", func(t *testing.T) {
		aut := f.automation(t, map[string]any{
			"name": "chatty", "trigger": f.trigger("record_created", nil), "conditions": nameIs("chatty"),
			"steps": []any{scriptStep("chatty", "for (let i = 0; i < 100000; i++) console.log('line', i);\noutput.set('done', true)", map[string]any{"timeout_ms": 5000})},
		})
		f.create(t, map[string]any{"Name": "chatty"})
		run := f.waitRuns(t, aut, 1)[0]
		require.Equal(t, "succeeded", run["status"], "run: %v", run)
		out := stepsOf(run)[0]["output"].(map[string]any)
		logs := out["logs"].([]any)
		require.Len(t, logs, 201)
		require.Equal(t, "line 0", logs[0])
		require.True(t, strings.HasPrefix(logs[200].(string), "… log truncated"), "%v", logs[200])
		require.Equal(t, true, out["done"])
	})

	// The automation that is not a script ran for every record.
	runs := f.waitRuns(t, healthy, len(cases)+1)
	for _, r := range runs {
		require.Equal(t, "succeeded", r["status"])
	}
	f.env.JSON("GET", "/healthz", nil, 200)
}

func TestScriptComputesFromInputs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{
		"name": "vat", "trigger": f.trigger("record_created", nil),
		"steps": []any{scriptStep("calc", `const {amount, name} = input.config();
console.log('computing', name);
const vat = Math.round(amount * 20) / 100;
output.set('vat', vat);
output.set('summary', {name, gross: amount + vat});
// "{{trigger.record.id}}" stays as written: code is never templated.
output.set('literal', "{{trigger.record.id}}");`,
			map[string]any{"inputs": map[string]any{"amount": "{{trigger.record.fields.Amount}}", "name": "{{trigger.record.fields.Name}}"}})},
	})
	f.create(t, map[string]any{"Name": "A-1", "Amount": 150})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "run: %v", run)
	out := stepsOf(run)[0]["output"].(map[string]any)
	require.EqualValues(t, 30, out["vat"])
	require.Equal(t, map[string]any{"name": "A-1", "gross": 180.0}, out["summary"])
	require.Equal(t, "{{trigger.record.id}}", out["literal"])
	require.Equal(t, []any{"computing A-1"}, out["logs"])
}

func TestScriptReadsRecordsOfItsBaseOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.createBatch(t,
		map[string]any{"Name": "o1", "Status": "Done", "Amount": 10},
		map[string]any{"Name": "o2", "Status": "Done", "Amount": 32},
		map[string]any{"Name": "o3", "Status": "Todo", "Amount": 1000},
	)
	// Another base's table: a script of this base cannot reach it.
	other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)
	secret := f.env.JSON("POST", "/api/v1/bases/"+other["id"].(string)+"/tables", map[string]any{
		"name": "Secrets", "fields": []any{map[string]any{"name": "Name", "type": "text"}}}, 201)
	secretRec := f.env.JSON("POST", "/api/v1/tables/"+secret["id"].(string)+"/records", map[string]any{"fields": map[string]any{"Name": "s"}}, 201)

	aut := f.automation(t, map[string]any{
		"name": "report", "trigger": f.trigger("record_created", nil), "conditions": nameIs("report"),
		"steps": []any{scriptStep("report", `const orders = base.getTable('Orders');
const done = await orders.selectRecordsAsync({
  filter: {match: 'all', rules: [{field: 'Status', op: 'is', value: 'Done'}]},
  sort: [{field: 'Amount', direction: 'desc'}],
});
output.set('names', done.records.map(r => r.getCellValue('Name')));
output.set('total', done.records.reduce((s, r) => s + r.getCellValue('Amount'), 0));
const first = await orders.selectRecordAsync(done.recordIds[0]);
output.set('first', first.getCellValueAsString('Name'));
output.set('limited', (await orders.selectRecordsAsync({limit: 1})).records.length);
let denied = '';
try { base.getTable(input.config().other) } catch (e) { denied = e.message }
output.set('denied', denied);`, map[string]any{"inputs": map[string]any{"other": secret["id"]}})},
	})
	f.create(t, map[string]any{"Name": "report"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "run: %v", run)
	out := stepsOf(run)[0]["output"].(map[string]any)
	require.Equal(t, []any{"o2", "o1"}, out["names"])
	require.EqualValues(t, 42, out["total"])
	require.Equal(t, "o2", out["first"])
	require.EqualValues(t, 1, out["limited"])
	require.Contains(t, out["denied"], "no table")
	require.NotContains(t, fmt.Sprint(out), secretRec["id"])
}

func TestScriptOutputFeedsTheNextStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	invoices := f.addInvoices(t)
	aut := f.automation(t, map[string]any{
		"name": "chain", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			scriptStep("calc", "const {name} = input.config();\nawait null;\noutput.set('title', 'Invoice for ' + name.toUpperCase());",
				map[string]any{"inputs": map[string]any{"name": "{{trigger.record.fields.Name}}"}}),
			map[string]any{"id": "invoice", "type": "create_record", "config": map[string]any{
				"table_id": invoices, "fields": map[string]any{"Title": "{{steps.calc.output.title}}"},
			}},
		},
	})
	f.create(t, map[string]any{"Name": "acme"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "run: %v", run)
	inv := f.records(t, invoices)
	require.Len(t, inv, 1)
	require.Equal(t, "Invoice for ACME", inv[0]["fields"].(map[string]any)["Title"])
}

func TestScriptRefusedAtSave(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := func(cfg map[string]any) map[string]any {
		return map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil), "steps": []any{
			map[string]any{"id": "s", "type": "run_script", "config": cfg}}}
	}
	cases := []struct {
		name string
		cfg  map[string]any
		loc  string
		msg  string
	}{
		{"syntax error", map[string]any{"code": "const a = 1;\nconst b = ;"}, "steps[0].config.code", "SyntaxError: unexpected token in expression: ';' (line 2, column 11)"},
		{"too large", map[string]any{"code": strings.Repeat("//", 60<<10)}, "steps[0].config.code", ""},
		{"empty", map[string]any{"code": " "}, "steps[0].config.code", "required"},
		{"timeout", map[string]any{"code": "1", "timeout_ms": 120001}, "steps[0].config.timeout_ms", ""},
		{"memory", map[string]any{"code": "1", "memory_mb": 1024}, "steps[0].config.memory_mb", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", body(c.cfg))
			require.Equal(t, 422, status, "%s", raw)
			found := false
			for _, e := range p.Errors {
				if e.Location == c.loc && strings.Contains(e.Message, c.msg) {
					found = true
				}
			}
			require.True(t, found, "no error at %s containing %q: %s", c.loc, c.msg, raw)
		})
	}
	list := f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)
	require.Empty(t, items(list), "nothing was written")
}

func TestScriptRetriesOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	f := setup(t)
	step := scriptStep("flaky", "throw new Error('nope')", nil)
	step["retry"] = map[string]any{"max_attempts": 2, "backoff": map[string]any{"type": "fixed", "delay_ms": 10}}
	aut := f.automation(t, map[string]any{"name": "retry", "trigger": f.trigger("record_created", nil), "steps": []any{step}})
	f.create(t, map[string]any{"Name": "x"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	s := stepsOf(run)[0]
	require.EqualValues(t, 2, s["attempts"])
	require.Contains(t, s["error"], "Error: nope (line 1")
}

// TestScriptConcurrencyLimit: with one script slot, two slow scripts run
// one after the other (the second waits), and both finish.
func TestScriptConcurrencyLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.ScriptConcurrency = 1 })
	aut := f.automation(t, map[string]any{
		"name": "slow", "trigger": f.trigger("record_created", nil),
		"steps": []any{scriptStep("slow", "const t = Date.now(); while (Date.now() - t < 200) {}\noutput.set('at', Date.now())", nil)},
	})
	f.createBatch(t, map[string]any{"Name": "a"}, map[string]any{"Name": "b"})
	runs := f.waitExactly(t, aut, 2)
	var at []float64
	for _, r := range runs {
		require.Equal(t, "succeeded", r["status"], "run: %v", r)
		at = append(at, stepsOf(r)[0]["output"].(map[string]any)["at"].(float64))
	}
	gap := at[0] - at[1]
	if gap < 0 {
		gap = -gap
	}
	require.GreaterOrEqual(t, gap, 190.0, "the second script ran after the first")
}
