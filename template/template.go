package template

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTokens is the most tokens one string may hold; more is an *Error (it
// bounds the work one string can cause).
const MaxTokens = 100

// Roots lists the names a token's path may start with, in documentation
// order. The slice is the caller's.
func Roots() []string {
	return []string{"trigger", "steps", "run", "now", "record", "item", "index"}
}

// Error is a syntax error in one string: Pos is the byte offset of the
// offending token or character, Msg a short sentence.
type Error struct {
	Pos int
	Msg string
}

// Error implements error as "position <pos>: <msg>".
func (e *Error) Error() string { return fmt.Sprintf("position %d: %s", e.Pos, e.Msg) }

// PathError is an error in one string of a JSON value: Path names the string
// ("steps[2].config.body.customer[2].name"), Err is the *Error of the string
// or, for Render, what went wrong there.
type PathError struct {
	Path string
	Err  error
}

// Error implements error as "<path>: <err>".
func (e *PathError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns Err, so errors.As finds the *Error.
func (e *PathError) Unwrap() error { return e.Err }

// segment is one step of a path: a key, or an index (which is also tried as
// the key of an object).
type segment struct {
	key   string
	index int // -1 when the segment is not a valid index
}

// token is one {{…}} of a string.
type token struct {
	pos  int // offset of "{{"
	path []segment
	// def is the value of `| default: <literal>`, used when the path does
	// not resolve; hasDef tells a default of null from none.
	def    any
	hasDef bool
}

// part is a literal run of text or a token.
type part struct {
	lit string
	tok *token
}

// parsed is a string split into parts.
type parsed struct {
	parts []part
	lone  *token // the token when the string is exactly one token plus blanks
}

// Check validates every token of s (see the package doc for the syntax). The
// error is an *Error.
func Check(s string) error {
	_, err := parse(s)
	return err
}

// parse splits s into literal text and tokens.
func parse(s string) (*parsed, error) {
	p := &parsed{}
	if !strings.Contains(s, "{{") {
		p.parts = []part{{lit: s}}
		return p, nil
	}
	n, i := 0, 0
	for {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			break
		}
		open := i + j
		n++
		if n > MaxTokens {
			return nil, &Error{Pos: open, Msg: fmt.Sprintf("too many tokens (at most %d per string)", MaxTokens)}
		}
		tok, end, err := lexToken(s, open)
		if err != nil {
			return nil, err
		}
		if open > i {
			p.parts = append(p.parts, part{lit: s[i:open]})
		}
		p.parts = append(p.parts, part{tok: tok})
		i = end
	}
	if i < len(s) {
		p.parts = append(p.parts, part{lit: s[i:]})
	}
	p.lone = loneToken(p.parts)
	return p, nil
}

// loneToken returns the only token of parts when every literal is blank.
func loneToken(parts []part) *token {
	var t *token
	for _, pt := range parts {
		switch {
		case pt.tok != nil && t != nil:
			return nil
		case pt.tok != nil:
			t = pt.tok
		case strings.TrimSpace(pt.lit) != "":
			return nil
		}
	}
	return t
}

// lexToken reads the token whose "{{" is at open and returns it with the
// offset just after its "}}".
func lexToken(s string, open int) (*token, int, error) {
	i := skipBlanks(s, open+2)
	if strings.HasPrefix(s[i:], "}}") {
		return nil, 0, &Error{Pos: open, Msg: "empty token"}
	}
	if i >= len(s) {
		return nil, 0, &Error{Pos: open, Msg: `unclosed "{{"`}
	}
	tok := &token{pos: open}
	rootPos := i
	root, i, err := lexIdent(s, i)
	if err != nil {
		return nil, 0, err
	}
	if !isRoot(root) {
		return nil, 0, &Error{Pos: rootPos, Msg: fmt.Sprintf("unknown root %q (want one of: %s)", root, strings.Join(Roots(), ", "))}
	}
	tok.path = append(tok.path, segment{key: root, index: -1})
	for i < len(s) && (s[i] == '.' || s[i] == '[') {
		var seg segment
		if s[i] == '.' {
			seg, i, err = lexDotSegment(s, i+1)
		} else {
			seg, i, err = lexBracket(s, i+1)
		}
		if err != nil {
			return nil, 0, err
		}
		tok.path = append(tok.path, seg)
	}
	i = skipBlanks(s, i)
	if i < len(s) && s[i] == '|' {
		if i, err = lexDefault(s, i+1, tok); err != nil {
			return nil, 0, err
		}
		i = skipBlanks(s, i)
	}
	if !strings.HasPrefix(s[i:], "}}") {
		if i >= len(s) || (i+1 == len(s) && s[i] == '}') {
			return nil, 0, &Error{Pos: open, Msg: `unclosed "{{"`}
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		return nil, 0, &Error{Pos: i, Msg: fmt.Sprintf("unexpected %q in token", r)}
	}
	switch {
	case root == "now" && len(tok.path) > 1:
		return nil, 0, &Error{Pos: rootPos, Msg: `"now" takes no path`}
	case root == "index" && len(tok.path) > 1:
		return nil, 0, &Error{Pos: rootPos, Msg: `"index" takes no path`}
	case root == "steps" && len(tok.path) < 2:
		return nil, 0, &Error{Pos: rootPos, Msg: `"steps" needs a step id, as in steps.<id>.output`}
	}
	return tok, i + 2, nil
}

// lexDefault reads `default: <literal>` after a token's "|": the literal
// is a JSON string, number, true, false or null.
func lexDefault(s string, i int, tok *token) (int, error) {
	i = skipBlanks(s, i)
	name, j, err := lexIdent(s, i)
	if err != nil || name != "default" {
		return 0, &Error{Pos: i, Msg: `want "default: <value>" after "|"`}
	}
	j = skipBlanks(s, j)
	if j >= len(s) || s[j] != ':' {
		return 0, &Error{Pos: j, Msg: `want ":" after "default"`}
	}
	j = skipBlanks(s, j+1)
	dec := json.NewDecoder(strings.NewReader(s[j:]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, &Error{Pos: j, Msg: "the default must be a JSON string, number, true, false or null"}
	}
	switch v.(type) {
	case string, json.Number, bool, nil:
	default:
		return 0, &Error{Pos: j, Msg: "the default must be a JSON string, number, true, false or null"}
	}
	tok.def, tok.hasDef = v, true
	return j + int(dec.InputOffset()), nil
}

func isRoot(s string) bool {
	switch s {
	case "trigger", "steps", "run", "now", "record", "item", "index":
		return true
	}
	return false
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// lexIdent reads an identifier at i.
func lexIdent(s string, i int) (string, int, error) {
	start := i
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		ok := r == '_' || unicode.IsLetter(r)
		if i > start {
			ok = ok || r == '-' || unicode.IsDigit(r)
		}
		if !ok || r == utf8.RuneError {
			break
		}
		i += size
	}
	if i == start {
		return "", 0, &Error{Pos: start, Msg: errWhat(s, start, "a name")}
	}
	return s[start:i], i, nil
}

// lexDotSegment reads the segment after a ".": an identifier or an index.
func lexDotSegment(s string, i int) (segment, int, error) {
	if i < len(s) && isDigit(s[i]) {
		return lexIndex(s, i)
	}
	key, end, err := lexIdent(s, i)
	if err != nil {
		return segment{}, 0, err
	}
	return segment{key: key, index: -1}, end, nil
}

// lexIndex reads a run of digits at i; a letter right after them is an error.
func lexIndex(s string, i int) (segment, int, error) {
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[i:]); r == '_' || r == '-' || unicode.IsLetter(r) {
			return segment{}, 0, &Error{Pos: start, Msg: `a name cannot start with a digit (use ["…"])`}
		}
	}
	key := s[start:i]
	idx, err := strconv.Atoi(key)
	if err != nil || len(key) > 9 {
		idx = -1
	}
	return segment{key: key, index: idx}, i, nil
}

// lexBracket reads `3]` or `"key"]` after a "[".
func lexBracket(s string, i int) (segment, int, error) {
	var seg segment
	switch {
	case i < len(s) && isDigit(s[i]):
		var err error
		if seg, i, err = lexIndex(s, i); err != nil {
			return segment{}, 0, err
		}
	case i < len(s) && s[i] == '"':
		start := i
		var b strings.Builder
		for i++; ; i++ {
			if i >= len(s) {
				return segment{}, 0, &Error{Pos: start, Msg: "unterminated quoted key"}
			}
			c := s[i]
			if c == '"' {
				break
			}
			if c == '\\' {
				if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
					return segment{}, 0, &Error{Pos: i, Msg: `only \" and \\ may be escaped in a quoted key`}
				}
				i++
				c = s[i]
			}
			b.WriteByte(c)
		}
		i++
		seg = segment{key: b.String(), index: -1}
	default:
		return segment{}, 0, &Error{Pos: i, Msg: errWhat(s, i, `an index or a quoted key after "["`)}
	}
	if i >= len(s) || s[i] != ']' {
		return segment{}, 0, &Error{Pos: i, Msg: errWhat(s, i, `"]"`)}
	}
	return seg, i + 1, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// errWhat phrases "expected <want>, found <what is at i>".
func errWhat(s string, i int, want string) string {
	if i >= len(s) {
		return "expected " + want + `, found the end of the string (unclosed "{{"?)`
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Sprintf("expected %s, found %q", want, r)
}
