package formula

// logicFuncs are the logical functions. IF, AND, OR and SWITCH evaluate
// their arguments lazily (left to right, stopping as soon as the result is
// known).
var logicFuncs = map[string]funcDef{
	"IF":     {min: 2, max: 3, lazy: fnIf},
	"SWITCH": {min: 2, max: variadic, lazy: fnSwitch},
	"AND":    {min: 1, max: variadic, lazy: fnAnd},
	"OR":     {min: 1, max: variadic, lazy: fnOr},
	"XOR":    {min: 1, max: variadic, fn: fnXor},
	"NOT":    {min: 1, max: 1, fn: fnNot},
	"BLANK":  {min: 0, max: 0, fn: fnBlank},
	"TRUE":   {min: 0, max: 0, fn: fnTrue},
	"FALSE":  {min: 0, max: 0, fn: fnFalse},
}

// IF(cond, then, else?): else defaults to BLANK.
func fnIf(ev *evaluator, args []node) (any, error) {
	c, err := args[0].eval(ev)
	if err != nil {
		return nil, err
	}
	if Truthy(c) {
		return args[1].eval(ev)
	}
	if len(args) > 2 {
		return args[2].eval(ev)
	}
	return nil, nil
}

// SWITCH(expr, pattern1, result1, ..., default?): the result of the first
// pattern equal to expr (= rules), else default, else BLANK.
func fnSwitch(ev *evaluator, args []node) (any, error) {
	v, err := args[0].eval(ev)
	if err != nil {
		return nil, err
	}
	rest := args[1:]
	for len(rest) >= 2 {
		p, err := rest[0].eval(ev)
		if err != nil {
			return nil, err
		}
		if equal(v, p) {
			return rest[1].eval(ev)
		}
		rest = rest[2:]
	}
	if len(rest) == 1 {
		return rest[0].eval(ev)
	}
	return nil, nil
}

// AND(...): TRUE if every argument is truthy.
func fnAnd(ev *evaluator, args []node) (any, error) {
	for _, a := range args {
		v, err := a.eval(ev)
		if err != nil {
			return nil, err
		}
		if !Truthy(v) {
			return false, nil
		}
	}
	return true, nil
}

// OR(...): TRUE if any argument is truthy.
func fnOr(ev *evaluator, args []node) (any, error) {
	for _, a := range args {
		v, err := a.eval(ev)
		if err != nil {
			return nil, err
		}
		if Truthy(v) {
			return true, nil
		}
	}
	return false, nil
}

// XOR(...): TRUE if an odd number of arguments are truthy.
func fnXor(_ *evaluator, args []any) (any, error) {
	odd := false
	for _, v := range args {
		if Truthy(v) {
			odd = !odd
		}
	}
	return odd, nil
}

func fnNot(_ *evaluator, args []any) (any, error) { return !Truthy(args[0]), nil }
func fnBlank(*evaluator, []any) (any, error)      { return nil, nil }
func fnTrue(*evaluator, []any) (any, error)       { return true, nil }
func fnFalse(*evaluator, []any) (any, error)      { return false, nil }
