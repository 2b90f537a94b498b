package condition

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/rowflow/rowflow/field"
)

// RuleTrace is the evaluation of one leaf rule (or one formula group) of a
// condition on its own against one record: the field as written in the
// rule, its id, the operator, the expected value, the record's actual cell
// and whether the rule passed. For a formula group Formula is set and
// Field, Op and Expected are empty.
type RuleTrace struct {
	Path     string `json:"path" doc:"where the rule is in the group, e.g. rules[1].rules[0]"`
	Field    string `json:"field,omitempty"`
	FieldID  string `json:"field_id,omitempty"`
	Op       string `json:"op,omitempty"`
	Expected any    `json:"expected,omitempty"`
	Actual   any    `json:"actual"`
	Formula  string `json:"formula,omitempty"`
	Passed   bool   `json:"passed"`
	Error    string `json:"error,omitempty" doc:"set when the rule could not be evaluated (a formula error)"`
}

// Trace is a condition's per-rule evaluation: Passed is the whole group's
// answer (as Condition.Match), Rules each leaf rule's own answer in the
// order they appear, nested groups flattened (their Path says where).
type Trace struct {
	Passed bool        `json:"passed"`
	Rules  []RuleTrace `json:"rules"`
}

// TraceJSON decodes and compiles raw as CompileJSON does (same errors, a
// *PathError) and evaluates it against cells at now: the whole group and
// then every leaf rule separately. An empty raw passes with no rules. Pure.
func TraceJSON(raw json.RawMessage, fields []field.Field, cells map[string]any, now time.Time) (Trace, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return Trace{Passed: true, Rules: []RuleTrace{}}, nil
	}
	if err := checkNesting(raw); err != nil {
		return Trace{}, err
	}
	g, err := decodeGroup(raw, "", 1, &decodeState{})
	if err != nil {
		return Trace{}, err
	}
	return TraceGroup(g, fields, cells, now)
}

// TraceGroup is TraceJSON for a decoded group.
func TraceGroup(g Group, fields []field.Field, cells map[string]any, now time.Time) (Trace, error) {
	whole, err := Compile(g, fields)
	if err != nil {
		return Trace{}, err
	}
	out := Trace{Rules: []RuleTrace{}}
	if out.Passed, err = whole.Match(cells, now); err != nil {
		out.Passed = false
	}
	byRef := func(ref string) (field.Field, bool) {
		for _, f := range fields {
			if f.ID == ref {
				return f, true
			}
		}
		for _, f := range fields {
			if f.Name == ref {
				return f, true
			}
		}
		return field.Field{}, false
	}
	var walk func(g Group, path string)
	walk = func(g Group, path string) {
		if g.Formula != "" {
			rt := RuleTrace{Path: path, Formula: g.Formula}
			c, err := Compile(Group{Formula: g.Formula}, fields)
			if err == nil {
				rt.Passed, err = c.Match(cells, now)
			}
			if err != nil {
				rt.Passed, rt.Error = false, err.Error()
			}
			out.Rules = append(out.Rules, rt)
			return
		}
		for i, r := range g.Rules {
			rp := index(join(path, "rules"), i)
			if r.Group != nil {
				walk(*r.Group, rp)
				continue
			}
			rt := RuleTrace{Path: rp, Field: r.Field, Op: r.Op, Expected: r.Value}
			if f, ok := byRef(r.Field); ok {
				rt.FieldID = f.ID
				rt.Actual = cells[f.ID]
			}
			c, err := Compile(Group{Rules: []Rule{r}}, fields)
			if err == nil {
				rt.Passed, err = c.Match(cells, now)
			}
			if err != nil {
				rt.Passed, rt.Error = false, err.Error()
			}
			out.Rules = append(out.Rules, rt)
		}
	}
	walk(g, "")
	return out, nil
}
