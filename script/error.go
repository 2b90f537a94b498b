package script

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"modernc.org/quickjs"
)

// Kinds of Error.
const (
	KindSyntax   = "syntax"   // the code does not parse
	KindThrown   = "error"    // the script threw (or a promise it awaited rejected)
	KindTimeout  = "timeout"  // it ran longer than its timeout
	KindMemory   = "memory"   // it ran out of memory
	KindLimit    = "limit"    // code or input too large, a promise that never settles
	KindCanceled = "canceled" // the caller's context ended (shutdown)
	KindInternal = "internal" // the engine failed (a panic); the VM was dropped
)

// Error is a failed execution: what happened, the script's message, and
// where in the script when QuickJS says (1-based line and column of the
// user's code; 0 when unknown).
type Error struct {
	Kind    string
	Message string
	Line    int
	Column  int
}

// Error implements error: the message and " (line L, column C)".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d, column %d)", e.Message, e.Line, e.Column)
	}
	return e.Message
}

// wrapPrefix opens the async function the code runs in; it is on the same
// line as the code's first line, so only that line's columns shift.
const wrapPrefix = "(async () => {"

// frameRe matches a stack frame of evaluated code: "at name (<eval>:3:7)"
// or "at <eval>:3:7".
var frameRe = regexp.MustCompile(`at (?:(\S+) \()?<eval>:(\d+):(\d+)`)

// placeOf returns the script's line and column of the innermost frame of
// stack that is the user's code: frames of the prelude (functions named
// rowflow$…) and native frames are skipped.
func placeOf(stack string, codeLines int) (line, col int) {
	for _, fr := range strings.Split(stack, "\n") {
		m := frameRe.FindStringSubmatch(fr)
		if m == nil || strings.HasPrefix(m[1], "rowflow$") {
			continue
		}
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		if l > codeLines+1 {
			continue
		}
		return userPlace(l, c)
	}
	return 0, 0
}

// userPlace converts a place in the wrapped code to one in the user's.
func userPlace(line, col int) (int, int) {
	if line == 1 {
		col -= len(wrapPrefix)
		if col < 1 {
			col = 1
		}
	}
	return line, col
}

// fromJS turns a QuickJS error into an *Error of kind.
func fromJS(err error, kind string, codeLines int) *Error {
	var qe *quickjs.Error
	if !errors.As(err, &qe) {
		return &Error{Kind: kind, Message: err.Error()}
	}
	msg := qe.Error()
	if msg == "" {
		msg = "the script threw a value that is not an Error"
	}
	e := &Error{Kind: kind, Message: msg}
	if kind == KindSyntax && qe.LineNumber > 0 {
		// The code's own parse error; a SyntaxError thrown at run time
		// (JSON.parse, eval) has the place of the text it parsed there,
		// so its place in the script comes from the stack.
		e.Line, e.Column = userPlace(qe.LineNumber, qe.ColumnNumber)
	} else {
		e.Line, e.Column = placeOf(qe.Stack, codeLines)
	}
	if kind == KindThrown && strings.Contains(msg, "out of memory") {
		e.Kind = KindMemory
	}
	return e
}

// isInterrupt reports whether err is QuickJS's interrupt (timeout or
// Interrupt).
func isInterrupt(err error) bool {
	var qe *quickjs.Error
	return errors.As(err, &qe) && qe.Name == "InternalError" && qe.Message == "interrupted"
}
