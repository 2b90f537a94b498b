package console

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/condition"
)

// TestRunPageTrace: a run whose answer has a condition trace shows each
// clause with its field, operator, expected and actual values and result;
// without one the section is absent.
func TestRunPageTrace(t *testing.T) {
	t.Parallel()
	c := New(Opts{})
	run := automation.Run{ID: "run_1", AutomationID: "aut_1", Status: automation.RunSkipped, CreatedAt: time.Now(),
		Trigger: automation.RunTrigger{Type: "record_updated", Data: json.RawMessage(`{"record":{"id":"rec_1"}}`)}}
	d := runData{Run: run, RecordID: "rec_1", Trace: &condition.Trace{Passed: false, Rules: []condition.RuleTrace{
		{Path: "rules[0]", Field: "Status", Op: "is", Expected: "Done", Actual: "Todo", Passed: false},
		{Path: "rules[1]", Field: "Amount", Op: "gt", Expected: 100.0, Actual: 250.0, Passed: true},
	}}}
	html, err := c.fragment("run", "content", page{Data: d})
	require.NoError(t, err)
	require.Contains(t, html, "Condition trace")
	require.Contains(t, html, "<code>rules[0]</code></td><td>Status</td><td>is</td><td><code>Done</code></td><td><code>Todo</code></td>")
	require.Contains(t, html, "<code>250</code>")
	require.Equal(t, 1, strings.Count(html, `status s-succeeded">passed`), "one clause passed")

	d.Trace = nil
	html, err = c.fragment("run", "content", page{Data: d})
	require.NoError(t, err)
	require.NotContains(t, html, "Condition trace")
}

// TestSparkline: the SVG is scaled to the peak, oldest left, with an
// escaped accessible name.
func TestSparkline(t *testing.T) {
	t.Parallel()
	counts := make([]int64, 24)
	counts[0], counts[23] = 2, 4
	svg := sparkline(counts, `runs <per> hour`)
	require.Contains(t, svg, `aria-label="runs &lt;per&gt; hour"`)
	require.Contains(t, svg, `0.0,12.0 `, "2 of peak 4 at mid height")
	require.Contains(t, svg, ` 120.0,2.0"`, "the peak at the top")
}
