package formula

import (
	"fmt"
	"strings"
)

// Bounds of a formula. See the package documentation.
const (
	MaxSourceLen = 10_000  // bytes of source
	MaxDepth     = 100     // height of the syntax tree, and nesting of parentheses
	MaxNodes     = 5_000   // nodes of the syntax tree
	MaxStringLen = 100_000 // bytes of any string a formula builds
	MaxRegexLen  = 1_000   // bytes of a REGEX_* pattern
	// MaxEvalBytes bounds the total bytes of strings built (and scanned by
	// regular expressions) during one Eval.
	MaxEvalBytes = 10_000_000
)

// SyntaxError reports a parse error at a byte offset Pos (0-based) of the
// source.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error returns "formula: <msg> at position <Pos+1>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("formula: %s at position %d", e.Msg, e.Pos+1)
}

// Expr is a compiled formula, safe for concurrent Eval.
type Expr struct {
	src  string
	root node
	refs []string
}

// Refs returns the distinct field names referenced with {Field Name}, in
// first-appearance order.
func (e *Expr) Refs() []string {
	out := make([]string, len(e.refs))
	copy(out, e.refs)
	return out
}

// String returns the source.
func (e *Expr) String() string { return e.src }

// Parse compiles src. Syntax errors are *SyntaxError.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxSourceLen {
		return nil, &SyntaxError{Pos: MaxSourceLen, Msg: fmt.Sprintf("formula too long (max %d bytes)", MaxSourceLen)}
	}
	toks, serr := lex(src)
	if serr != nil {
		return nil, serr
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, &SyntaxError{Pos: 0, Msg: "empty formula"}
	}
	root, serr := p.expr()
	if serr != nil {
		return nil, serr
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return &Expr{src: src, root: root, refs: p.refs}, nil
}

type parser struct {
	toks  []token
	i     int
	nodes int
	nest  int
	refs  []string
	seen  map[string]bool
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *SyntaxError {
	switch t.kind {
	case tEOF:
		return &SyntaxError{Pos: t.pos, Msg: "unexpected end of formula"}
	case tIdent:
		return &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("unexpected name %s", t.text)}
	}
	return &SyntaxError{Pos: t.pos, Msg: "unexpected " + t.kind.String()}
}

// add counts a new node and checks the size and height bounds; h is the
// height of its tallest child.
func (p *parser) add(pos, h int) (base, *SyntaxError) {
	p.nodes++
	if p.nodes > MaxNodes {
		return base{}, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("formula too complex (max %d nodes)", MaxNodes)}
	}
	if h+1 > MaxDepth {
		return base{}, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("formula nested too deeply (max depth %d)", MaxDepth)}
	}
	return base{pos: pos, height: h + 1}, nil
}

// enter guards the parser's own recursion (parentheses, arguments, unary
// minus) so that even nodeless nesting such as ((((1)))) is bounded.
func (p *parser) enter(pos int) *SyntaxError {
	p.nest++
	if p.nest > MaxDepth {
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("formula nested too deeply (max depth %d)", MaxDepth)}
	}
	return nil
}

func (p *parser) leave() { p.nest-- }

// Binary precedence levels, lowest first.
var levels = [][]tokKind{
	{tEq, tNe, tLt, tGt, tLe, tGe},
	{tAmp},
	{tPlus, tMinus},
	{tStar, tSlash},
}

func (p *parser) expr() (node, *SyntaxError) { return p.binary(0) }

func (p *parser) binary(level int) (node, *SyntaxError) {
	if level == len(levels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !hasKind(levels[level], t.kind) {
			return l, nil
		}
		p.advance()
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		b, err := p.add(t.pos, max(l.meta().height, r.meta().height))
		if err != nil {
			return nil, err
		}
		l = &binary{base: b, op: t.kind, l: l, r: r}
	}
}

func hasKind(ks []tokKind, k tokKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func (p *parser) unary() (node, *SyntaxError) {
	t := p.peek()
	if t.kind != tMinus {
		return p.primary()
	}
	p.advance()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	x, err := p.unary()
	p.leave()
	if err != nil {
		return nil, err
	}
	if lit, ok := x.(*literal); ok {
		if f, ok := lit.v.(float64); ok { // fold -<number>
			return &literal{base: base{pos: t.pos, height: 1}, v: 0 - f}, nil
		}
	}
	b, err := p.add(t.pos, x.meta().height)
	if err != nil {
		return nil, err
	}
	return &unary{base: b, x: x}, nil
}

func (p *parser) primary() (node, *SyntaxError) {
	t := p.advance()
	switch t.kind {
	case tNumber:
		b, err := p.add(t.pos, 0)
		if err != nil {
			return nil, err
		}
		return &literal{base: b, v: t.num}, nil
	case tString:
		b, err := p.add(t.pos, 0)
		if err != nil {
			return nil, err
		}
		return &literal{base: b, v: t.text}, nil
	case tField:
		b, err := p.add(t.pos, 0)
		if err != nil {
			return nil, err
		}
		if !p.seen[t.text] {
			if p.seen == nil {
				p.seen = map[string]bool{}
			}
			p.seen[t.text] = true
			p.refs = append(p.refs, t.text)
		}
		return &fieldRef{base: b, name: t.text}, nil
	case tIdent:
		if p.peek().kind == tLParen {
			return p.call(t)
		}
		switch strings.ToUpper(t.text) {
		case "TRUE", "FALSE":
			b, err := p.add(t.pos, 0)
			if err != nil {
				return nil, err
			}
			return &literal{base: b, v: strings.EqualFold(t.text, "TRUE")}, nil
		}
		if _, ok := registry[strings.ToUpper(t.text)]; ok {
			return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("missing '(' after function %s", t.text)}
		}
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("unknown name %s (field references are written {%s})", t.text, t.text)}
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		x, err := p.expr()
		p.leave()
		if err != nil {
			return nil, err
		}
		if c := p.advance(); c.kind != tRParen {
			return nil, p.expected("')'", c)
		}
		return x, nil
	}
	return nil, p.unexpected(t)
}

func (p *parser) expected(what string, t token) *SyntaxError {
	got := t.kind.String()
	if t.kind == tIdent {
		got = "name " + t.text
	}
	return &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("expected %s, found %s", what, got)}
}

// call parses NAME(args...); name is the identifier token, the '(' is next.
func (p *parser) call(name token) (node, *SyntaxError) {
	def, ok := registry[strings.ToUpper(name.text)]
	if !ok {
		return nil, &SyntaxError{Pos: name.pos, Msg: fmt.Sprintf("unknown function %s", name.text)}
	}
	open := p.advance() // '('
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	var args []node
	h := 0
	if p.peek().kind == tRParen {
		p.advance()
	} else {
		for {
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			h = max(h, a.meta().height)
			t := p.advance()
			if t.kind == tRParen {
				break
			}
			if t.kind != tComma {
				return nil, p.expected("',' or ')'", t)
			}
		}
	}
	p.leave()
	if len(args) < def.min || (def.max >= 0 && len(args) > def.max) {
		return nil, &SyntaxError{Pos: name.pos, Msg: arityMsg(def, len(args))}
	}
	if def.check != nil {
		if err := def.check(args); err != nil {
			return nil, err
		}
	}
	b, err := p.add(name.pos, h)
	if err != nil {
		return nil, err
	}
	return &call{base: b, name: name.text, def: def, args: args}, nil
}

func arityMsg(def *funcDef, n int) string {
	var want string
	switch {
	case def.min == def.max:
		want = plural(def.min, "argument")
	case def.max < 0:
		want = "at least " + plural(def.min, "argument")
	default:
		want = fmt.Sprintf("%d to %d arguments", def.min, def.max)
	}
	return fmt.Sprintf("%s expects %s, got %d", def.name, want, n)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
