package formula

import (
	"sort"
)

// funcDef describes one function of the language. Each functions_*.go
// file lists its functions in a map, name → funcDef, so adding a function
// is one line there plus its implementation.
type funcDef struct {
	name     string // upper case; set by init
	min, max int    // argument count; max < 0 means variadic
	// fn gets the evaluated arguments; lazy (IF, AND, ...) gets the
	// argument nodes and evaluates what it needs. Exactly one is set.
	fn   func(ev *evaluator, args []any) (any, error)
	lazy func(ev *evaluator, args []node) (any, error)
	// check optionally validates constant arguments at parse time (a
	// literal regular expression or date unit).
	check func(args []node) *SyntaxError
}

// variadic is funcDef.max for functions taking any number of arguments.
const variadic = -1

// registry maps upper-case function names to their definitions.
var registry = map[string]*funcDef{}

func init() {
	for _, group := range []map[string]funcDef{logicFuncs, textFuncs, mathFuncs, dateFuncs} {
		for name, d := range group {
			if _, dup := registry[name]; dup {
				panic("formula: function registered twice: " + name)
			}
			if (d.fn == nil) == (d.lazy == nil) {
				panic("formula: function needs exactly one of fn and lazy: " + name)
			}
			d.name = name
			registry[name] = &d
		}
	}
}

// Functions returns the names of the supported functions (sorted), for
// docs and validation.
func Functions() []string {
	out := make([]string, 0, len(registry))
	for name := range registry {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// literalString returns the value of a string literal argument.
func literalString(n node) (string, bool) {
	if l, ok := n.(*literal); ok {
		s, ok := l.v.(string)
		return s, ok
	}
	return "", false
}
