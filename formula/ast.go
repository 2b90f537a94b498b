package formula

// node is one node of the compiled syntax tree. Nodes are immutable after
// Parse, so an Expr can be evaluated by many goroutines at once.
type node interface {
	// eval computes the node's runtime value (see value.go for the forms).
	eval(ev *evaluator) (any, error)
	// meta returns the source offset and the height of the subtree (a leaf
	// is 1).
	meta() base
}

// base is embedded in every node.
type base struct {
	pos    int // byte offset in the source
	height int // 1 for leaves
}

func (b base) meta() base { return b }

// literal is a number, string or boolean constant. The value is boxed
// once at parse time so evaluation does not allocate.
type literal struct {
	base
	v any
}

// fieldRef is {Field Name}.
type fieldRef struct {
	base
	name string
}

// unary is -x.
type unary struct {
	base
	x node
}

// binary is l op r for the arithmetic, concatenation and comparison
// operators.
type binary struct {
	base
	op   tokKind
	l, r node
}

// call is NAME(args...). def is resolved and the argument count checked at
// parse time.
type call struct {
	base
	name string // as written in the source
	def  *funcDef
	args []node
}
