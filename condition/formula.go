package condition

import (
	"errors"
	"fmt"
	"time"

	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/formula"
)

// formulaNode is a formula group: true when the formula's result is truthy.
type formulaNode struct {
	expr *formula.Expr
	refs map[string]field.Field // {Name} as written → field
}

// formula compiles the formula of a group found at path. Every {Name} must
// name a field of the table (by name, else by id) that is not a button.
func (c *compiler) formula(src, path string) (node, error) {
	expr, err := formula.Parse(src)
	if err != nil {
		var se *formula.SyntaxError
		if errors.As(err, &se) {
			return nil, pathErr(path, "syntax error at position %d: %s", se.Pos+1, se.Msg)
		}
		return nil, pathErr(path, "%v", err)
	}
	n := &formulaNode{expr: expr, refs: map[string]field.Field{}}
	for _, name := range expr.Refs() {
		f, ok := c.lookupName(name)
		if !ok {
			return nil, pathErr(path, "{%s} is not a field of this table", name)
		}
		if f.Type == field.Button {
			return nil, pathErr(path, "{%s} is a button field, which cannot be used in conditions", name)
		}
		n.refs[name] = f
	}
	return n, nil
}

// lookupName finds a field by name, then by id (the order formulas use).
func (c *compiler) lookupName(ref string) (field.Field, bool) {
	if i, ok := c.byName[ref]; ok {
		return c.fields[i], true
	}
	if i, ok := c.byID[ref]; ok {
		return c.fields[i], true
	}
	return field.Field{}, false
}

func (n *formulaNode) eval(cells map[string]any, now time.Time) (bool, error) {
	v, err := n.expr.Eval(&env{refs: n.refs, cells: cells, now: now})
	if err != nil {
		return false, fmt.Errorf("condition formula: %w", err)
	}
	return formula.Truthy(v), nil
}

// env is the formula.Env of one Match: fields by name, cells by id.
type env struct {
	refs  map[string]field.Field
	cells map[string]any
	now   time.Time
}

// Field returns the cell of the field the formula calls name (nil when the
// cell is empty); ok is false for a name the formula did not reference at
// Compile.
func (e *env) Field(name string) (any, field.Type, bool) {
	f, ok := e.refs[name]
	if !ok {
		return nil, "", false
	}
	return e.cells[f.ID], f.Type, true
}

// Now returns the instant Match was called with.
func (e *env) Now() time.Time { return e.now }
