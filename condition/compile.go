package condition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rowflow/rowflow/field"
)

// Bounds of a condition, checked by Compile.
const (
	// MaxDepth is the deepest nesting of groups; the top group is level 1.
	MaxDepth = 10
	// MaxRules is the most rules (leaves and nested groups) of a condition.
	MaxRules = 200
)

// The operators.
const (
	opIs         = "is"
	opIsNot      = "is_not"
	opContains   = "contains"
	opNotContain = "not_contains"
	opIsEmpty    = "is_empty"
	opNotEmpty   = "is_not_empty"
	opGt         = "gt"
	opGte        = "gte"
	opLt         = "lt"
	opLte        = "lte"
	opAnyOf      = "is_any_of"
	opNoneOf     = "is_none_of"
	opBefore     = "is_before"
	opAfter      = "is_after"
	opOn         = "is_on"
	opWithin     = "is_within"
)

var allOps = []string{
	opIs, opIsNot, opContains, opNotContain, opIsEmpty, opNotEmpty,
	opGt, opGte, opLt, opLte, opAnyOf, opNoneOf,
	opBefore, opAfter, opOn, opWithin,
}

var (
	textOps   = []string{opIs, opIsNot, opContains, opNotContain, opIsEmpty, opNotEmpty, opAnyOf, opNoneOf}
	numberOps = []string{opIs, opIsNot, opGt, opGte, opLt, opLte, opIsEmpty, opNotEmpty, opAnyOf, opNoneOf}
	singleOps = []string{opIs, opIsNot, opAnyOf, opNoneOf, opIsEmpty, opNotEmpty}
	listOps   = []string{opContains, opNotContain, opIs, opIsNot, opAnyOf, opNoneOf, opIsEmpty, opNotEmpty}
	dateOps   = []string{opOn, opBefore, opAfter, opWithin, opIsEmpty, opNotEmpty}
)

// builder compiles the predicate of one (non-emptiness) operator of a field
// type; value errors are *PathError at vpath or below it.
type builder func(f field.Field, op string, v any, vpath string) (predicate, error)

// family is how one field type takes part in conditions.
type family struct {
	ops   []string
	build builder
}

var families = map[field.Type]family{
	field.Text:         {textOps, compileText},
	field.LongText:     {textOps, compileText},
	field.Email:        {textOps, compileText},
	field.URL:          {textOps, compileText},
	field.Phone:        {textOps, compileText},
	field.Number:       {numberOps, compileNumber},
	field.Checkbox:     {[]string{opIs, opIsNot}, compileCheckbox},
	field.SingleSelect: {singleOps, compileSingleSelect},
	field.MultiSelect:  {listOps, compileList},
	field.LinkToRecord: {listOps, compileList},
	field.Date:         {dateOps, compileDate},
	field.DateTime:     {dateOps, compileDate},
}

// Ops lists every operator, in documentation order. The slice is the
// caller's.
func Ops() []string { return slices.Clone(allOps) }

// OpsFor returns the operators a field of type t may use (nil for button and
// unknown types). The slice is the caller's.
func OpsFor(t field.Type) []string { return slices.Clone(families[t].ops) }

// Compile validates g against the fields of a table and compiles it. A
// rule's field is a field id or name (ids win); the operator must suit the
// field type (OpsFor), the value its operator (see the package doc); a
// formula must parse and reference existing fields. Groups nest at most
// MaxDepth levels and hold at most MaxRules rules in all. Nested groups
// without rules or formula are dropped; a group left without rules matches
// everything. Every error is a *PathError naming the exact place.
func Compile(g Group, fields []field.Field) (*Condition, error) {
	c := &compiler{byID: make(map[string]int, len(fields)), byName: make(map[string]int, len(fields)), fields: fields}
	for i, f := range fields {
		if _, dup := c.byID[f.ID]; !dup {
			c.byID[f.ID] = i
		}
		if _, dup := c.byName[f.Name]; !dup {
			c.byName[f.Name] = i
		}
	}
	root, err := c.group(g, "", 1)
	if err != nil {
		return nil, err
	}
	return &Condition{root: root, group: g, fields: fields}, nil
}

// CompileJSON decodes raw strictly (unknown keys are errors) and compiles
// it. nil, empty, blank and null raw give a Condition that always matches.
// Every error is a *PathError.
func CompileJSON(raw json.RawMessage, fields []field.Field) (*Condition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return &Condition{}, nil
	}
	if err := checkNesting(raw); err != nil {
		return nil, err
	}
	g, err := decodeGroup(raw, "", 1, &decodeState{})
	if err != nil {
		return nil, err
	}
	return Compile(g, fields)
}

// compiler holds the field index and the rule count of one Compile.
type compiler struct {
	fields []field.Field
	byID   map[string]int
	byName map[string]int
	rules  int
}

// lookup finds a field by id, then by name.
func (c *compiler) lookup(ref string) (field.Field, bool) {
	if i, ok := c.byID[ref]; ok {
		return c.fields[i], true
	}
	if i, ok := c.byName[ref]; ok {
		return c.fields[i], true
	}
	return field.Field{}, false
}

// group compiles g found at path, at nesting level depth. A nil node means
// "no rules" (matches everything).
func (c *compiler) group(g Group, path string, depth int) (node, error) {
	if depth > MaxDepth {
		return nil, pathErr(path, "groups nest more than %d levels deep", MaxDepth)
	}
	var anyOf bool
	switch g.Match {
	case "", "all":
	case "any":
		anyOf = true
	default:
		return nil, pathErr(join(path, "match"), `must be "all" or "any", got %q`, g.Match)
	}
	if g.Formula != "" {
		if len(g.Rules) > 0 {
			return nil, pathErr(join(path, "formula"), "a group has either rules or a formula, not both")
		}
		return c.formula(g.Formula, join(path, "formula"))
	}
	children := make([]node, 0, len(g.Rules))
	for i, r := range g.Rules {
		rp := index(join(path, "rules"), i)
		c.rules++
		if c.rules > MaxRules {
			return nil, pathErr(rp, "too many rules (at most %d in a condition)", MaxRules)
		}
		var (
			n   node
			err error
		)
		if r.Group != nil {
			if r.Field != "" || r.Op != "" || r.Value != nil {
				return nil, pathErr(rp, "a rule is either a leaf (field, op, value) or a group, not both")
			}
			n, err = c.group(*r.Group, rp, depth+1)
		} else {
			n, err = c.leaf(r, rp)
		}
		if err != nil {
			return nil, err
		}
		if n != nil {
			children = append(children, n)
		}
	}
	switch len(children) {
	case 0:
		return nil, nil
	case 1:
		return children[0], nil
	}
	return &groupNode{any: anyOf, children: children}, nil
}

// leaf compiles one rule on one field.
func (c *compiler) leaf(r Rule, path string) (node, error) {
	fp := join(path, "field")
	if r.Field == "" {
		return nil, pathErr(fp, "is required (a field name or id)")
	}
	f, ok := c.lookup(r.Field)
	if !ok {
		return nil, pathErr(fp, "no field %q in this table", r.Field)
	}
	if f.Type == field.Button {
		return nil, pathErr(fp, "%q is a button field, which cannot be used in conditions", f.Name)
	}
	fam, ok := families[f.Type]
	if !ok {
		return nil, pathErr(fp, "%q has type %q, which cannot be used in conditions", f.Name, f.Type)
	}
	op := join(path, "op")
	switch {
	case r.Op == "":
		return nil, pathErr(op, "is required (one of: %s)", strings.Join(fam.ops, ", "))
	case !slices.Contains(allOps, r.Op):
		return nil, pathErr(op, "unknown operator %q (want one of: %s)", r.Op, strings.Join(allOps, ", "))
	case !slices.Contains(fam.ops, r.Op):
		return nil, pathErr(op, "operator %q does not apply to %s field %q (allowed: %s)", r.Op, f.Type, f.Name, strings.Join(fam.ops, ", "))
	}
	l := &leafNode{id: f.ID, ifEmpty: emptyAnswer(r.Op)}
	switch r.Op {
	case opIsEmpty:
		l.pred = func(any, time.Time) (bool, bool) { return false, true }
		return l, nil
	case opNotEmpty:
		l.pred = func(any, time.Time) (bool, bool) { return true, true }
		return l, nil
	}
	pred, err := fam.build(f, r.Op, r.Value, join(path, "value"))
	if err != nil {
		return nil, err
	}
	l.pred = pred
	l.noEmpty = f.Type == field.Checkbox
	return l, nil
}

// emptyAnswer is the answer of op on an empty cell: true for is_empty and the
// negative operators (is_not, not_contains, is_none_of), false otherwise.
func emptyAnswer(op string) bool {
	switch op {
	case opIsEmpty, opIsNot, opNotContain, opNoneOf:
		return true
	}
	return false
}

// describe names a decoded JSON value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			cut := 40
			for cut > 0 && !utf8.RuneStart(x[cut]) {
				cut--
			}
			x = x[:cut] + "…"
		}
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case json.Number:
		return "number " + string(x)
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprintf("number %v", x)
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a value of type %T", v)
}

// stringValue reads a non-blank string value.
func stringValue(v any, vpath string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", pathErr(vpath, "must be a string, got %s", describe(v))
	}
	if strings.TrimSpace(s) == "" {
		return "", pathErr(vpath, "must not be empty (use is_empty or is_not_empty to test for an empty cell)")
	}
	return s, nil
}

// listValue reads a list value ([]any or []string).
func listValue(v any, vpath, op string) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	}
	return nil, pathErr(vpath, "%s needs a list, got %s", op, describe(v))
}

// stringList reads a list of non-blank strings.
func stringList(v any, vpath, op string) ([]string, error) {
	list, err := listValue(v, vpath, op)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], err = stringValue(e, index(vpath, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
