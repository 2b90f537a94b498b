package condition

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rowflow/rowflow/field"
)

// compileSingleSelect builds the operators of single_select fields: values
// are choice names that must exist (case-sensitive), compared exactly.
func compileSingleSelect(f field.Field, op string, v any, vpath string) (predicate, error) {
	choices, err := choiceNames(f, vpath)
	if err != nil {
		return nil, err
	}
	var want []string
	if op == opAnyOf || op == opNoneOf {
		if want, err = stringList(v, vpath, op); err != nil {
			return nil, err
		}
		for i, w := range want {
			if err := checkChoice(f, choices, w, index(vpath, i)); err != nil {
				return nil, err
			}
		}
	} else {
		s, err := stringValue(v, vpath)
		if err != nil {
			return nil, err
		}
		if err := checkChoice(f, choices, s, vpath); err != nil {
			return nil, err
		}
		want = []string{s}
	}
	neg := op == opIsNot || op == opNoneOf
	return func(cell any, _ time.Time) (bool, bool) {
		c, ok := cell.(string)
		if !ok {
			return false, false
		}
		return slices.Contains(want, c) != neg, true
	}, nil
}

// compileList builds the operators of multi_select (values: existing choice
// names) and link_to_record (values: record ids) fields, whose cells are
// lists: contains tests one element, is the same set, is_any_of a shared
// element.
func compileList(f field.Field, op string, v any, vpath string) (predicate, error) {
	var choices []string
	if f.Type == field.MultiSelect {
		var err error
		if choices, err = choiceNames(f, vpath); err != nil {
			return nil, err
		}
	}
	check := func(s, p string) error {
		if choices == nil {
			return nil
		}
		return checkChoice(f, choices, s, p)
	}
	neg := op == opNotContain || op == opIsNot || op == opNoneOf
	if op == opContains || op == opNotContain {
		s, err := stringValue(v, vpath)
		if err != nil {
			return nil, err
		}
		if err := check(s, vpath); err != nil {
			return nil, err
		}
		one := []string{s}
		return func(cell any, _ time.Time) (bool, bool) {
			has, ok := listHasAny(cell, one)
			return has != neg, ok
		}, nil
	}
	want, err := stringList(v, vpath, op)
	if err != nil {
		return nil, err
	}
	for i, w := range want {
		if err := check(w, index(vpath, i)); err != nil {
			return nil, err
		}
	}
	if op == opIs || op == opIsNot {
		if len(want) == 0 {
			return nil, pathErr(vpath, "must not be empty (use is_empty or is_not_empty to test for an empty cell)")
		}
		return func(cell any, _ time.Time) (bool, bool) {
			same, ok := listSameSet(cell, want)
			return same != neg, ok
		}, nil
	}
	return func(cell any, _ time.Time) (bool, bool) {
		has, ok := listHasAny(cell, want)
		return has != neg, ok
	}, nil
}

// listHasAny reports whether the list cell holds an element of want. ok is
// false when cell is not a list of strings.
func listHasAny(cell any, want []string) (has, ok bool) {
	switch x := cell.(type) {
	case []string:
		for _, e := range x {
			if slices.Contains(want, e) {
				return true, true
			}
		}
		return false, true
	case []any:
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return false, false
			}
			if slices.Contains(want, s) {
				has = true
			}
		}
		return has, true
	}
	return false, false
}

// listSameSet reports whether the list cell holds exactly the elements of
// want, ignoring order and repetition.
func listSameSet(cell any, want []string) (same, ok bool) {
	n := 0
	switch x := cell.(type) {
	case []string:
		for _, e := range x {
			if !slices.Contains(want, e) {
				return false, true
			}
		}
		n = len(x)
	case []any:
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return false, false
			}
			if !slices.Contains(want, s) {
				return false, true
			}
		}
		n = len(x)
	default:
		return false, false
	}
	if n == 0 {
		return false, true
	}
	for _, w := range want {
		if !listContains(cell, w) {
			return false, true
		}
	}
	return true, true
}

// listContains reports whether the list cell (already known to be a list of
// strings) holds s.
func listContains(cell any, s string) bool {
	switch x := cell.(type) {
	case []string:
		return slices.Contains(x, s)
	case []any:
		for _, e := range x {
			if t, ok := e.(string); ok && t == s {
				return true
			}
		}
	}
	return false
}

// choiceNames reads the choice names of a select field.
func choiceNames(f field.Field, vpath string) ([]string, error) {
	var o field.SelectOptions
	if raw := bytes.TrimSpace(f.Options); len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, pathErr(vpath, "cannot read the choices of field %q: %v", f.Name, err)
		}
	}
	names := make([]string, len(o.Choices))
	for i, c := range o.Choices {
		names[i] = c.Name
	}
	return names, nil
}

// checkChoice requires s to be one of choices, exactly.
func checkChoice(f field.Field, choices []string, s, vpath string) error {
	if slices.Contains(choices, s) {
		return nil
	}
	for _, c := range choices {
		if strings.EqualFold(c, s) {
			return pathErr(vpath, "%q is not a choice of field %q; did you mean %q? (choices match case-sensitively)", s, f.Name, c)
		}
	}
	if len(choices) == 0 {
		return pathErr(vpath, "%q is not a choice of field %q, which has no choices", s, f.Name)
	}
	list := choices
	more := ""
	if len(list) > 20 {
		list, more = list[:20], ", …"
	}
	return pathErr(vpath, "%q is not a choice of field %q (choices: %s%s)", s, f.Name, strings.Join(list, ", "), more)
}
