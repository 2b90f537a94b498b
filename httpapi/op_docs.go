package httpapi

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// Example ids of the OpenAPI document: path parameters carry the same ones
// (their example tags), so the request examples fit together, and the
// example test (TestOperationExamples) maps each to a live resource.
const (
	exBase       = "bas_01jd0000000000000000000000"
	exTable      = "tbl_01jd0000000000000000000000"
	exField      = "fld_01jd0000000000000000000000"
	exRecord     = "rec_01jd0000000000000000000000"
	exRecord2    = "rec_01jd0000000000000000000001"
	exView       = "viw_01jd0000000000000000000000"
	exForm       = "frm_01jd0000000000000000000000"
	exToken      = "tok_01jd0000000000000000000000"
	exAutomation = "aut_01jd0000000000000000000000"
	exRun        = "run_01jd0000000000000000000000"
)

// opDoc is what the OpenAPI document says of one operation beyond its
// registration: a description (used when the operation has none) and a
// request example that a fresh server accepts (for the example ids).
type opDoc struct {
	description string
	request     any
}

// opDocs documents the operations by operation id.
var opDocs = map[string]opDoc{
	"list-users":  {description: "Lists the users (admin token, or an owner token that reaches every base)."},
	"get-user":    {description: "Returns one user."},
	"update-user": {description: "Changes a user's email or name (admin, or an owner token that reaches every base)."},
	"delete-user": {description: "Deletes a user, revoking its tokens and deleting its notifications."},

	"list-webhooks":          {description: "Lists the incoming webhooks of a base (`base_id`), without their secrets."},
	"get-webhook":            {description: "Returns one incoming webhook, without its secret."},
	"update-webhook":         {description: "Changes a webhook's name, auth mode or payload mapping; the secret stays."},
	"delete-webhook":         {description: "Deletes an incoming webhook with its stored requests."},
	"rotate-webhook-secret":  {description: "Makes a new secret (answered once); the old one stays valid for the grace period (default 24 h)."},
	"list-webhook-requests":  {description: "Lists the requests a webhook stored, newest first, with cursor paging."},
	"replay-webhook-request": {description: "Starts the runs of a stored request again as a new occurrence (its automations as they are now)."},

	"list-connections":  {description: "Lists a base's connections; secrets are never answered (`has_<name>: true` instead)."},
	"get-connection":    {description: "Returns one connection; secrets are never answered."},
	"delete-connection": {description: "Deletes a connection; steps that use it fail until given another."},

	"read-notification":      {description: "Marks one of the token's user's notifications read."},
	"read-all-notifications": {description: "Marks every notification of the token's user read."},

	"healthz": {description: "Liveness: 200 while the process runs. No token needed."},
	"readyz":  {description: "Readiness: 200 when the database is reachable and migrations are current, 503 otherwise. No token needed."},

	"list-bases":  {description: "Lists the bases the token may see (a token limited to some bases sees only those)."},
	"create-base": {description: "Creates an empty base. Needs an owner token not limited to some bases.", request: map[string]any{"name": "Shop"}},
	"get-base":    {description: "Returns one base. A base the token may not see answers 404."},
	"delete-base": {description: "Deletes a base with its tables, records, views, forms, automations and runs. Owner only."},

	"list-tables": {description: "Lists a base's tables with their fields."},
	"create-table": {request: map[string]any{"name": "Orders", "fields": []any{
		map[string]any{"name": "Name", "type": "text"},
		map[string]any{"name": "Status", "type": "single_select", "options": map[string]any{"choices": []any{map[string]any{"name": "Todo"}, map[string]any{"name": "Done"}}}},
		map[string]any{"name": "Amount", "type": "number", "options": map[string]any{"precision": 2}},
	}}},
	"get-table":    {description: "Returns a table with its fields (ids, names, types, options)."},
	"create-field": {request: map[string]any{"name": "Notes", "type": "long_text"}},

	"list-records":   {},
	"create-records": {request: map[string]any{"fields": map[string]any{"Name": "Order 1", "Status": "Done", "Amount": 120}}},
	"update-records": {description: "Changes the named fields of up to 100 records, all or none; answers `{items}`.",
		request: map[string]any{"records": []any{map[string]any{"id": exRecord, "fields": map[string]any{"Status": "Todo"}}}}},
	"delete-records": {description: "Deletes the records named in `ids` (comma-separated, up to 100), all or none."},
	"get-record":     {description: "Returns one record, cells keyed by field name (or by id with `return_fields_by_id=true`)."},
	"update-record":  {request: map[string]any{"fields": map[string]any{"Status": "Done", "Amount": 99.5}}},
	"delete-record":  {description: "Deletes one record; automations watching deletions fire."},

	"list-views":  {description: "Lists a table's views."},
	"create-view": {description: "A view is a named filter (a condition group) and sort; `GET …/records?view_id=` applies it, and record_enters_view triggers watch it.", request: map[string]any{"name": "Done orders", "filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}, "sort": []any{map[string]any{"field": "Amount", "direction": "desc"}}}},
	"get-view":    {description: "Returns one view."},
	"delete-view": {description: "Deletes a view; automations watching it must be changed first."},

	"list-forms":  {description: "Lists a table's forms."},
	"create-form": {request: map[string]any{"name": "Order intake", "fields": []any{map[string]any{"field": "Name"}, map[string]any{"field": "Amount"}}, "public": true}},
	"get-form":    {description: "Returns a form: the fields it shows. Public forms need no token."},
	"submit-form": {request: map[string]any{"fields": map[string]any{"Name": "Order 2", "Amount": 15}}},

	"list-tokens":  {description: "Lists access tokens (never their secrets). Owner only."},
	"create-token": {request: map[string]any{"name": "ci", "role": "editor", "base_ids": []any{exBase}}},
	"delete-token": {description: "Revokes a token at once."},

	"list-automations":   {description: "Lists a base's automations, each at its current version (secrets redacted)."},
	"create-automation":  {},
	"get-automation":     {description: "Returns an automation at its current version; secrets come back as `********` and `warnings` names problems found since it was saved."},
	"update-automation":  {request: map[string]any{"name": "Post done orders (v2)"}},
	"delete-automation":  {description: "Deletes an automation with its versions and runs."},
	"enable-automation":  {description: "Enables an automation: its trigger fires again from now on."},
	"disable-automation": {description: "Disables an automation: its trigger stops firing; runs in flight finish."},
	"test-automation":    {request: map[string]any{"record_id": exRecord}},
	"get-run":            {description: "Returns one run: trigger data, and every step with status (`not_run` for steps a stopped run never reached), attempts, rendered input (secrets redacted), output, error and times."},
	"list-runs":          {description: "Lists an automation's runs, newest first, with their steps; `status`, `is_test`, `record_id` (the trigger record) and `from`/`to` (created in [from, to)) filter, `cursor` pages."},
	"list-base-runs":     {description: "Lists the runs of every automation of a base, newest first, with the filters and paging of an automation's run list."},
	"cancel-run":         {description: "Cancels a queued or running run: it ends `cancelled` at once and no later step starts; a step executing now (an external call) finishes or times out. 409 for a run that already ended. Editor or owner."},
	"retry-run":          {description: "Resumes a failed run from the step that failed it, with the version the run pinned: the earlier steps are not executed again (their outputs are reused, their side effects not repeated). The run is `running` again. 409 unless the run failed. Editor or owner."},
	"replay-run":         {description: "Starts a new run with the same trigger data on the automation's current version, linked by `replay_of` to the original. Editor or owner."},

	"get-automation-stats": {description: "Counts an automation's real runs (test runs excluded) created in [`from`, `to`) per `bucket` (hour or day, UTC) and over the whole range: runs by status, success rate (succeeded / (succeeded + failed)), trigger latency (run created → first step started) and duration (created → finished) p50/p95/p99 in seconds, and failures by step id. `from`..`to` spans at most 400 days (default: the 30 days before now); a bad `from`, `to` or `bucket` answers 422 naming it. Viewer or more."},
	"get-base-stats":       {description: "The statistics of get-automation-stats (same parameters, counts and 422s) over the real runs of every automation of a base (`base_id`). Viewer or more."},

	"list-automation-versions":   {description: "Lists the immutable versions of an automation (one per save), newest first, secrets redacted; `cursor` pages."},
	"get-automation-version":     {description: "Returns version `n` of an automation: name, trigger, conditions and steps as saved, secrets redacted."},
	"explain-automation":         {description: "Says whether the automation would fire for record `record_id` now, and which part says no: `enabled`, `trigger` (a schedule or webhook trigger never fires for a record; an event trigger — created, updated with watched fields, deleted — says which event it needs, `computable: false`), `view` (record_enters_view: does the record match the view filter now, with its trace; record_matches_conditions: the trigger conditions), `conditions` (each rule: field, op, expected, actual, passed) and `loop_depth` (not applicable to a direct check). `record_id` is required when the trigger watches a table. Viewer or above; nothing is written."},
	"restore-automation-version": {description: "Saves a new version equal to version `n` (validated as a save: 422 with locations when it no longer fits the base). Editor or owner."},
}

// responseExamples are live answers of a fresh server to the request
// examples, recorded by `go test ./httpapi -run TestOperationExamples
// -update` (ids mapped back to the example ids, times fixed).
//
//go:embed testdata/response_examples.json
var responseExamplesJSON []byte

// applyOpDocs completes the operations of api from opDocs and the recorded
// response examples. It also escapes `<word>` in descriptions, which the
// docs page would take for an HTML tag and hide.
func applyOpDocs(api huma.API) {
	patchSchemas(api)
	var responses map[string]json.RawMessage
	_ = json.Unmarshal(responseExamplesJSON, &responses)
	for _, item := range api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			d := opDocs[op.OperationID]
			if op.Description == "" {
				op.Description = d.description
			}
			op.Description = escapeTags(op.Description)
			if d.request != nil && op.RequestBody != nil {
				if mt := op.RequestBody.Content["application/json"]; mt != nil && mt.Example == nil {
					mt.Example = d.request
				}
			}
			if raw, ok := responses[op.OperationID]; ok {
				var ex any
				if json.Unmarshal(raw, &ex) == nil {
					for code, resp := range op.Responses {
						if strings.HasPrefix(code, "2") && resp.Content != nil {
							if mt := resp.Content["application/json"]; mt != nil {
								mt.Example = ex
							}
						}
					}
				}
			}
		}
	}
}

// escapeTags writes `<x>` as `&lt;x&gt;` outside code spans.
func escapeTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	inCode := false
	for _, r := range s {
		switch {
		case r == '`':
			inCode = !inCode
			b.WriteRune(r)
		case r == '<' && !inCode:
			b.WriteString("&lt;")
		case r == '>' && !inCode:
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// patchSchemas gives the JSON-valued properties of answers (json.RawMessage
// in the services' types, documented by huma as "any") their real shape:
// condition groups for conditions, if and filters, objects for configs and
// options.
func patchSchemas(api huma.API) {
	schemas := api.OpenAPI().Components.Schemas.Map()
	set := func(schema, prop string, s *huma.Schema) {
		if sc, ok := schemas[schema]; ok && sc.Properties != nil {
			if _, ok := sc.Properties[prop]; ok {
				sc.Properties[prop] = s
			}
		}
	}
	obj := func(desc string) *huma.Schema {
		return &huma.Schema{Type: huma.TypeObject, Description: desc, AdditionalProperties: true}
	}
	cond := func(desc string) *huma.Schema {
		s := conditionSchema()
		s.Description = desc + "; " + s.Description
		return s
	}
	set("Automation", "conditions", cond("the automation's conditions (absent: always)"))
	set("AutomationVersion", "conditions", cond("the version's conditions (absent: always)"))
	set("StepSpec", "if", cond("the step runs only when this holds for the trigger record (absent: always)"))
	set("View", "filter", cond("the view's filter"))
	set("StepSpec", "config", obj("the step type's config as saved (templates unrendered, secrets redacted); its schema is the step type's variant of AutomationBody.steps"))
	set("TriggerSpec", "config", obj("the trigger type's config; its schema is the trigger type's variant of AutomationBody.trigger"))
	set("Field", "options", obj("the field type's options, e.g. {\"precision\": 2} for number"))
	set("RunStep", "input", obj("the step's config after rendering (secrets redacted); null before it ran"))
	set("RunTrigger", "data", obj("what the trigger passed: record, previous, change, cause, …"))
}
