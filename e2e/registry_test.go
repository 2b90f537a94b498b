package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/automation/kind"
)

// exampleJSON is a registry Example with the placeholders of ids that need
// a real resource ("viw_…", "frm_…") replaced.
func exampleJSON(t *testing.T, example any, ids map[string]string) map[string]any {
	t.Helper()
	raw, err := json.Marshal(example)
	require.NoError(t, err)
	s := string(raw)
	for placeholder, id := range ids {
		s = strings.ReplaceAll(s, placeholder, id)
	}
	require.NotContains(t, s, "…", "an id placeholder was left: %s", s)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &out))
	return out
}

// TestRegistryExamplesValidate walks every trigger and action type: its
// Example config saves through the API (so the example in the docs is
// true), and the type is a oneOf member of the request schema in
// /openapi.json (so adding a type to the registry documents it).
func TestRegistryExamplesValidate(t *testing.T) {
	t.Parallel()
	// send_email's example uses the server's default SMTP server.
	f := setup(t, func(c *app.Config) { c.SMTPURL = "smtp://127.0.0.1:1025?tls=none" })
	f.addInvoices(t)                                                                     // link_records' example links Orders.Invoices
	f.env.JSON("POST", "/api/v1/users", map[string]any{"email": "ada@example.com"}, 201) // notify_user's example notifies Ada
	ids := map[string]string{
		"viw_…":       f.view(t, "Done", map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}),
		"frm_…":       f.form(t, "Intake", "Name"),
		"con_slack_…": f.connection(t, "slack", map[string]any{"webhook_url": "https://hooks.slack.com/services/T0/B0/x"}),
		"con_teams_…": f.connection(t, "teams", map[string]any{"webhook_url": "https://example.com/workflows/x"}),
		"whk_…":       f.env.JSON("POST", "/api/v1/webhooks", map[string]any{"base_id": f.baseID, "name": "in", "auth": map[string]any{"mode": "none"}}, 201)["id"].(string),
		"fld_…":       f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/fields", map[string]any{"name": "Ship", "type": "button"}, 201)["id"].(string),
	}
	_, raw := f.env.Do("GET", "/openapi.json", "", nil)
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var body struct {
		Properties struct {
			Trigger struct{ OneOf []member } `json:"trigger"`
			Steps   struct {
				Items struct {
					Ref string `json:"$ref"`
				} `json:"items"`
			} `json:"steps"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(doc.Components.Schemas["AutomationBody"], &body))
	triggerMembers := memberNames(t, body.Properties.Trigger.OneOf, doc.Components.Schemas)
	// Steps are the component Step (groups hold steps again): a oneOf
	// over the registry's actions and the two groups, which have no config.
	var step struct{ OneOf []member }
	require.Equal(t, "#/components/schemas/Step", body.Properties.Steps.Items.Ref)
	require.NoError(t, json.Unmarshal(doc.Components.Schemas["Step"], &step))
	var groups []string
	for _, m := range step.OneOf {
		if m.Properties.Config.Ref == "" {
			groups = append(groups, m.Title)
		}
	}
	require.ElementsMatch(t, []string{"if", "for_each"}, groups)
	stepMembers := memberNames(t, step.OneOf[:len(step.OneOf)-len(groups)], doc.Components.Schemas)

	kinds := f.env.App.Automations.Kinds()
	require.NotEmpty(t, kinds.Triggers())
	var triggerNames []string
	for _, tt := range kinds.Triggers() {
		triggerNames = append(triggerNames, tt.Name())
		t.Run("trigger "+tt.Name(), func(t *testing.T) {
			require.NotEmpty(t, tt.Summary())
			cfg := exampleJSON(t, tt.Example(f.tableID), ids)
			a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
				"name": "example " + tt.Name(), "trigger": map[string]any{"type": tt.Name(), "config": cfg}, "steps": []any{},
			}, 201)
			require.Equal(t, tt.Name(), a["trigger"].(map[string]any)["type"])
		})
	}
	require.ElementsMatch(t, triggerNames, triggerMembers, "the trigger schema is a oneOf over exactly the registry")

	var actionNames []string
	for _, at := range kinds.Actions() {
		actionNames = append(actionNames, at.Name())
		t.Run("action "+at.Name(), func(t *testing.T) {
			require.NotEmpty(t, at.Summary())
			cfg := exampleJSON(t, at.Example(f.tableID), ids)
			steps := []any{
				// Examples may refer to an earlier step called create_invoice.
				map[string]any{"id": "create_invoice", "type": "create_record", "config": map[string]any{"table_id": f.tableID, "fields": map[string]any{}}},
				map[string]any{"id": "example", "type": at.Name(), "config": cfg},
			}
			a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
				"name": "example " + at.Name(), "enabled": false, "trigger": f.trigger("record_created", nil), "steps": steps,
			}, 201)
			require.Equal(t, at.Name(), a["steps"].([]any)[1].(map[string]any)["type"])
		})
	}
	require.ElementsMatch(t, actionNames, stepMembers, "the step schema is a oneOf over exactly the registry")
}

// member is one oneOf member of the trigger or step schema.
type member struct {
	Title      string `json:"title"`
	Properties struct {
		Type struct {
			Enum []string `json:"enum"`
		} `json:"type"`
		Config struct {
			Ref string `json:"$ref"`
		} `json:"config"`
	} `json:"properties"`
}

// memberNames returns the type names of oneOf members, requiring each to
// be a proper member: its title is its type and its config schema exists.
func memberNames(t *testing.T, members []member, schemas map[string]json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, m := range members {
		require.Len(t, m.Properties.Type.Enum, 1)
		name := m.Properties.Type.Enum[0]
		require.Equal(t, name, m.Title)
		ref := strings.TrimPrefix(m.Properties.Config.Ref, "#/components/schemas/")
		require.Contains(t, schemas, ref, "config schema of %s", name)
		out = append(out, name)
	}
	return out
}

// TestActionsHaveOneEffectPerIdempotencyKey: a step may be executed more
// than once (a retry after an error, or River rescuing the job of a worker
// that died), always with the same idempotency key (run id + step id).
// Every action must turn those executions into one effect:
//
//   - Actions that write records are Transactional: the engine runs them
//     inside the transaction that stores the step's final state (the
//     step's completion record) and enqueues the next step. Either all of
//     that commits — and a job that runs again finds the step final and
//     does nothing — or none of it does, and the retry starts from a world
//     where the write never happened. So a crash between "wrote the
//     record" and "completed the step" cannot exist, and a retry cannot
//     double a created record.
//   - Actions that call out (send_webhook) cannot be made atomic with the
//     database, and must not hold a transaction open during a network
//     call; they pass the key to the receiver instead (webhook-id, the
//     Standard Webhooks idempotency key), which is the same on every try.
//
// A new action type must be classified here, or this test fails.
func TestActionsHaveOneEffectPerIdempotencyKey(t *testing.T) {
	t.Parallel()
	writesRecords := map[string]bool{
		"create_record": true,
		"update_record": true,
		"delete_record": true,
		"link_records":  true,
		"send_webhook":  false,
		"find_records":  false,
		"notify_user":   true, // its notification row commits with the step
		// The same Message-ID on every attempt (TestSendEmailRetriesTemporaryFailures).
		"send_email": false,
		// Slack and Teams take no idempotency key: only failures that
		// cannot have posted (429, refused connections, 5xx answers) are
		// retried; a lost answer to a post that succeeded can repeat it.
		"send_slack_message": false,
		"send_teams_message": false,
		// run_script only reads (as a viewer of its base): it has no
		// effect but its output, stored with the step's completion.
		"run_script": false,
		// delay has no effect but its output: the next step's job, due at
		// the resume time, commits with the step's completion.
		"delay": false,
	}
	kinds := app.Kinds(app.KindDeps{})
	for _, at := range kinds.Actions() {
		writes, ok := writesRecords[at.Name()]
		require.True(t, ok, "action %s is not classified: does it write records (then it must be Transactional) or call out (then it must pass an idempotency key)?", at.Name())
		_, transactional := at.(kind.Transactional)
		require.Equal(t, writes, transactional, "action %s: Transactional must be %v", at.Name(), writes)
	}

	// Each record action's example, executed by a real run, has its effect
	// exactly once.
	effects := map[string]func(t *testing.T, f *fixture, invoices, submitted string){
		"create_record": func(t *testing.T, f *fixture, _, submitted string) {
			recs := f.records(t, f.tableID)
			require.Len(t, recs, 2, "the submitted record and one created by the step")
			for _, r := range recs {
				require.Equal(t, "Ada", r["fields"].(map[string]any)["Name"])
			}
		},
		"update_record": func(t *testing.T, f *fixture, _, submitted string) {
			require.Len(t, f.records(t, f.tableID), 1)
			require.Equal(t, "Done", f.record(t, f.tableID, submitted)["fields"].(map[string]any)["Status"])
		},
		"delete_record": func(t *testing.T, f *fixture, _, submitted string) {
			require.Empty(t, f.records(t, f.tableID))
		},
		"link_records": func(t *testing.T, f *fixture, invoices, submitted string) {
			inv := f.records(t, invoices)
			require.Len(t, inv, 1)
			require.Equal(t, []any{inv[0]["id"]}, f.record(t, f.tableID, submitted)["fields"].(map[string]any)["Invoices"])
			require.Equal(t, []any{submitted}, inv[0]["fields"].(map[string]any)["Orders"])
		},
		"notify_user": func(t *testing.T, f *fixture, _, submitted string) {
			var n int
			require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
				`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'ada@example.com' AND n.record_id = $1`, submitted).Scan(&n))
			require.Equal(t, 1, n)
		},
	}
	for _, at := range kinds.Actions() {
		if _, ok := at.(kind.Transactional); !ok {
			continue
		}
		t.Run(at.Name(), func(t *testing.T) {
			t.Parallel()
			effect, ok := effects[at.Name()]
			require.True(t, ok, "no effect check for %s", at.Name())
			f := setup(t)
			invoices := f.addInvoices(t)
			f.env.JSON("POST", "/api/v1/users", map[string]any{"email": "ada@example.com"}, 201) // notify_user's example
			form := f.form(t, "Intake", "Name")
			// A form trigger: the step's own writes (cause: automation) do
			// not fire it again.
			a := f.automation(t, map[string]any{
				"name":    "example " + at.Name(),
				"trigger": map[string]any{"type": "form_submitted", "config": map[string]any{"form_id": form}},
				"steps": []any{
					map[string]any{"id": "create_invoice", "type": "create_record", "config": map[string]any{"table_id": invoices, "fields": map[string]any{"Title": "inv"}}},
					map[string]any{"id": "example", "type": at.Name(), "config": exampleJSON(t, at.Example(f.tableID), nil)},
				},
			})
			submitted := f.submit(t, form, map[string]any{"Name": "Ada"})
			run := f.waitExactly(t, a, 1)[0]
			require.Equal(t, "succeeded", run["status"], "run: %v", run)
			for _, s := range stepsOf(run) {
				require.EqualValues(t, 1, s["attempts"])
			}
			effect(t, f, invoices, submitted)
		})
	}

	t.Run("send_webhook", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		rcv := newReceiver(t, http.StatusBadGateway, http.StatusServiceUnavailable)
		at, ok := kinds.Action("send_webhook")
		require.True(t, ok)
		cfg := exampleJSON(t, at.Example(f.tableID), nil)
		cfg["url"] = rcv.URL
		aut := f.automation(t, map[string]any{"name": "example", "trigger": f.trigger("record_created", nil), "steps": []any{
			map[string]any{"id": "notify", "type": "send_webhook", "config": cfg, "retry": fastRetry},
		}})
		id := f.create(t, map[string]any{"Name": "a"})
		got := []delivery{rcv.wait(t), rcv.wait(t), rcv.wait(t)}
		for _, d := range got {
			require.Equal(t, got[0].Header.Get("webhook-id"), d.Header.Get("webhook-id"), "one key for every try")
			require.Equal(t, got[0].Raw, d.Raw, "the same message every try")
			require.Equal(t, id, d.Body["id"])
		}
		run := f.waitExactly(t, aut, 1)[0]
		require.Equal(t, "succeeded", run["status"])
		require.Contains(t, got[0].Header.Get("webhook-id"), run["id"].(string), "the key is derived from the run")
		require.EqualValues(t, 3, stepsOf(run)[0]["attempts"])

		// Another run has another key.
		f.create(t, map[string]any{"Name": "b"})
		require.NotEqual(t, got[0].Header.Get("webhook-id"), rcv.wait(t).Header.Get("webhook-id"))
		f.waitExactly(t, aut, 2)
	})
}
