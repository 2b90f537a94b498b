package e2e_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// rowCounts counts the rows a dry run must not leave behind: records,
// runs, run steps, River jobs, notifications and stored webhook requests.
func (f *fixture) rowCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"records", "runs", "run_steps", "river_job", "notifications", "webhook_requests"} {
		var n int
		require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
		out[table] = n
	}
	return out
}

// dryRun posts a dry run of automation aut and returns its answer (200).
func (f *fixture) dryRun(t *testing.T, aut string, body map[string]any) map[string]any {
	t.Helper()
	return f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", body, 200)
}

// dryStepsOf returns a dry run's steps by id.
func dryStepsOf(dr map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, s := range dr["steps"].([]any) {
		m := s.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// TestDryRunRecordActionsChangeNothing: a dry run of create_record,
// link_records, update_record and delete_record answers each change
// (before/after cells by name) and leaves every table as it was: the
// same rows in records, runs, run_steps, river_job and notifications,
// and the records' cells unchanged.
func TestDryRunRecordActionsChangeNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	invoices := f.addInvoices(t)
	order := f.create(t, map[string]any{"Name": "Desk", "Status": "Todo", "Amount": 120})
	other := f.create(t, map[string]any{"Name": "Chair", "Status": "Todo"})
	aut := f.automation(t, map[string]any{
		"name": "invoice", "enabled": true,
		"trigger": map[string]any{"type": "record_updated", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{
			map[string]any{"id": "invoice", "type": "create_record", "config": map[string]any{"table_id": invoices,
				"fields": map[string]any{"Title": "Invoice for {{trigger.record.fields.Name}}"}}},
			map[string]any{"id": "link", "type": "link_records", "config": map[string]any{"table_id": f.tableID,
				"record_id": "{{trigger.record.id}}", "field": "Invoices", "record_ids": []any{"{{steps.invoice.output.record.id}}"}}},
			map[string]any{"id": "mark", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
				"record_id": "{{trigger.record.id}}", "fields": map[string]any{"Status": "Done"}}},
			map[string]any{"id": "drop", "type": "delete_record", "config": map[string]any{"table_id": f.tableID, "record_id": other}},
		},
	})
	before := f.rowCounts(t)
	orderBefore := f.record(t, f.tableID, order)

	dr := f.dryRun(t, aut, map[string]any{"record_id": order})
	require.Equal(t, "dry_run", dr["mode"])
	require.Equal(t, false, dr["persisted"])
	require.Equal(t, "record", dr["trigger"].(map[string]any)["source"])
	steps := dryStepsOf(dr)
	for _, id := range []string{"invoice", "link", "mark", "drop"} {
		require.Equal(t, "executed", steps[id]["status"], "step %s: %v", id, steps[id])
	}
	created := steps["invoice"]["changes"].([]any)[0].(map[string]any)
	require.Equal(t, "created", created["kind"])
	require.Equal(t, "Invoices", created["table"])
	require.Equal(t, "Invoice for Desk", created["after"].(map[string]any)["Title"])
	invoiceID := created["record_id"].(string)
	require.Equal(t, invoiceID, steps["invoice"]["output"].(map[string]any)["record"].(map[string]any)["id"], "the output feeds later steps")

	var marked map[string]any
	for _, c := range steps["mark"]["changes"].([]any) {
		if c.(map[string]any)["record_id"] == order {
			marked = c.(map[string]any)
		}
	}
	require.NotNil(t, marked, "update_record's change of the order: %v", steps["mark"]["changes"])
	require.Equal(t, "updated", marked["kind"])
	require.Equal(t, "Todo", marked["before"].(map[string]any)["Status"])
	require.Equal(t, "Done", marked["after"].(map[string]any)["Status"])
	require.Equal(t, []any{"Status"}, marked["changed"])
	linked := false
	for _, c := range steps["link"]["changes"].([]any) {
		m := c.(map[string]any)
		if m["record_id"] == order {
			linked = strings.Contains(mustString(t, m["after"]), invoiceID)
		}
	}
	require.True(t, linked, "link_records' change links the new invoice: %v", steps["link"]["changes"])
	dropped := steps["drop"]["changes"].([]any)[0].(map[string]any)
	require.Equal(t, "deleted", dropped["kind"])
	require.Equal(t, "Chair", dropped["before"].(map[string]any)["Name"])

	require.Equal(t, before, f.rowCounts(t), "a dry run leaves no row behind (records, runs, steps, River jobs)")
	require.Equal(t, orderBefore["fields"], f.record(t, f.tableID, order)["fields"], "the order's cells are unchanged")
	f.record(t, f.tableID, other) // still there
	require.Empty(t, f.records(t, invoices), "no invoice was kept")
	require.Empty(t, f.runs(t, aut), "no run was stored")
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	return string(mustJSON(t, v))
}

// TestDryRunWebhookMakesNoConnection: a dry run of send_webhook to a
// listener on 127.0.0.1 shows the request it would make (URL, rendered
// body, Standard Webhooks headers; the secret, the signature and a
// credential header redacted) and the listener accepts no connection. A
// later step that uses the webhook's answer gets a placeholder and says
// so.
func TestDryRunWebhookMakesNoConnection(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var accepts atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			_ = c.Close()
		}
	}()
	order := f.create(t, map[string]any{"Name": "Desk", "Status": "Done", "Amount": 120})
	url := "http://" + ln.Addr().String() + "/hooks/orders"
	aut := f.automation(t, map[string]any{
		"name": "post", "enabled": false,
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{
			map[string]any{"id": "hook", "type": "send_webhook", "config": map[string]any{"url": url, "secret": "whsec_dry_run_secret_1",
				"headers": map[string]any{"Authorization": "Bearer tok-very-secret", "X-Source": "rowflow"},
				"body":    map[string]any{"id": "{{trigger.record.id}}", "amount": "{{trigger.record.fields.Amount}}"}}},
			map[string]any{"id": "note", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
				"record_id": "{{trigger.record.id}}", "fields": map[string]any{"Name": "{{steps.hook.output.body.ticket}}"}}},
		},
	})
	before := f.rowCounts(t)
	dr := f.dryRun(t, aut, map[string]any{"record_id": order})
	require.Zero(t, accepts.Load(), "a dry run opens no connection to the webhook's URL")
	require.Equal(t, before, f.rowCounts(t))

	steps := dryStepsOf(dr)
	hook := steps["hook"]
	require.Equal(t, "previewed", hook["status"])
	require.Equal(t, true, hook["output_placeholder"])
	req := hook["request"].(map[string]any)
	require.Equal(t, "POST", req["method"])
	require.Equal(t, url, req["url"])
	require.Equal(t, map[string]any{"id": order, "amount": float64(120)}, req["body"])
	headers := req["headers"].(map[string]any)
	require.Equal(t, "msg_run_dry_run_hook", headers["Webhook-Id"])
	require.Equal(t, "********", headers["Webhook-Signature"], "the signature is shown redacted")
	require.Equal(t, "********", headers["Authorization"])
	require.Equal(t, "application/json", headers["Content-Type"])
	text := mustString(t, dr)
	require.NotContains(t, text, "whsec_dry_run_secret_1")
	require.NotContains(t, text, "tok-very-secret")

	note := steps["note"]
	require.Equal(t, "executed", note["status"])
	ph := note["placeholders"].([]any)[0].(map[string]any)
	require.Equal(t, "{{steps.hook.output.body.ticket}}", ph["token"])
	require.Equal(t, "hook", ph["from_step"])
	require.Equal(t, ph["value"], note["changes"].([]any)[0].(map[string]any)["after"].(map[string]any)["Name"],
		"the write shows the placeholder where a real run has the answer's value")
	require.Contains(t, mustString(t, dr["notes"]), "hook")
}

// TestDryRunTraceNamesFailingClause: the conditions' trace lists every
// rule with its field, operator, expected and actual value; the failing
// one is marked and the run would not start (would_run false), while the
// steps are still shown.
func TestDryRunTraceNamesFailingClause(t *testing.T) {
	t.Parallel()
	f := setup(t)
	order := f.create(t, map[string]any{"Name": "Desk", "Status": "Todo", "Amount": 120})
	aut := f.automation(t, map[string]any{
		"name": "big done orders", "enabled": true,
		"trigger": map[string]any{"type": "record_updated", "config": map[string]any{"table_id": f.tableID}},
		"conditions": map[string]any{"match": "all", "rules": []any{
			map[string]any{"field": "Amount", "op": "gt", "value": 100},
			map[string]any{"field": "Status", "op": "is", "value": "Done"},
		}},
		"steps": []any{map[string]any{"id": "mark", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
			"record_id": "{{trigger.record.id}}", "fields": map[string]any{"Count": 1}}}},
	})
	dr := f.dryRun(t, aut, map[string]any{"record_id": order})
	cond := dr["conditions"].(map[string]any)
	require.Equal(t, false, cond["passed"])
	require.Equal(t, false, dr["would_run"])
	rules := cond["rules"].([]any)
	require.Len(t, rules, 2)
	amount, status := rules[0].(map[string]any), rules[1].(map[string]any)
	require.Equal(t, true, amount["passed"])
	require.Equal(t, float64(120), amount["actual"])
	require.Equal(t, map[string]any{"path": "rules[1]", "field": "Status", "field_id": status["field_id"], "op": "is",
		"expected": "Done", "actual": "Todo", "passed": false}, status)
	require.Contains(t, mustString(t, dr["notes"]), "Status is Done (actual: Todo)")
	require.Equal(t, "executed", dryStepsOf(dr)["mark"]["status"], "the steps are walked although the conditions fail")

	// A sample passes them.
	dr = f.dryRun(t, aut, map[string]any{"sample": map[string]any{"record": map[string]any{"id": order,
		"fields": map[string]any{"Name": "Desk", "Status": "Done", "Amount": 150}}}})
	require.Equal(t, true, dr["would_run"])
	require.Equal(t, "sample", dr["trigger"].(map[string]any)["source"])
	// A sample naming an unknown field is refused at its place.
	st, p, _ := f.send(t, "POST", "/api/v1/automations/"+aut+"/test", map[string]any{"sample": map[string]any{"record": map[string]any{"fields": map[string]any{"Nope": 1}}}})
	require.Equal(t, 422, st)
	require.Equal(t, "sample.record.fields.Nope", p.Errors[0].Location)
}

// TestDryRunDraft: an unsaved draft is validated as a save would be (422
// naming each place under automation.) and, when valid, dry-run instead
// of the saved version; the saved automation does not change.
func TestDryRunDraft(t *testing.T) {
	t.Parallel()
	f := setup(t)
	order := f.create(t, map[string]any{"Name": "Desk", "Status": "Todo"})
	aut := f.automation(t, map[string]any{
		"name": "saved", "enabled": false,
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps":   []any{map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID, "limit": 1}}},
	})
	st, p, _ := f.send(t, "POST", "/api/v1/automations/"+aut+"/test", map[string]any{"record_id": order, "automation": map[string]any{
		"steps": []any{
			map[string]any{"id": "hook", "type": "send_webhook", "config": map[string]any{"url": "ftp://example.com/x"}},
			map[string]any{"id": "mark", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
				"record_id": "{{trigger.record.id}}", "fields": map[string]any{"Nope": 1}}},
		}}})
	require.Equal(t, 422, st)
	var locs []string
	for _, e := range p.Errors {
		locs = append(locs, e.Location)
	}
	require.Contains(t, locs, "automation.steps[0].config.url")
	require.Contains(t, locs, "automation.steps[1].config.fields.Nope")

	dr := f.dryRun(t, aut, map[string]any{"record_id": order, "automation": map[string]any{
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Todo"}}},
		"steps": []any{map[string]any{"id": "mark", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
			"record_id": "{{trigger.record.id}}", "fields": map[string]any{"Status": "Doing"}}}}}})
	require.Equal(t, true, dr["draft"])
	require.Equal(t, float64(0), dr["version"])
	require.Equal(t, true, dr["would_run"])
	require.Equal(t, "executed", dryStepsOf(dr)["mark"]["status"])
	saved := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	require.Equal(t, float64(1), saved["version"], "testing a draft saves nothing")
	require.Equal(t, "find", saved["steps"].([]any)[0].(map[string]any)["id"])
	st, _, _ = f.send(t, "POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live", "automation": map[string]any{"name": "x"}})
	require.Equal(t, 422, st, "a draft cannot be run live")
}

// TestDryRunLastWebhookRequest: without record_id or sample, a
// webhook_received automation is dry-run on the webhook's last stored
// request (its payload conditions traced on it), with nothing sent.
func TestDryRunLastWebhookRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	hook := f.env.JSON("POST", "/api/v1/webhooks", map[string]any{"base_id": f.baseID, "name": "orders", "auth": map[string]any{"mode": "none"}}, 201)
	hookID := hook["id"].(string)
	aut := f.automation(t, map[string]any{
		"name": "forward", "enabled": false,
		"trigger":    map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": hookID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "body.amount", "op": "gt", "value": 100}}},
		"steps": []any{map[string]any{"id": "fwd", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"body": map[string]any{"amount": "{{trigger.body.amount}}", "who": "{{trigger.body.customer}}"}}}},
	})
	st, p, _ := f.send(t, "POST", "/api/v1/automations/"+aut+"/test", map[string]any{})
	require.Equal(t, 422, st, "no request stored yet")
	require.Equal(t, "sample", p.Errors[0].Location)

	f.env.JSON("POST", "/api/v1/webhooks/"+hookID+"/trigger", map[string]any{"amount": 50, "customer": "old"}, 202)
	req := f.env.JSON("POST", "/api/v1/webhooks/"+hookID+"/trigger", map[string]any{"amount": 150, "customer": "Ada"}, 202)
	before := f.rowCounts(t)
	dr := f.dryRun(t, aut, map[string]any{})
	src := dr["trigger"].(map[string]any)
	require.Equal(t, "last_request", src["source"])
	require.Equal(t, req["request_id"], src["data"].(map[string]any)["request_id"], "the newest request")
	require.Equal(t, true, dr["would_run"])
	rule := dr["conditions"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	require.Equal(t, "body.amount", rule["field"])
	require.Equal(t, float64(150), rule["actual"])
	fwd := dryStepsOf(dr)["fwd"]
	require.Equal(t, "previewed", fwd["status"])
	require.Equal(t, map[string]any{"amount": float64(150), "who": "Ada"}, fwd["request"].(map[string]any)["body"])
	require.Zero(t, rcv.count(), "nothing was sent")
	require.Equal(t, before, f.rowCounts(t))
}

// TestRecordSkippedRuns: with record_skipped_runs, an event whose
// conditions fail is stored as a skipped run with the trace naming the
// failing rule (for creates matched at write time and for updates matched
// after commit), and a passing run stores its trace too; without it
// (the default) such an event stores nothing.
func TestRecordSkippedRuns(t *testing.T) {
	t.Parallel()
	f := setup(t)
	done := map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}
	find := []any{map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID, "limit": 1}}}
	created := f.automation(t, map[string]any{"name": "created", "record_skipped_runs": true,
		"trigger": f.trigger("record_created", nil), "conditions": done, "steps": find})
	updated := f.automation(t, map[string]any{"name": "updated", "record_skipped_runs": true,
		"trigger": f.trigger("record_updated", nil), "conditions": done, "steps": find})
	quiet := f.automation(t, map[string]any{"name": "quiet",
		"trigger": f.trigger("record_updated", nil), "conditions": done, "steps": find})
	require.Equal(t, true, f.env.JSON("GET", "/api/v1/automations/"+created, nil, 200)["record_skipped_runs"])
	require.Equal(t, false, f.env.JSON("GET", "/api/v1/automations/"+quiet, nil, 200)["record_skipped_runs"])

	todo := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
	f.create(t, map[string]any{"Name": "b", "Status": "Done"})
	f.update(t, todo, map[string]any{"Status": "Doing"})
	f.update(t, todo, map[string]any{"Status": "Done"})

	byStatus := func(runs []map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range runs {
			out[r["status"].(string)] = f.env.JSON("GET", "/api/v1/runs/"+r["id"].(string), nil, 200)
		}
		return out
	}
	for _, aut := range []string{created, updated} {
		runs := byStatus(f.waitRuns(t, aut, 2))
		require.Len(t, runs, 2, "one skipped and one succeeded run")
		skipped := runs["skipped"]
		require.NotNil(t, skipped)
		tr := skipped["condition_trace"].(map[string]any)
		require.Equal(t, false, tr["passed"])
		rule := tr["rules"].([]any)[0].(map[string]any)
		require.Equal(t, "Status", rule["field"])
		require.Equal(t, "Done", rule["expected"])
		require.Contains(t, []any{"Todo", "Doing"}, rule["actual"])
		require.Equal(t, false, rule["passed"])
		require.Empty(t, skipped["steps"], "a skipped run runs no step")
		ok := runs["succeeded"]
		require.NotNil(t, ok)
		require.Equal(t, true, ok["condition_trace"].(map[string]any)["passed"])
	}
	quietRuns := f.waitRuns(t, quiet, 1)
	require.Len(t, quietRuns, 1, "without record_skipped_runs only the passing event is stored")
	require.Equal(t, "succeeded", quietRuns[0]["status"])

	// Turning it off stores nothing for failing events again.
	f.env.JSON("PATCH", "/api/v1/automations/"+updated, map[string]any{"record_skipped_runs": false}, 200)
	f.update(t, todo, map[string]any{"Status": "Todo"})
	f.update(t, todo, map[string]any{"Status": "Done"})
	runs := f.waitRuns(t, updated, 3)
	require.Len(t, runs, 3, "the failing update stored nothing")
	require.Equal(t, "succeeded", runs[0]["status"])
}

// TestDryRunScheduledAndAgain: a scheduled automation is dry-run on its
// last fire time (before its first fire: the next one), its templates
// seeing {{trigger.scheduled_for}}; a run's trigger data can be dry-run
// again (DryRunAgain, the console's hook).
func TestDryRunScheduledAndAgain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{
		"name": "daily", "enabled": false,
		"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"cron": "0 9 * * *", "time_zone": "UTC"}},
		"steps": []any{map[string]any{"id": "log", "type": "create_record", "config": map[string]any{"table_id": f.tableID,
			"fields": map[string]any{"Name": "report {{trigger.scheduled_for}}"}}}},
	})
	before := f.rowCounts(t)
	dr := f.dryRun(t, aut, map[string]any{})
	src := dr["trigger"].(map[string]any)
	require.Equal(t, "last_fire", src["source"])
	at := src["data"].(map[string]any)["scheduled_for"].(string)
	require.Contains(t, at, "T09:00:00Z", "the next 09:00 UTC (it has not fired yet)")
	change := dryStepsOf(dr)["log"]["changes"].([]any)[0].(map[string]any)
	require.Equal(t, "report "+at, change["after"].(map[string]any)["Name"])
	require.Equal(t, before, f.rowCounts(t))
	noBody := f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", nil, 200)
	require.Equal(t, "dry_run", noBody["mode"], "without a body: a dry run on the last trigger")

	// Again, from a run: a live test run's trigger data.
	run := f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live", "sample": map[string]any{"scheduled_for": "2026-01-02T08:00:00Z"}}, 202)
	f.waitRuns(t, aut, 1)
	raw, err := f.env.App.Automations.DryRunAgain(adminCtx(), aut, run["id"].(string))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"report 2026-01-02T08:00:00Z"`)
	_, err = f.env.App.Automations.DryRunAgain(adminCtx(), aut, "run_nope")
	require.Error(t, err)
}

// adminCtx is a context with full rights, for calls into the runtime.
func adminCtx() context.Context {
	return rowflow.WithPrincipal(context.Background(), rowflow.Principal{Role: rowflow.RoleOwner})
}

// TestDryRunCoversEveryAction: every action kind is either previewed
// (kind.Previewer: an effect outside the database, never caused by a dry
// run) or executed inside the rolled-back transaction (kind.Transactional
// record writes, kind.EffectFree reads, scripts and delays). A new kind
// with neither would be answered not_simulated: this test makes its
// author choose.
func TestDryRunCoversEveryAction(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, at := range f.env.App.Automations.Kinds().Actions() {
		_, preview := at.(kind.Previewer)
		_, tx := at.(kind.Transactional)
		_, free := at.(kind.EffectFree)
		require.True(t, preview || tx || free, "action %s: a dry run can neither preview nor safely execute it", at.Name())
		require.False(t, free && (preview || tx), "action %s: effect-free and previewed/transactional", at.Name())
	}
}

// TestDryRunMessagesSendNothing: a dry run of send_slack_message,
// send_teams_message, send_email and notify_user shows the message each
// would send — the channel, the card, the server and envelope, the
// recipient resolved to a user — and nothing is posted, the SMTP server
// sees no session, no notification is written, and no credential of the
// connections is in the answer.
func TestDryRunMessagesSendNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	srv := newMailServer(t, smtpserver.Opts{})
	conn := f.connection(t, "smtp", smtpConn(srv, map[string]any{"username": "shop", "password": "dry-run-pa55word"}))
	user := f.env.JSON("POST", "/api/v1/users", map[string]any{"email": "ada@example.com", "name": "Ada"}, 201)["id"].(string)
	rcv := newReceiver(t)
	slackConn := f.connection(t, "slack", map[string]any{"bot_token": "xoxb-DRY-token_1", "default_channel": "C0DEFAULT"})
	teamsConn := f.connection(t, "teams", map[string]any{"webhook_url": rcv.URL + "/workflows/T3AMS-dry_secret"})
	order := f.create(t, map[string]any{"Name": "Desk", "Status": "Done"})
	aut := f.automation(t, map[string]any{
		"name": "tell", "enabled": false, "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "slack", "type": "send_slack_message", "config": map[string]any{"connection_id": slackConn,
				"text": "Order {{trigger.record.fields.Name}} is done"}},
			map[string]any{"id": "teams", "type": "send_teams_message", "config": map[string]any{"connection_id": teamsConn,
				"title": "Done", "text": "Order {{trigger.record.fields.Name}}"}},
			map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{"connection_id": conn,
				"to": "ada@example.com, bob@example.com", "subject": "Order {{trigger.record.fields.Name}}\nis done", "text": "Status: {{trigger.record.fields.Status}}"}},
			map[string]any{"id": "ping", "type": "notify_user", "config": map[string]any{"user": "ada@example.com",
				"title": "Order {{trigger.record.fields.Name}} is done", "link": "/records/{{trigger.record.id}}"}},
		},
	})
	before := f.rowCounts(t)
	dr := f.dryRun(t, aut, map[string]any{"record_id": order})
	steps := dryStepsOf(dr)
	mail := steps["mail"]
	require.Equal(t, "previewed", mail["status"], "%v", mail)
	req := mail["request"].(map[string]any)
	require.Equal(t, srv.Addr(), req["server"])
	require.Equal(t, []any{"<ada@example.com>", "<bob@example.com>"}, req["to"], "as the headers carry them")
	require.Equal(t, "Order Desk is done", req["subject"], "on one header line, as sent")
	require.Equal(t, "Status: Done", req["text"])
	ping := steps["ping"]
	require.Equal(t, "previewed", ping["status"], "%v", ping)
	require.Equal(t, user, ping["request"].(map[string]any)["user_id"])
	require.Equal(t, "Order Desk is done", ping["request"].(map[string]any)["title"])

	slack := steps["slack"]
	require.Equal(t, "previewed", slack["status"], "%v", slack)
	require.Equal(t, map[string]any{"connection_id": slackConn, "via": "chat.postMessage", "channel": "C0DEFAULT", "text": "Order Desk is done"}, slack["request"])
	teams := steps["teams"]
	require.Equal(t, "previewed", teams["status"], "%v", teams)
	require.Contains(t, mustString(t, teams["request"]), "Order Desk")
	require.Zero(t, rcv.count(), "nothing was posted to Teams")
	require.NotContains(t, mustString(t, dr), "xoxb-DRY-token_1")
	require.NotContains(t, mustString(t, dr), "T3AMS-dry_secret")

	require.Zero(t, srv.Sessions(), "no SMTP session was opened")
	require.Equal(t, before, f.rowCounts(t), "no notification (nor anything else) was written")
	require.NotContains(t, mustString(t, dr), "dry-run-pa55word")
}

// TestRecordSkippedRunsForWebhooks: an incoming request whose payload
// conditions fail is stored as a skipped run with the trace (the path,
// the payload's value) when the automation records skipped runs; a
// passing one keeps its trace too.
func TestRecordSkippedRunsForWebhooks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hookID := f.env.JSON("POST", "/api/v1/webhooks", map[string]any{"base_id": f.baseID, "name": "in", "auth": map[string]any{"mode": "none"}}, 201)["id"].(string)
	aut := f.automation(t, map[string]any{
		"name": "big", "record_skipped_runs": true,
		"trigger":    map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": hookID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "body.amount", "op": "gt", "value": 100}}},
		"steps":      []any{},
	})
	small := f.env.JSON("POST", "/api/v1/webhooks/"+hookID+"/trigger", map[string]any{"amount": 50}, 202)
	big := f.env.JSON("POST", "/api/v1/webhooks/"+hookID+"/trigger", map[string]any{"amount": 150}, 202)
	require.Len(t, small["runs"], 1, "the failing request has its skipped run")
	skipped := f.env.JSON("GET", "/api/v1/runs/"+small["runs"].([]any)[0].(string), nil, 200)
	require.Equal(t, "skipped", skipped["status"])
	rule := skipped["condition_trace"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	require.Equal(t, "body.amount", rule["field"])
	require.Equal(t, float64(50), rule["actual"])
	require.Equal(t, false, rule["passed"])
	ran := f.env.JSON("GET", "/api/v1/runs/"+big["runs"].([]any)[0].(string), nil, 200)
	require.Equal(t, true, ran["condition_trace"].(map[string]any)["passed"])
	require.Len(t, f.runs(t, aut), 2)
}

// TestDryRunGroups: a dry run walks groups as a run would — a for_each
// once per found record (its writes shown and rolled back), an if
// through the branch whose condition holds — and a for_each whose items
// come from an output only a real run has is not walked and says why.
func TestDryRunGroups(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.create(t, map[string]any{"Name": "a", "Status": "Todo"})
	b := f.create(t, map[string]any{"Name": "b", "Status": "Todo"})
	trig := f.create(t, map[string]any{"Name": "trigger", "Status": "Done"})
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name": "groups", "enabled": false, "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID,
				"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Todo"}}}}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": []any{
				map[string]any{"id": "close", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
					"record_id": "{{item.id}}", "fields": map[string]any{"Status": "Done", "Count": "{{index}}"}}}}},
			map[string]any{"id": "route", "type": "if", "branches": []any{
				map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Todo"}}},
					"steps": []any{map[string]any{"id": "todo_hook", "type": "send_webhook", "config": map[string]any{"url": rcv.URL}}}},
				map[string]any{"else": true, "steps": []any{map[string]any{"id": "done_hook", "type": "send_webhook", "config": map[string]any{"url": rcv.URL}}}},
			}},
			map[string]any{"id": "again", "type": "for_each", "items": "{{steps.done_hook.output.body.items}}", "steps": []any{
				map[string]any{"id": "inner", "type": "find_records", "config": map[string]any{"table_id": f.tableID}}}},
		},
	})
	before := f.rowCounts(t)
	dr := f.dryRun(t, aut, map[string]any{"record_id": trig})
	steps := dryStepsOf(dr)
	each := steps["each"]
	require.Equal(t, "executed", each["status"], "%v", each)
	items := each["items"].([]any)
	require.Len(t, items, 2)
	closed := map[string]bool{}
	for i, it := range items {
		st := it.(map[string]any)["steps"].([]any)[0].(map[string]any)
		require.Equal(t, "executed", st["status"], "%v", st)
		ch := st["changes"].([]any)[0].(map[string]any)
		require.Equal(t, "Done", ch["after"].(map[string]any)["Status"])
		require.Equal(t, float64(i), ch["after"].(map[string]any)["Count"])
		closed[ch["record_id"].(string)] = true
	}
	require.Equal(t, map[string]bool{a: true, b: true}, closed)
	route := steps["route"]
	require.Equal(t, float64(1), route["branch"], "the else branch: the trigger record is Done")
	inner := route["steps"].([]any)[0].(map[string]any)
	require.Equal(t, "done_hook", inner["id"])
	require.Equal(t, "previewed", inner["status"])
	again := steps["again"]
	require.Equal(t, "not_simulated", again["status"])
	require.Contains(t, again["note"], "done_hook")
	require.Zero(t, rcv.count())
	require.Equal(t, before, f.rowCounts(t))
	require.Equal(t, "Todo", f.record(t, f.tableID, a)["fields"].(map[string]any)["Status"])
}
