package console

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
)

// statsRanges are the stats ranges the automation page offers: name →
// span and bucket.
var statsRanges = map[string]struct {
	Span   time.Duration
	Bucket string
}{
	"24h": {24 * time.Hour, "hour"},
	"7d":  {7 * 24 * time.Hour, "day"},
	"30d": {30 * 24 * time.Hour, "day"},
}

// runFilter is the run list's filter as the form sent it.
type runFilter struct {
	Status, IsTest, RecordID, From, To, Cursor, Range string
}

// filterFrom reads the run list's query; bad values are 422 naming the
// parameter, as on the API.
func filterFrom(q url.Values) (runFilter, automation.RunFilter, error) {
	f := runFilter{Status: q.Get("status"), IsTest: q.Get("is_test"), RecordID: q.Get("record_id"), From: q.Get("from"),
		To: q.Get("to"), Cursor: q.Get("cursor"), Range: q.Get("range")}
	if _, ok := statsRanges[f.Range]; !ok {
		f.Range = "7d"
	}
	rf := automation.RunFilter{Status: f.Status, RecordID: f.RecordID, Cursor: f.Cursor, Limit: 25}
	switch f.IsTest {
	case "":
	case "true", "false":
		b := f.IsTest == "true"
		rf.IsTest = &b
	default:
		return f, rf, rowflow.Invalid("is_test", "must be true or false")
	}
	for name, dst := range map[string]**time.Time{"from": &rf.From, "to": &rf.To} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := parseTime(v)
		if err != nil {
			return f, rf, rowflow.Invalid(name, "must be a time like 2026-12-04T18:00 (UTC) or RFC 3339")
		}
		*dst = &t
	}
	return f, rf, nil
}

// parseTime reads RFC 3339 or the datetime-local form (UTC).
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", v, time.UTC); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05", v, time.UTC)
}

// query is the filter as a query string, with cursor replaced.
func (f runFilter) query(cursor string) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "is_test": f.IsTest, "record_id": f.RecordID, "from": f.From, "to": f.To, "range": f.Range, "cursor": cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// matches reports whether a run belongs on the first page of the filtered
// list (a live row).
func (f runFilter) matches(run automation.Run) bool {
	if f.Cursor != "" || f.From != "" || f.To != "" {
		return false
	}
	if f.Status != "" && f.Status != run.Status {
		return false
	}
	if f.IsTest != "" && strconv.FormatBool(run.IsTest) != f.IsTest {
		return false
	}
	return f.RecordID == "" || runRecordID(run) == f.RecordID
}

type automationData struct {
	A        automation.Automation
	Editor   bool
	Versions []automation.AutomationVersion
	Stats    automation.Stats
	Bars     template.HTML
	Duration template.HTML
	Runs     []runRow
	Filter   runFilter
	Next     string
	Statuses []string
	Ranges   []string
	// Live is the event stream of new runs ("" when the list is not live:
	// a later page or a time range).
	Live string
}

// runRow is one line of a run list.
type runRow struct {
	Run      automation.Run
	RecordID string
}

func rowOf(run automation.Run) runRow { return runRow{Run: run, RecordID: runRecordID(run)} }

// automationPage shows an automation: definition, versions, stats and runs.
func (c *Console) automationPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	a, err := c.opts.Automations.GetAutomation(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f, rf, err := filterFrom(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	runs, next, err := c.opts.Automations.ListRuns(ctx, id, rf)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	versions, _, err := c.opts.Automations.ListVersions(ctx, id, 0, 10)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sr := statsRanges[f.Range]
	now := time.Now()
	st, err := c.opts.Automations.AutomationStats(ctx, id, automation.StatsQuery{From: now.Add(-sr.Span), To: now, Bucket: sr.Bucket})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := automationData{A: c.opts.Automations.Redacted(a), Editor: rowflow.CheckBase(ctx, a.BaseID, rowflow.RoleEditor) == nil,
		Versions: versions, Stats: st, Bars: template.HTML(statusBars(st)), Duration: template.HTML(durationLine(st)),
		Filter: f, Statuses: []string{automation.RunQueued, automation.RunRunning, automation.RunWaiting, automation.RunSucceeded,
			automation.RunFailed, automation.RunSkipped, automation.RunCancelled},
		Ranges: []string{"24h", "7d", "30d"}}
	for _, run := range runs {
		d.Runs = append(d.Runs, rowOf(run))
	}
	if next != "" {
		d.Next = "?" + f.query(next)
	}
	if c.opts.Feed != nil && f.Cursor == "" && f.From == "" && f.To == "" {
		// since: runs created from the page's rendering on are sent when
		// the stream opens, so none between the two is missed.
		q, _ := url.ParseQuery(f.query(""))
		q.Set("since", now.UTC().Add(-time.Second).Format(time.RFC3339Nano))
		d.Live = "/console/automations/" + url.PathEscape(id) + "/events?" + q.Encode()
	}
	c.render(w, r, http.StatusOK, "automation", page{Title: a.Name, Crumbs: []crumb{{"Automations", "/console/"}}, Data: d})
}
