package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/record"
)

// baseRow is one base of the list page with its automations.
type baseRow struct {
	Base        record.Base
	Automations []automationRow
	// Editor: the session may enable and disable them.
	Editor bool
}

// automationRow is one automation's line: health over the last 24 h.
type automationRow struct {
	A       automation.Automation
	Trigger string
	H       automation.AutomationHealth
	Spark   template.HTML
}

// listPage shows the automations of every base the session sees.
func (c *Console) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	bases, err := c.allBases(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	now := time.Now()
	out := make([]baseRow, 0, len(bases))
	for _, b := range bases {
		autos, err := c.opts.Automations.ListAutomations(ctx, b.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		row := baseRow{Base: b, Editor: rowflow.CheckBase(ctx, b.ID, rowflow.RoleEditor) == nil}
		if len(autos) > 0 {
			health, err := c.opts.Automations.BaseHealth(ctx, b.ID, now, 24)
			if err != nil {
				c.fail(w, r, err)
				return
			}
			for _, a := range autos {
				row.Automations = append(row.Automations, automationRowOf(a, health[a.ID]))
			}
		}
		out = append(out, row)
	}
	c.render(w, r, http.StatusOK, "list", page{Title: "Automations", Data: out})
}

// allBases pages through every base the session sees.
func (c *Console) allBases(ctx context.Context) ([]record.Base, error) {
	var out []record.Base
	after := ""
	for {
		page, err := c.opts.Records.ListBases(ctx, after, 200)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 200 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// automationRowOf is an automation's line from its health.
func automationRowOf(a automation.Automation, h automation.AutomationHealth) automationRow {
	if h.Hourly == nil {
		h.Hourly = make([]int64, 24)
	}
	return automationRow{A: a, Trigger: triggerSummary(a.Trigger), H: h,
		Spark: template.HTML(sparkline(h.Hourly, fmt.Sprintf("runs per hour over the last 24 hours: %d in all", h.Runs)))}
}

// triggerSummary is a trigger in a few words: its type and what it
// watches.
func triggerSummary(t automation.TriggerSpec) string {
	var cfg map[string]any
	_ = json.Unmarshal(t.Config, &cfg)
	for _, k := range []string{"table_id", "cron", "every", "webhook_id", "form_id"} {
		if v, ok := cfg[k].(string); ok && v != "" {
			return t.Type + " · " + v
		}
	}
	return t.Type
}

// setEnabled turns an automation on or off (editor or owner) and goes
// back to the page the form came from.
func (c *Console) setEnabled(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if _, err := c.opts.Automations.SetAutomationEnabled(r.Context(), id, on); err != nil {
			c.fail(w, r, err)
			return
		}
		http.Redirect(w, r, localPath(r.PostFormValue("back"), "/console/"), http.StatusSeeOther)
	}
}
