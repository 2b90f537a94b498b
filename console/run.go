package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/condition"
)

// runData is what the run page (and its live part) shows.
type runData struct {
	Run        automation.Run
	Automation automation.Automation
	RecordID   string
	// Trace is the run's condition trace, when it has one.
	Trace  *condition.Trace
	Editor bool
	// Can* say which controls apply to the run's state.
	CanRetry, CanCancel, CanReplay, CanDryRun bool
	CSRF                                      string
	Live                                      string
	// DryRun is the answer of "dry-run this again" (pretty JSON).
	DryRun string
	Flash  string
}

// runRecordID is the id of the record that triggered run ("" for other
// triggers): trigger.data.record.id.
func runRecordID(run automation.Run) string {
	var d struct {
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	_ = json.Unmarshal(run.Trigger.Data, &d)
	return d.Record.ID
}

// loadRun reads a run as the session may see it, with what its page
// needs.
func (c *Console) loadRun(r *http.Request, id string) (runData, error) {
	ctx := r.Context()
	run, err := c.opts.Automations.GetRun(ctx, id)
	if err != nil {
		return runData{}, err
	}
	a, err := c.opts.Automations.GetAutomation(ctx, run.AutomationID)
	if err != nil {
		return runData{}, err
	}
	d := runData{Run: run, Automation: a, RecordID: runRecordID(run), Trace: run.ConditionTrace,
		Editor: rowflow.CheckBase(ctx, a.BaseID, rowflow.RoleEditor) == nil, CSRF: sessionFrom(ctx).CSRF}
	finished := run.FinishedAt != nil
	d.CanRetry = run.Status == automation.RunFailed
	d.CanCancel = !finished && run.Status != automation.RunSkipped
	d.CanReplay = finished
	d.CanDryRun = c.opts.DryRun != nil
	if c.opts.Feed != nil {
		d.Live = "/console/runs/" + url.PathEscape(id) + "/events"
	}
	return d, nil
}

// runPage shows one run.
func (c *Console) runPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadRun(r, chi.URLParam(r, "id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Flash = flashes[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "run", page{Title: "Run " + d.Run.ID, Data: d,
		Crumbs: []crumb{{"Automations", "/console/"}, {d.Automation.Name, "/console/automations/" + d.Automation.ID}}})
}

// flashes are the notes a run page shows after a control (by ?done=).
var flashes = map[string]string{
	"retry":  "Retry accepted: the run goes on from its failed step.",
	"cancel": "The run is cancelled.",
	"replay": "This is the replay: a new run with the same trigger data.",
}

// runAction calls the runtime's retry, cancel or replay with the
// session's principal (which checks the role) and shows the resulting run.
func (c *Console) runAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := chi.URLParam(r, "id")
		var run automation.Run
		var err error
		switch action {
		case "retry":
			run, err = c.opts.Automations.RetryRun(ctx, id)
		case "cancel":
			run, err = c.opts.Automations.CancelRun(ctx, id)
		case "replay":
			run, err = c.opts.Automations.ReplayRun(ctx, id)
		}
		if err != nil {
			c.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/runs/"+url.PathEscape(run.ID)+"?done="+action, http.StatusSeeOther)
	}
}

// dryRun evaluates the automation again against the run's trigger data
// through the DryRun hook (editor or owner) and shows the answer on the
// run page.
func (c *Console) dryRun(w http.ResponseWriter, r *http.Request) {
	if c.opts.DryRun == nil {
		c.fail(w, r, rowflow.Errorf(rowflow.CodeNotFound, "dry runs are not available on this server"))
		return
	}
	d, err := c.loadRun(r, chi.URLParam(r, "id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := rowflow.CheckBase(r.Context(), d.Automation.BaseID, rowflow.RoleEditor); err != nil {
		c.fail(w, r, err)
		return
	}
	out, err := c.opts.DryRun(r.Context(), d.Automation.ID, d.Run.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.DryRun = pretty(out)
	c.render(w, r, http.StatusOK, "run", page{Title: "Run " + d.Run.ID, Data: d,
		Crumbs: []crumb{{"Automations", "/console/"}, {d.Automation.Name, "/console/automations/" + d.Automation.ID}}})
}

// runDuration is from a run's creation to its end (or now, while it goes).
func runDuration(run automation.Run) string {
	end := time.Now()
	if run.FinishedAt != nil {
		end = *run.FinishedAt
	}
	return short(end.Sub(run.CreatedAt))
}
