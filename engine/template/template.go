package template

import (
	"fmt"
	"sort"
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
func Roots() []string { return []string{"trigger", "steps", "run", "now", "record"} }

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
	case root == "steps" && len(tok.path) < 2:
		return nil, 0, &Error{Pos: rootPos, Msg: `"steps" needs a step id, as in steps.<id>.output`}
	}
	return tok, i + 2, nil
}

func isRoot(s string) bool {
	switch s {
	case "trigger", "steps", "run", "now", "record":
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

// CheckValue runs Check on every string of v (map keys included), walking
// map[string]any, []any, map[string]string and []string; other values are
// ignored. The first problem (maps walked in key order) is a *PathError whose
// Path is basePath plus the place of the string, e.g. "steps[2].config" +
// ".body.customer[2].name".
func CheckValue(v any, basePath string) error {
	return walkStrings(v, basePath, func(s, path string) error {
		if err := Check(s); err != nil {
			return &PathError{Path: path, Err: err}
		}
		return nil
	})
}

// StepRefs returns the step ids that v's tokens reference as
// {{steps.<id>…}}, each once, in order of first appearance (maps walked in
// key order). Strings that fail Check are skipped: CheckValue reports them.
// Callers use it to require that a step only references earlier steps.
func StepRefs(v any) []string {
	var ids []string
	seen := map[string]bool{}
	_ = walkStrings(v, "", func(s, _ string) error {
		p, err := parse(s)
		if err != nil {
			return nil
		}
		for _, pt := range p.parts {
			if pt.tok == nil || pt.tok.path[0].key != "steps" {
				continue
			}
			if id := pt.tok.path[1].key; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return nil
	})
	return ids
}

// walkStrings calls fn for every string of v with its path, stopping at the
// first error.
func walkStrings(v any, path string, fn func(s, path string) error) error {
	switch x := v.(type) {
	case string:
		return fn(x, path)
	case []any:
		for i, e := range x {
			if err := walkStrings(e, indexPath(path, i), fn); err != nil {
				return err
			}
		}
	case []string:
		for i, e := range x {
			if err := fn(e, indexPath(path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			if err := fn(k, kp); err != nil {
				return err
			}
			if err := walkStrings(x[k], kp, fn); err != nil {
				return err
			}
		}
	case map[string]string:
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			if err := fn(k, kp); err != nil {
				return err
			}
			if err := fn(x[k], kp); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// keyPath appends an object key to path: ".name" for identifiers,
// `["any key"]` otherwise.
func keyPath(path, key string) string {
	if isPlainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (isDigit(c) || c == '-')) {
			return false
		}
	}
	return true
}
