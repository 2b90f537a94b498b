package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// groupsFixture is the fixture with n Orders records (Status Todo) and a
// Jobs table whose record_created trigger starts the automation under test.
func groupsFixture(t *testing.T, n int) (*fixture, string) {
	t.Helper()
	f := setup(t)
	for done := 0; done < n; {
		batch := make([]map[string]any, 0, 100)
		for ; done < n && len(batch) < 100; done++ {
			batch = append(batch, map[string]any{"Name": fmt.Sprint(done), "Status": "Todo"})
		}
		f.createBatch(t, batch...)
	}
	jobs := f.table(t, "Jobs", map[string]any{"name": "Name", "type": "text"})
	return f, jobs["id"].(string)
}

// findEachUpdate is find (every Todo order) → for_each → update_record
// (Status Done, Count = the item's index).
func findEachUpdate(ordersID, jobsID string, extra map[string]any) map[string]any {
	body := map[string]any{"name": "close all", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobsID}},
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": ordersID, "limit": 1000,
				"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Todo"}}}}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": []any{
				map[string]any{"id": "close", "type": "update_record", "config": map[string]any{"table_id": ordersID,
					"record_id": "{{item.id}}", "fields": map[string]any{"Status": "Done", "Count": "{{index}}"}}},
			}},
		}}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// TestForEachUpdatesEveryFoundRecordOnce: find → for_each → update_record
// over 250 records updates each exactly once (version 2: created, then
// the one update), with its own index; the run shows every inner step
// with its path, parent and item index, and the group's output collects
// the inner outputs by item.
func TestForEachUpdatesEveryFoundRecordOnce(t *testing.T) {
	t.Parallel()
	f, jobs := groupsFixture(t, 250)
	aut := f.automation(t, findEachUpdate(f.tableID, jobs, nil))
	f.env.JSON("POST", "/api/v1/tables/"+jobs+"/records", map[string]any{"fields": map[string]any{"Name": "go"}}, 201)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run["error"])

	pool := f.env.App.Pool
	var n, done, once, distinct int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE cells->>(SELECT id FROM fields WHERE table_id = $1 AND name = 'Status') IS NOT NULL),
		count(*) FILTER (WHERE version = 2), count(DISTINCT cells->>(SELECT id FROM fields WHERE table_id = $1 AND name = 'Count'))
		FROM records WHERE table_id = $1`, f.tableID).Scan(&n, &done, &once, &distinct))
	require.Equal(t, 250, n)
	require.Equal(t, 250, once, "every record written exactly once by the run")
	require.Equal(t, 250, distinct, "each with its own index")

	detail := f.getRun(t, run["id"].(string))
	steps := stepsOf(detail)
	require.Len(t, steps, 2+250)
	require.Equal(t, "each", steps[1]["id"])
	require.Equal(t, "for_each", steps[1]["type"])
	began, _ := time.Parse(time.RFC3339Nano, steps[1]["started_at"].(string))
	ended, _ := time.Parse(time.RFC3339Nano, steps[1]["finished_at"].(string))
	t.Logf("for_each over 250 records: %s (%.0f records/s)", ended.Sub(began), 250/ended.Sub(began).Seconds())
	out := steps[1]["output"].(map[string]any)
	require.Equal(t, 250.0, out["count"])
	first := out["items"].([]any)[0].(map[string]any)["close"].(map[string]any)["record"].(map[string]any)
	require.NotEmpty(t, first["id"], "{{steps.each.output.items[0].close.record.id}}")
	for i, s := range steps[2:] {
		require.Equal(t, fmt.Sprintf("each[%d].close", i), s["path"])
		require.Equal(t, "each", s["parent"])
		require.Equal(t, float64(i), s["item_index"])
		require.Equal(t, "succeeded", s["status"])
	}
}

// TestIfBranchesEachTaken: an if group runs the first branch whose
// condition holds — on a trigger field, on an earlier step's output, or
// the else — and later steps see the branch's outputs.
func TestIfBranchesEachTaken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	hook := func(id, branch string) map[string]any {
		return map[string]any{"id": id, "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"body": map[string]any{"branch": branch, "name": "{{trigger.record.fields.Name}}"}}}
	}
	aut := f.automation(t, map[string]any{"name": "route", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID,
				"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "{{trigger.record.fields.Name}}"}}}}},
			map[string]any{"id": "route", "type": "if", "branches": []any{
				map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}},
					"steps": []any{hook("done_hook", "done")}},
				map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "steps.find.output.count", "op": "gt", "value": 1}}},
					"steps": []any{hook("dup_hook", "dup")}},
				map[string]any{"else": true, "steps": []any{hook("other_hook", "other")}},
			}},
			map[string]any{"id": "after", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
				"body": map[string]any{"branch": "after", "route": "{{steps.route.output.branch}}", "done_status": "{{steps.done_hook.output.status | default: 0}}"}}},
		}})

	f.create(t, map[string]any{"Name": "a", "Status": "Done"})
	got := []map[string]any{rcv.wait(t).Body, rcv.wait(t).Body}
	require.Equal(t, "done", got[0]["branch"])
	require.Equal(t, "after", got[1]["branch"])
	require.Equal(t, 0.0, got[1]["route"])
	require.Equal(t, 200.0, got[1]["done_status"], "the branch's step output is visible after the group")

	f.create(t, map[string]any{"Name": "a", "Status": "Todo"}) // two records named a now
	got = []map[string]any{rcv.wait(t).Body, rcv.wait(t).Body}
	require.Equal(t, "dup", got[0]["branch"])
	require.Equal(t, 1.0, got[1]["route"])

	f.create(t, map[string]any{"Name": "b", "Status": "Todo"})
	got = []map[string]any{rcv.wait(t).Body, rcv.wait(t).Body}
	require.Equal(t, "other", got[0]["branch"])
	require.Equal(t, 2.0, got[1]["route"])

	runs := f.waitRuns(t, aut, 3)
	for _, r := range runs {
		require.Equal(t, "succeeded", r["status"])
	}
	steps := stepsOf(f.getRun(t, runs[0]["id"].(string)))
	require.Len(t, steps, 4)
	require.Equal(t, "route.b2.other_hook", steps[2]["path"])
	require.Equal(t, "route", steps[2]["parent"])
	require.Nil(t, steps[2]["item_index"])
	require.Equal(t, 6, rcv.count(), "one webhook for the branch taken and one after it, per run")
}

// TestMaxStepsCapFailsTheRun: a for_each over more items than max_steps
// allows fails the run with the cap's error once the cap is reached; the
// steps before it ran.
func TestMaxStepsCapFailsTheRun(t *testing.T) {
	t.Parallel()
	f, jobs := groupsFixture(t, 30)
	aut := f.automation(t, findEachUpdate(f.tableID, jobs, map[string]any{"max_steps": 20}))
	f.env.JSON("POST", "/api/v1/tables/"+jobs+"/records", map[string]any{"fields": map[string]any{"Name": "go"}}, 201)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, run["error"], "max_steps: 20 step executions")
	pool := f.env.App.Pool
	var updated int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM records WHERE table_id = $1 AND version = 2`, f.tableID).Scan(&updated))
	require.Equal(t, 19, updated, "find + 19 updates = 20 executions, then the cap")

	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	require.Equal(t, 20.0, got["max_steps"])
	status, p, _ := f.send(t, "PATCH", "/api/v1/automations/"+aut, map[string]any{"max_steps": 100001})
	require.Equal(t, 422, status)
	require.Equal(t, "max_steps", p.Errors[0].Location)
}

// TestGroupValidationLocations: a save walks groups and reports each
// problem at its place inside them.
func TestGroupValidationLocations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "a", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/{{item.id}}"}},
			map[string]any{"id": "b", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/"}},
			map[string]any{"id": "route", "type": "if", "branches": []any{
				map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "steps.b.output.status", "op": "gt", "value": 1}}},
					"steps": []any{map[string]any{"id": "x", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/"}}}},
				map[string]any{"if": map[string]any{"match": "all"}, "steps": []any{
					map[string]any{"id": "y", "type": "send_webhook", "config": map[string]any{"url": "ftp://nope"}},
					map[string]any{"id": "b", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/"}},
				}},
				map[string]any{"else": true, "steps": []any{
					map[string]any{"id": "each", "type": "for_each", "items": "{{steps.nowhere.output.records}}", "concurrency": 50, "steps": []any{
						map[string]any{"id": "z", "type": "nope", "config": map[string]any{}},
					}},
				}},
			}},
			map[string]any{"id": "late", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/{{steps.z.output.id}}"}},
		}})
	require.Equal(t, 422, status, "%s", raw)
	var locs []string
	for _, e := range p.Errors {
		locs = append(locs, e.Location)
	}
	require.Subset(t, locs, []string{
		"steps[0].config.url",                         // {{item}} outside a for_each
		"steps[2].branches[1].steps[0].config.url",    // not http(s)
		"steps[2].branches[1].steps[1].id",            // duplicate id across groups
		"steps[2].branches[2].steps[0].items",         // unknown step
		"steps[2].branches[2].steps[0].concurrency",   // too many
		"steps[2].branches[2].steps[0].steps[0].type", // unknown type
		"steps[3].config",                             // a for_each's inner step is not visible after it
	}, "%s", raw)
}

// TestGroupStepsRetryAndKeepTheirKeys: a step inside a for_each that fails
// with a retryable answer is retried (the group's job waits, then resumes
// at that item), with the same webhook-id on every attempt and one per
// item; a first-step if group runs inline like any first step.
func TestGroupStepsRetryAndKeepTheirKeys(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 200, 500, 503, 200) // item 1 fails twice
	aut := f.automation(t, map[string]any{"name": "retry inside", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "route", "type": "if", "branches": []any{
				map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "go"}}},
					"steps": []any{map[string]any{"id": "each", "type": "for_each", "items": []any{"a", "b", "c"}, "steps": []any{
						map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
							"body": map[string]any{"item": "{{item}}", "index": "{{index}}"}},
							"retry": map[string]any{"max_attempts": 5, "backoff": map[string]any{"type": "fixed", "delay_ms": 50}}},
					}}}},
			}},
		}})
	f.create(t, map[string]any{"Name": "go"})
	var items, ids []string
	for i := 0; i < 5; i++ {
		d := rcv.wait(t)
		items = append(items, d.Body["item"].(string))
		ids = append(ids, d.Header.Get("webhook-id"))
	}
	require.Equal(t, []string{"a", "b", "b", "b", "c"}, items)
	require.Equal(t, ids[1], ids[2])
	require.Equal(t, ids[1], ids[3], "one webhook-id for every attempt of the item's step")
	require.NotEqual(t, ids[0], ids[1])
	require.NotEqual(t, ids[1], ids[4])
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run["error"])
	steps := stepsOf(f.getRun(t, run["id"].(string)))
	var paths []string
	for _, s := range steps {
		paths = append(paths, fmt.Sprint(s["path"]))
		if s["path"] == "route.b0.each[1].post" {
			require.Equal(t, 3.0, s["attempts"])
		}
	}
	require.Equal(t, []string{"<nil>", "route.b0.each", "route.b0.each[0].post", "route.b0.each[1].post", "route.b0.each[2].post"}, paths)
	require.Equal(t, 5, rcv.count())
}

// TestForEachConcurrentNestedIf: a for_each with concurrency 4 over 120
// records runs an if per item on the item's own fields; every record is
// written exactly once, by the branch its status chose.
func TestForEachConcurrentNestedIf(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for b := 0; b < 120; b += 60 {
		batch := make([]map[string]any, 60)
		for i := range batch {
			st := "Todo"
			if (b+i)%3 == 0 {
				st = "Doing"
			}
			batch[i] = map[string]any{"Name": fmt.Sprint(b + i), "Status": st}
		}
		f.createBatch(t, batch...)
	}
	jobs := f.table(t, "Jobs", map[string]any{"name": "Name", "type": "text"})
	update := func(id string, count int) map[string]any {
		return map[string]any{"id": id, "type": "update_record", "config": map[string]any{"table_id": f.tableID,
			"record_id": "{{item.id}}", "fields": map[string]any{"Count": count, "Amount": "{{index}}"}}}
	}
	aut := f.automation(t, map[string]any{"name": "sort", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobs["id"]}},
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID, "limit": 500}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "concurrency": 4, "steps": []any{
				map[string]any{"id": "kind", "type": "if", "branches": []any{
					map[string]any{"if": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "item.fields.Status", "op": "is", "value": "Doing"}}},
						"steps": []any{update("doing", 1)}},
					map[string]any{"else": true, "steps": []any{update("other", 2)}},
				}},
			}},
		}})
	f.env.JSON("POST", "/api/v1/tables/"+jobs["id"].(string)+"/records", map[string]any{"fields": map[string]any{"Name": "go"}}, 201)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run["error"])
	var once int
	require.NoError(t, f.env.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM records WHERE table_id = $1 AND version = 2`, f.tableID).Scan(&once))
	require.Equal(t, 120, once, "every record written exactly once")
	doing, other := 0, 0
	for after := ""; ; {
		page := f.env.JSON("GET", "/api/v1/tables/"+f.tableID+"/records?limit=100"+after, nil, 200)
		for _, r := range items(page) {
			fields := r["fields"].(map[string]any)
			switch fields["Count"] {
			case 1.0:
				require.Equal(t, "Doing", fields["Status"])
				doing++
			case 2.0:
				require.Equal(t, "Todo", fields["Status"])
				other++
			}
		}
		c, _ := page["next_cursor"].(string)
		if c == "" {
			break
		}
		after = "&cursor=" + c
	}
	require.Equal(t, 40, doing, "the Doing records took the first branch")
	require.Equal(t, 80, other)
	out := stepsOf(f.getRun(t, run["id"].(string)))[1]["output"].(map[string]any)
	require.Len(t, out["items"], 120)
}

// TestRetryRunResumesInsideTheGroup: a run whose for_each failed at an
// item (on_error stop) is retried from the group: the items done before
// are not repeated, the failed one and the rest run.
func TestRetryRunResumesInsideTheGroup(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 200, 200, 400) // item 2 fails for good (a 4xx)
	aut := f.automation(t, map[string]any{"name": "stop at 2", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "each", "type": "for_each", "items": []any{0, 1, 2, 3}, "steps": []any{
				map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"i": "{{index}}"}},
					"retry": map[string]any{"max_attempts": 1}},
			}},
			map[string]any{"id": "after", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"i": "after"}}},
		}})
	f.create(t, map[string]any{"Name": "x"})
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	require.Contains(t, run["error"], "each[2].post")
	require.Equal(t, 3, rcv.count())

	f.env.JSON("POST", "/api/v1/runs/"+run["id"].(string)+"/retry", nil, 202)
	require.Eventually(t, func() bool { return f.getRun(t, run["id"].(string))["status"] == "succeeded" }, 30*time.Second, 20*time.Millisecond)
	var got []any
	for i := 0; i < 6; i++ {
		got = append(got, rcv.wait(t).Body["i"])
	}
	require.Equal(t, []any{0.0, 1.0, 2.0, 2.0, 3.0, "after"}, got, "items 0 and 1 are not repeated")
}

// TestCancelStopsAGroup: cancelling a run stops its for_each before the
// next item.
func TestCancelStopsAGroup(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	release := rcv.hold(t, 1)
	aut := f.automation(t, map[string]any{"name": "long", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "each", "type": "for_each", "items": []any{0, 1, 2, 3, 4}, "steps": []any{
				map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"i": "{{index}}"}}},
			}},
		}})
	f.create(t, map[string]any{"Name": "x"})
	rcv.wait(t)
	rcv.wait(t) // item 1, held
	runID := f.runs(t, aut)[0]["id"].(string)
	f.env.JSON("POST", "/api/v1/runs/"+runID+"/cancel", nil, 200)
	release()
	require.Eventually(t, func() bool {
		var n int
		_ = f.env.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = 'run_step' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
		return n == 0
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, 2, rcv.count(), "no item after the cancel")
	require.Equal(t, "cancelled", f.getRun(t, runID)["status"])
}

// TestForEachEffectsPerItem: inside a for_each, effects keyed by run and
// step are keyed by item too — three items notifying the same user store
// three notifications, three emails to one address carry three
// Message-IDs — while the top-level step keeps its plain key.
func TestForEachEffectsPerItem(t *testing.T) {
	t.Parallel()
	f, jobs := groupsFixture(t, 3)
	_, _ = userWithToken(t, f.env, "ada@example.com", "editor")
	srv := newMailServer(t, smtpserver.Opts{})
	conn := f.connection(t, "smtp", smtpConn(srv, nil))
	aut := f.automation(t, map[string]any{"name": "tell each", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobs}},
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": []any{
				map[string]any{"id": "tell", "type": "notify_user", "config": map[string]any{"user": "ada@example.com", "title": "Order {{item.fields.Name}}"}},
				map[string]any{"id": "mail", "type": "send_email", "config": map[string]any{"connection_id": conn, "to": "ada@example.com",
					"subject": "Order {{item.fields.Name}}", "text": "item {{index}}"}},
			}},
		}})
	f.env.JSON("POST", "/api/v1/tables/"+jobs+"/records", map[string]any{"fields": map[string]any{"Name": "go"}}, 201)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run["error"])

	var notes, titles int
	require.NoError(t, f.env.App.Pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT title) FROM notifications WHERE run_id = $1`, run["id"]).Scan(&notes, &titles))
	require.Equal(t, 3, notes, "one notification per item")
	require.Equal(t, 3, titles)
	ids := map[string]bool{}
	for range 3 {
		ids[nextMail(t, srv).Header.Get("Message-ID")] = true
	}
	require.Len(t, ids, 3, "one Message-ID per item: %v", ids)
}

// TestDelayInsideForEach: a delay inside a for_each waits (the group's job
// snoozes until the resume time) before the item's next step.
func TestDelayInsideForEach(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "paced", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "each", "type": "for_each", "items": []any{0, 1}, "steps": []any{
				map[string]any{"id": "wait", "type": "delay", "config": map[string]any{"for": "1s"}},
				map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"i": "{{index}}"}}},
			}},
		}})
	start := time.Now()
	f.create(t, map[string]any{"Name": "x"})
	rcv.wait(t)
	first := time.Since(start)
	rcv.wait(t)
	second := time.Since(start)
	require.GreaterOrEqual(t, first, time.Second)
	require.GreaterOrEqual(t, second, 2*time.Second, "each item waits its own delay")
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 1)[0]["status"])
}

// TestSecretsInsideGroups: a secret of a step inside a group is answered
// as ******** (automation, version, run detail), used for real (the
// signature), and kept when the redacted automation is sent back.
func TestSecretsInsideGroups(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	const secret = "S3CR3T-inside_group"
	post := map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "secret": secret,
		"headers": map[string]any{"Authorization": "Bearer T0K3N-inside_group"}, "body": map[string]any{"i": "{{index}}"}}}
	created := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "signed", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "route", "type": "if", "branches": []any{map[string]any{"else": true, "steps": []any{
			map[string]any{"id": "each", "type": "for_each", "items": []any{"x"}, "steps": []any{post}}}}}}}}, 201)
	aut := created["id"].(string)
	inner := func(a map[string]any) map[string]any {
		route := a["steps"].([]any)[0].(map[string]any)
		each := route["branches"].([]any)[0].(map[string]any)["steps"].([]any)[0].(map[string]any)
		return each["steps"].([]any)[0].(map[string]any)["config"].(map[string]any)
	}
	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	version := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions/1", nil, 200)
	for _, a := range []map[string]any{created, got, version} {
		require.Equal(t, "********", inner(a)["secret"])
		require.NotContains(t, string(mustJSON(t, a)), secret)
		require.NotContains(t, string(mustJSON(t, a)), "T0K3N-inside_group")
	}
	f.create(t, map[string]any{"Name": "a"})
	d := rcv.wait(t)
	require.Equal(t, signature(secret, d), d.Header.Get("webhook-signature"))
	run := f.waitRuns(t, aut, 1)[0]
	detail := f.getRun(t, run["id"].(string))
	require.NotContains(t, string(mustJSON(t, detail)), secret)
	require.NotContains(t, string(mustJSON(t, detail)), "T0K3N-inside_group")

	// Sent back as answered (a new name), the hidden secret is kept.
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"name": "signed 2", "steps": got["steps"]}, 200)
	f.create(t, map[string]any{"Name": "b"})
	d = rcv.wait(t)
	require.Equal(t, signature(secret, d), d.Header.Get("webhook-signature"))
}

// TestBatchFallsBackItemByItem: a batch of record steps with one bad item
// (a value its field refuses) rolls back and runs item by item: the bad
// item fails with its own error (on_error continue) and every other record
// is updated exactly once; a record named twice in one batch is updated
// twice, in order.
func TestBatchFallsBackItemByItem(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var batch []map[string]any
	for i := 0; i < 80; i++ {
		name := fmt.Sprint(i)
		if i == 37 {
			name = "not a number"
		}
		batch = append(batch, map[string]any{"Name": name})
	}
	f.createBatch(t, batch...)
	jobs := f.table(t, "Jobs", map[string]any{"name": "Name", "type": "text"})
	aut := f.automation(t, map[string]any{"name": "count own", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobs["id"]}},
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID, "limit": 500}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": []any{
				map[string]any{"id": "count", "type": "update_record", "on_error": "continue", "config": map[string]any{"table_id": f.tableID,
					"record_id": "{{item.id}}", "fields": map[string]any{"Count": "{{item.fields.Name}}"}}},
			}},
		}})
	f.env.JSON("POST", "/api/v1/tables/"+jobs["id"].(string)+"/records", map[string]any{"fields": map[string]any{"Name": "go"}}, 201)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "%v", run["error"])
	var once, untouched int
	require.NoError(t, f.env.App.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE version = 2), count(*) FILTER (WHERE version = 1)
		FROM records WHERE table_id = $1`, f.tableID).Scan(&once, &untouched))
	require.Equal(t, 79, once, "every good record updated exactly once")
	require.Equal(t, 1, untouched, "the bad one not at all")
	var failed []string
	for _, s := range stepsOf(f.getRun(t, run["id"].(string))) {
		if s["status"] == "failed" {
			failed = append(failed, fmt.Sprint(s["path"], ": ", s["error"]))
		}
	}
	require.Len(t, failed, 1)
	require.Contains(t, failed[0], "Count")

	// The same record thrice in one batch: three updates, in order.
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	id := f.create(t, map[string]any{"Name": "twice"})
	twice := f.automation(t, map[string]any{"name": "twice", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobs["id"]}},
		"steps": []any{map[string]any{"id": "each2", "type": "for_each", "items": []any{id, id, id}, "steps": []any{
			map[string]any{"id": "set", "type": "update_record", "config": map[string]any{"table_id": f.tableID,
				"record_id": "{{item}}", "fields": map[string]any{"Count": "{{index}}"}}},
		}}}})
	f.env.JSON("POST", "/api/v1/tables/"+jobs["id"].(string)+"/records", map[string]any{"fields": map[string]any{"Name": "again"}}, 201)
	require.Equal(t, "succeeded", f.waitRuns(t, twice, 1)[0]["status"])
	var version int
	var count float64
	require.NoError(t, f.env.App.Pool.QueryRow(t.Context(), `SELECT version, (cells->>(SELECT id FROM fields WHERE table_id = $1 AND name = 'Count'))::float8
		FROM records WHERE id = $2`, f.tableID, id).Scan(&version, &count))
	require.Equal(t, 4, version, "created, then three updates")
	require.Equal(t, 2.0, count, "the last item's")
}

// TestGroupShapeValidation: the shape of groups is checked at save, each
// problem at its place.
func TestGroupShapeValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hook := map[string]any{"id": "h", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/"}}
	for _, c := range []struct {
		name string
		step map[string]any
		loc  string
		msg  string
	}{
		{"else not last", map[string]any{"id": "g", "type": "if", "branches": []any{
			map[string]any{"else": true, "steps": []any{}}, map[string]any{"if": map[string]any{"match": "all", "rules": []any{}}, "steps": []any{}}}},
			"steps[0].branches[0].else", "must be the last"},
		{"branch without if", map[string]any{"id": "g", "type": "if", "branches": []any{map[string]any{"steps": []any{hook}}}},
			"steps[0].branches[0].if", "is required"},
		{"no branches", map[string]any{"id": "g", "type": "if"}, "steps[0].branches", "at least one branch"},
		{"formula branch", map[string]any{"id": "g", "type": "if", "branches": []any{map[string]any{"if": map[string]any{"formula": "1"}, "steps": []any{hook}}}},
			"steps[0].branches[0].if", "formulas"},
		{"items missing", map[string]any{"id": "g", "type": "for_each", "steps": []any{hook}}, "steps[0].items", "is required"},
		{"items a number", map[string]any{"id": "g", "type": "for_each", "items": 3, "steps": []any{hook}}, "steps[0].items", "must be a list"},
		{"no inner steps", map[string]any{"id": "g", "type": "for_each", "items": []any{1}}, "steps[0].steps", "at least one step"},
		{"config on a group", map[string]any{"id": "g", "type": "for_each", "items": []any{1}, "config": map[string]any{"x": 1}, "steps": []any{hook}},
			"steps[0].config", "no config"},
		{"retry on a group", map[string]any{"id": "g", "type": "for_each", "items": []any{1}, "retry": map[string]any{"max_attempts": 2}, "steps": []any{hook}},
			"steps[0].retry", "no retry policy"},
		{"index outside", map[string]any{"id": "g", "type": "send_webhook", "config": map[string]any{"url": "https://example.com/{{index}}"}},
			"steps[0].config.url", "only available inside a for_each"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil),
				"steps": []any{c.step}})
			require.Equal(t, 422, status, "%s", raw)
			found := false
			for _, e := range p.Errors {
				if e.Location == c.loc {
					require.Contains(t, e.Message, c.msg)
					found = true
				}
			}
			require.True(t, found, "%s", raw)
		})
	}
}

// TestResumedItemSeesItsBranchOutputs: an item's step retried after an if
// group in the same item finished still sees the outputs of the branch's
// steps (the resumed walk reads them from their rows).
func TestResumedItemSeesItsBranchOutputs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 201, 500, 200)
	aut := f.automation(t, map[string]any{"name": "resume", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "each", "type": "for_each", "items": []any{"x"}, "steps": []any{
			map[string]any{"id": "route", "type": "if", "branches": []any{map[string]any{"else": true, "steps": []any{
				map[string]any{"id": "a", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"step": "a"}}}}}}},
			map[string]any{"id": "b", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"step": "b", "a_status": "{{steps.a.output.status}}"}},
				"retry": map[string]any{"max_attempts": 3, "backoff": map[string]any{"type": "fixed", "delay_ms": 50}}},
		}}}})
	f.create(t, map[string]any{"Name": "x"})
	require.Equal(t, "a", rcv.wait(t).Body["step"])
	first, retried := rcv.wait(t), rcv.wait(t)
	require.Equal(t, 201.0, first.Body["a_status"])
	require.Equal(t, 201.0, retried.Body["a_status"], "the retry after a resumed walk sees a's output")
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 1)[0]["status"])
}

// TestNotifyUserOncePerItem: a notify_user inside a for_each notifies once
// per item (its step identity carries the item index), and a retry of the
// run does not notify again.
func TestNotifyUserOncePerItem(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ada := f.env.JSON("POST", "/api/v1/users", map[string]any{"email": "ada@example.com", "name": "Ada"}, 201)["id"].(string)
	aut := f.automation(t, map[string]any{"name": "tell each", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "each", "type": "for_each", "items": []any{"a", "b", "c"}, "steps": []any{
			map[string]any{"id": "tell", "type": "notify_user", "config": map[string]any{"user": ada, "title": "item {{item}}"}},
		}}}})
	f.create(t, map[string]any{"Name": "x"})
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 1)[0]["status"])
	var titles []string
	rows, err := f.env.App.Pool.Query(t.Context(), `SELECT title FROM notifications WHERE user_id = $1 ORDER BY title`, ada)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		titles = append(titles, s)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"item a", "item b", "item c"}, titles)
}
