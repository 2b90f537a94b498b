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
	return whole.Trace(cells, now), nil
}

// leaf is one leaf rule (or formula group) of a Condition compiled on its
// own, for Trace.
type leaf struct {
	trace RuleTrace // Path, Field, FieldID, Op, Expected / Formula
	cond  *Condition
	err   error // it does not compile on its own
}

// Trace evaluates c on cells at now as Match does (Passed) and then every
// leaf rule on its own, in order (TraceJSON's answer). The leaf rules are
// compiled once, on c's first Trace, so tracing a cached Condition costs
// one evaluation per rule. A Condition not made by Compile (the zero one)
// passes with no rules.
func (c *Condition) Trace(cells map[string]any, now time.Time) Trace {
	out := Trace{Passed: true, Rules: []RuleTrace{}}
	if c == nil {
		return out
	}
	var err error
	if out.Passed, err = c.Match(cells, now); err != nil {
		out.Passed = false
	}
	c.once.Do(c.compileLeaves)
	out.Rules = make([]RuleTrace, len(c.leaves))
	for i, l := range c.leaves {
		rt := l.trace
		if rt.FieldID != "" {
			rt.Actual = cells[rt.FieldID]
		}
		err := l.err
		if err == nil {
			rt.Passed, err = l.cond.Match(cells, now)
		}
		if err != nil {
			rt.Passed, rt.Error = false, err.Error()
		}
		out.Rules[i] = rt
	}
	return out
}

// compileLeaves compiles each leaf rule of c's group on its own.
func (c *Condition) compileLeaves() {
	byRef := func(ref string) (field.Field, bool) {
		for _, f := range c.fields {
			if f.ID == ref {
				return f, true
			}
		}
		for _, f := range c.fields {
			if f.Name == ref {
				return f, true
			}
		}
		return field.Field{}, false
	}
	var walk func(g Group, path string)
	walk = func(g Group, path string) {
		if g.Formula != "" {
			l := leaf{trace: RuleTrace{Path: path, Formula: g.Formula}}
			l.cond, l.err = Compile(Group{Formula: g.Formula}, c.fields)
			c.leaves = append(c.leaves, l)
			return
		}
		for i, r := range g.Rules {
			rp := index(join(path, "rules"), i)
			if r.Group != nil {
				walk(*r.Group, rp)
				continue
			}
			l := leaf{trace: RuleTrace{Path: rp, Field: r.Field, Op: r.Op, Expected: r.Value}}
			if f, ok := byRef(r.Field); ok {
				l.trace.FieldID = f.ID
			}
			l.cond, l.err = Compile(Group{Rules: []Rule{r}}, c.fields)
			c.leaves = append(c.leaves, l)
		}
	}
	walk(c.group, "")
}
