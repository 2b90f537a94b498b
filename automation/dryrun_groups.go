package automation

import (
	"encoding/json"
	"fmt"

	"github.com/rowflow/rowflow/template"
)

// DryRunItem is one item of a for_each group in a dry run: the item, its
// index and what the group's steps would do with it.
type DryRunItem struct {
	Index int          `json:"index"`
	Item  any          `json:"item"`
	Steps []DryRunStep `json:"steps"`
}

// group walks an "if" or "for_each" group step as the runtime runs it
// (group_run.go), inside the dry run's transaction: an if takes the first
// branch whose condition holds and walks its steps in the scope around
// it; a for_each renders its items and walks its steps once per item (at
// most dryRunMaxItems of them) with {{item}} and {{index}}. It returns
// the group's output ({"branch": k}; {"count": n, "items": [...]}).
func (w *dryWalk) group(step StepSpec, loc string, data map[string]any, ds *DryRunStep) (any, bool) {
	if !stepIf(step, w.s, w.now, ds) {
		return nil, false
	}
	if step.Type == StepIf {
		branch := -1
		for k, b := range step.Branches {
			if b.Else {
				branch = k
				break
			}
			ok, err := matchBranch(b.If, data, w.now)
			if err != nil {
				ds.Status, ds.Error = DryFailed, fmt.Sprintf("branches[%d].if: %v", k, err)
				return map[string]any{"branch": -1}, true
			}
			if ok {
				branch = k
				break
			}
		}
		out := map[string]any{"branch": branch}
		ds.Status, ds.Output, ds.Branch = DryExecuted, out, &branch
		if branch < 0 || branch >= len(step.Branches) {
			ds.Note = "no branch's condition holds: none runs"
			return out, true
		}
		ds.Note = fmt.Sprintf("branch %d runs", branch)
		var failed bool
		ds.Steps, failed = w.seq(step.Branches[branch].Steps, fmt.Sprintf("%s.branches[%d].steps", loc, branch), data)
		if failed {
			ds.Status, ds.Error = DryFailed, "a step of the branch fails"
		}
		return out, true
	}

	for _, r := range template.Refs(jsonValue(step.Items), loc+".items") {
		if len(r.Path) >= 2 && r.Path[0] == "steps" && w.placeholder[r.Path[1]] {
			ds.Status, ds.OutputPlaceholder = DryNotSimulated, true
			ds.Note = fmt.Sprintf("its items come from the output of %s, which exists only in a real run: no item is walked", r.Path[1])
			return nil, false
		}
	}
	items, err := renderItems(step.Items, data)
	if err != nil {
		ds.Status, ds.Error = DryFailed, err.Error()
		return nil, false
	}
	ds.Input = map[string]any{"items": items}
	results := make([]any, 0, len(items))
	for i, item := range items {
		if i == dryRunMaxItems {
			ds.Note = fmt.Sprintf("%d items: the first %d are walked; a real run walks every one the same way", len(items), dryRunMaxItems)
			break
		}
		scope := make(map[string]any, len(data)+2)
		for k, v := range data {
			scope[k] = v
		}
		inner := map[string]any{}
		for k, v := range data["steps"].(map[string]any) {
			inner[k] = v
		}
		scope["steps"], scope["item"], scope["index"] = inner, item, i
		steps, failed := w.seq(step.Steps, loc+".steps", scope)
		ds.Items = append(ds.Items, DryRunItem{Index: i, Item: item, Steps: steps})
		res := make(map[string]any, len(step.Steps))
		for _, is := range step.Steps {
			if v, ok := inner[is.ID].(map[string]any); ok {
				res[is.ID] = v["output"]
			}
		}
		results = append(results, res)
		if failed {
			ds.Status, ds.Error = DryFailed, fmt.Sprintf("a step fails for item %d", i)
			return map[string]any{"count": len(items), "items": results}, true
		}
	}
	ds.Status = DryExecuted
	out := map[string]any{"count": len(items), "items": results}
	ds.Output = out
	return out, true
}

// jsonValue decodes raw JSON (nil for none or invalid).
func jsonValue(raw []byte) any {
	var v any
	if len(raw) == 0 {
		return nil
	}
	_ = json.Unmarshal(raw, &v)
	return v
}
