package automation

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rowflow/rowflow/template"
)

// Groups are steps that hold steps:
//
//	{"id": "route", "type": "if", "branches": [{"if": <condition>, "steps": [...]}, …, {"else": true, "steps": [...]}]}
//	{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": [...], "concurrency": 1}
//
// An "if" runs the first branch whose condition holds (branch conditions
// name paths of the run's data: steps.find.output.count, item.fields.Status,
// trigger.record.fields.Status, or a bare field name of the trigger record;
// the operators of conditions); its output is {"branch": k} (-1: none
// held). The steps of a branch are visible to later steps by their ids, as
// top-level steps are. A "for_each" runs its steps once per item of its
// list, with {{item}} and {{index}}; its output is {"count": n, "items":
// [{<inner step id>: <its output>, …}, …]} ({{steps.each.output.items[3].update.id}}).
//
// Groups nest, and step ids are unique across the whole automation. Every
// step executed inside a group has a run_steps row of its own under its
// top-level group's step_index, named by its path (each[37].update,
// route.b1.notify, each[2].route.b0.notify) — its progress is durable per
// executed step, so an execution that stops (a crash, a retry's wait, the
// job's time running out) resumes at the first step without a final row.
// A group's own row records its decision before its steps run: the branch
// taken, or the rendered items, so a resumption walks the same way.
// Retries, Retry-After, idempotency keys (run + step + item indexes) and
// on_error behave inside groups as for top-level steps (group_run.go).
// A run makes at most max_steps step executions (DefaultMaxSteps); one
// more fails the run.

// Group step types.
const (
	StepIf      = "if"
	StepForEach = "for_each"
)

// DefaultMaxSteps is the most step executions a run may make when its
// automation sets no max_steps; MaxStepsLimit is the largest max_steps.
const (
	DefaultMaxSteps = 1000
	MaxStepsLimit   = 100_000
)

// MaxConcurrency is the largest for_each concurrency; MaxItems the longest
// list a for_each takes; MaxNestedSteps the most steps an automation may
// hold at every depth together.
const (
	MaxConcurrency = 10
	MaxItems       = 10_000
	MaxNestedSteps = 200
)

// BranchSpec is one branch of an "if" group: a condition (If), or Else
// (the last branch, taken when no condition held), and its steps.
type BranchSpec struct {
	If    json.RawMessage `json:"if,omitempty"`
	Else  bool            `json:"else,omitempty"`
	Steps []StepSpec      `json:"steps"`
}

// IsGroup reports whether a step type is a group (if, for_each) rather
// than an action kind.
func IsGroup(typ string) bool { return typ == StepIf || typ == StepForEach }

// WalkSteps calls fn for each step of steps and, after a group, for the
// steps inside it, depth first, in definition order, with the step's
// location ("steps[2].branches[1].steps[0]") and its depth (0: top level);
// fn returning false skips a group's insides. Validation and tools that
// read a definition (a dry run) walk with it.
func WalkSteps(steps []StepSpec, loc string, fn func(s StepSpec, loc string, depth int) bool) {
	walkSteps(steps, loc, 0, fn)
}

func walkSteps(steps []StepSpec, loc string, depth int, fn func(s StepSpec, loc string, depth int) bool) {
	for i, s := range steps {
		l := fmt.Sprintf("%s[%d]", loc, i)
		if !fn(s, l, depth) {
			continue
		}
		switch s.Type {
		case StepIf:
			for j, b := range s.Branches {
				walkSteps(b.Steps, fmt.Sprintf("%s.branches[%d].steps", l, j), depth+1, fn)
			}
		case StepForEach:
			walkSteps(s.Steps, l+".steps", depth+1, fn)
		}
	}
}

// branchPath is the path prefix of the steps of branch k of the group at
// path: "route.b1.".
func branchPath(path string, k int) string { return path + ".b" + strconv.Itoa(k) + "." }

// itemPath is the path prefix of the steps of item i of the for_each at
// path: "each[37].".
func itemPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]." }

// itemKey is the item indexes of a path ("each[3].inner[5].x" → "_3_5"),
// the part of a step's idempotency key that tells its items apart.
func itemKey(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '[')
		if i < 0 {
			return b.String()
		}
		j := strings.IndexByte(path[i:], ']')
		if j < 0 {
			return b.String()
		}
		b.WriteString("_" + path[i+1:i+j])
		path = path[i+j+1:]
	}
}

// renderValue renders the {{…}} tokens of a JSON value in data.
func renderValue(v any, data map[string]any) (any, error) { return template.Render(v, data) }

// matchBranch evaluates a branch condition against the run's data at the
// branch: its rules name paths (payload conditions, payload_condition.go)
// resolved by dataPath.
func matchBranch(raw json.RawMessage, data map[string]any, now time.Time) (bool, error) {
	c, fields, err := compilePayload(raw)
	if err != nil {
		return false, err
	}
	cells := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := dataPath(data, f.ID); ok {
			if i, isInt := v.(int); isInt {
				v = float64(i)
			}
			cells[f.ID] = payloadCell(f.Type, v)
		}
	}
	return c.Match(cells, now)
}

// dataPath resolves a branch condition's path in the run's data: from a
// root of the template data (steps.find.output.count, item.fields.Status,
// index, trigger.body.x, run.id), else as a field of the trigger record
// (Status), else in the trigger data (body.x).
func dataPath(data map[string]any, path string) (any, bool) {
	segs := strings.Split(path, ".")
	if _, ok := data[segs[0]]; ok {
		return walkData(data, segs)
	}
	if v, ok := walkData(data, append([]string{"trigger", "record", "fields"}, segs...)); ok {
		return v, true
	}
	return walkData(data, append([]string{"trigger"}, segs...))
}

// walkData follows segs (keys, list indexes) from v.
func walkData(v any, segs []string) (any, bool) {
	cur := v
	for _, seg := range segs {
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}
