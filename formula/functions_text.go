package formula

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// textFuncs are the text functions. Positions and lengths count Unicode
// code points (runes), 1-based as in Airtable.
var textFuncs = map[string]funcDef{
	"LEN":           {min: 1, max: 1, fn: fnLen},
	"LOWER":         {min: 1, max: 1, fn: fnLower},
	"UPPER":         {min: 1, max: 1, fn: fnUpper},
	"TRIM":          {min: 1, max: 1, fn: fnTrim},
	"CONCATENATE":   {min: 1, max: variadic, fn: fnConcatenate},
	"ARRAYJOIN":     {min: 1, max: 2, fn: fnArrayJoin},
	"FIND":          {min: 2, max: 3, fn: fnFind},
	"SEARCH":        {min: 2, max: 3, fn: fnSearch},
	"LEFT":          {min: 2, max: 2, fn: fnLeft},
	"RIGHT":         {min: 2, max: 2, fn: fnRight},
	"MID":           {min: 3, max: 3, fn: fnMid},
	"SUBSTITUTE":    {min: 3, max: 4, fn: fnSubstitute},
	"REPT":          {min: 2, max: 2, fn: fnRept},
	"VALUE":         {min: 1, max: 1, fn: fnValue},
	"REGEX_MATCH":   {min: 2, max: 2, fn: fnRegexMatch, check: checkRegexArg},
	"REGEX_EXTRACT": {min: 2, max: 2, fn: fnRegexExtract, check: checkRegexArg},
	"REGEX_REPLACE": {min: 3, max: 3, fn: fnRegexReplace, check: checkRegexArg},
}

func fnLen(_ *evaluator, args []any) (any, error) {
	return float64(utf8.RuneCountInString(toString(args[0]))), nil
}

func fnLower(ev *evaluator, args []any) (any, error) {
	return ev.str(strings.ToLower(toString(args[0])))
}

func fnUpper(ev *evaluator, args []any) (any, error) {
	return ev.str(strings.ToUpper(toString(args[0])))
}

// TRIM removes leading and trailing white space.
func fnTrim(ev *evaluator, args []any) (any, error) {
	return ev.str(strings.TrimSpace(toString(args[0])))
}

func fnConcatenate(ev *evaluator, args []any) (any, error) {
	parts := make([]string, len(args))
	n := 0
	for i, a := range args {
		parts[i] = toString(a)
		n += len(parts[i])
		if n > MaxStringLen {
			break
		}
	}
	if err := ev.reserve(n); err != nil {
		return nil, err
	}
	return strings.Join(parts, ""), nil
}

// ARRAYJOIN(list, separator?) joins the items of a list (a single value is
// a list of one) with separator, ", " by default.
func fnArrayJoin(ev *evaluator, args []any) (any, error) {
	items := flatten(nil, args[0])
	sep := ", "
	if len(args) > 1 {
		sep = toString(args[1])
	}
	parts := make([]string, len(items))
	n := 0
	for i, it := range items {
		parts[i] = toString(it)
		n += len(parts[i]) + len(sep)
		if n > MaxStringLen+len(sep) {
			break
		}
	}
	if len(items) > 0 {
		n -= len(sep)
	}
	if err := ev.reserve(n); err != nil {
		return nil, err
	}
	return strings.Join(parts, sep), nil
}

// argInt converts argument i of fn to an integer (truncated toward zero,
// clamped to ±2^40 so that no conversion can overflow).
func argInt(fn string, v any) (int, error) {
	f, err := toNumber(v)
	if err != nil {
		return 0, evalErrf("%s: %s", fn, err.(*EvalError).Msg)
	}
	const lim = 1 << 40
	f = math.Trunc(f)
	if f > lim {
		f = lim
	} else if f < -lim {
		f = -lim
	}
	return int(f), nil
}

// runeOffset returns the byte offset of rune n of s (len(s) past the end).
func runeOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}

// FIND(needle, haystack, start?) is the 1-based position of needle in
// haystack at or after position start, or 0.
func fnFind(_ *evaluator, args []any) (any, error) {
	pos, err := find("FIND", args, false)
	if err != nil {
		return nil, err
	}
	return float64(pos), nil
}

// SEARCH is FIND ignoring case, BLANK (not 0) when not found.
func fnSearch(_ *evaluator, args []any) (any, error) {
	pos, err := find("SEARCH", args, true)
	if err != nil || pos == 0 {
		return nil, err
	}
	return float64(pos), nil
}

func find(fn string, args []any, fold bool) (int, error) {
	needle, hay := toString(args[0]), toString(args[1])
	start := 1
	if len(args) > 2 && args[2] != nil {
		var err error
		if start, err = argInt(fn, args[2]); err != nil {
			return 0, err
		}
		start = max(start, 1)
	}
	if fold {
		// Per-rune mapping keeps rune positions aligned.
		needle = strings.Map(unicode.ToLower, needle)
		hay = strings.Map(unicode.ToLower, hay)
	}
	off := runeOffset(hay, start-1)
	if off == len(hay) && needle != "" {
		return 0, nil
	}
	i := strings.Index(hay[off:], needle)
	if i < 0 {
		return 0, nil
	}
	return utf8.RuneCountInString(hay[:off+i]) + 1, nil
}

// LEFT(s, n): the first n characters.
func fnLeft(ev *evaluator, args []any) (any, error) {
	s := toString(args[0])
	n, err := argInt("LEFT", args[1])
	if err != nil {
		return nil, err
	}
	return ev.str(s[:runeOffset(s, n)])
}

// RIGHT(s, n): the last n characters.
func fnRight(ev *evaluator, args []any) (any, error) {
	s := toString(args[0])
	n, err := argInt("RIGHT", args[1])
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return "", nil
	}
	total := utf8.RuneCountInString(s)
	return ev.str(s[runeOffset(s, total-n):])
}

// MID(s, start, count): count characters from the 1-based position start
// (start below 1 counts from 1).
func fnMid(ev *evaluator, args []any) (any, error) {
	s := toString(args[0])
	start, err := argInt("MID", args[1])
	if err != nil {
		return nil, err
	}
	count, err := argInt("MID", args[2])
	if err != nil {
		return nil, err
	}
	if count <= 0 {
		return "", nil
	}
	from := runeOffset(s, max(start, 1)-1)
	to := from + runeOffset(s[from:], count)
	return ev.str(s[from:to])
}

// SUBSTITUTE(s, old, new, index?) replaces every occurrence of old, or only
// the index-th one (1-based) when index is given.
func fnSubstitute(ev *evaluator, args []any) (any, error) {
	s, old, repl := toString(args[0]), toString(args[1]), toString(args[2])
	if old == "" {
		return ev.str(s)
	}
	if len(args) > 3 && args[3] != nil {
		idx, err := argInt("SUBSTITUTE", args[3])
		if err != nil {
			return nil, err
		}
		if idx < 1 {
			return nil, evalErrf("SUBSTITUTE: index must be 1 or more, got %d", idx)
		}
		off := 0
		for k := 1; ; k++ {
			i := strings.Index(s[off:], old)
			if i < 0 {
				return ev.str(s) // fewer than idx occurrences
			}
			if k == idx {
				at := off + i
				if err := ev.reserve(len(s) - len(old) + len(repl)); err != nil {
					return nil, err
				}
				return s[:at] + repl + s[at+len(old):], nil
			}
			off += i + len(old)
		}
	}
	n := strings.Count(s, old)
	if err := ev.reserve(len(s) + n*(len(repl)-len(old))); err != nil {
		return nil, err
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// REPT(s, n): s repeated n times (n ≤ 0 gives "").
func fnRept(ev *evaluator, args []any) (any, error) {
	s := toString(args[0])
	n, err := argInt("REPT", args[1])
	if err != nil {
		return nil, err
	}
	if n <= 0 || s == "" {
		return "", nil
	}
	if n > MaxStringLen/len(s) {
		return nil, evalErrf("string too long (max %d bytes)", MaxStringLen)
	}
	if err := ev.reserve(len(s) * n); err != nil {
		return nil, err
	}
	return strings.Repeat(s, n), nil
}

// VALUE converts text to a number. Text that is not a plain number is read
// leniently, ignoring everything but digits, '.' and a leading '-' (so
// "$1,000.50" is 1000.5); text without digits is BLANK.
func fnValue(_ *evaluator, args []any) (any, error) {
	switch x := args[0].(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case bool:
		return b2f(x), nil
	case time.Time:
		return nil, &EvalError{Msg: "VALUE: expected text, got a date"}
	}
	s := toString(args[0])
	if f, ok := parseNumber(s); ok {
		return f, nil
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.':
			b.WriteRune(r)
		case r == '-' && b.Len() == 0:
			b.WriteRune(r)
		}
	}
	if f, ok := parseNumber(b.String()); ok {
		return f, nil
	}
	return nil, nil
}

// regexCache keeps compiled patterns (bounded: cleared when full).
var regexCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const regexCacheSize = 256

// compileRegex compiles a REGEX_* pattern (Go RE2 syntax: linear time).
func compileRegex(p string) (*regexp.Regexp, error) {
	if len(p) > MaxRegexLen {
		return nil, fmt.Errorf("regular expression too long (max %d bytes)", MaxRegexLen)
	}
	regexCache.Lock()
	re, ok := regexCache.m[p]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		return nil, fmt.Errorf("invalid regular expression: %s", msg)
	}
	regexCache.Lock()
	if regexCache.m == nil || len(regexCache.m) >= regexCacheSize {
		regexCache.m = make(map[string]*regexp.Regexp, regexCacheSize)
	}
	regexCache.m[p] = re
	regexCache.Unlock()
	return re, nil
}

// checkRegexArg rejects an invalid literal pattern at parse time.
func checkRegexArg(args []node) *SyntaxError {
	if p, ok := literalString(args[1]); ok {
		if _, err := compileRegex(p); err != nil {
			return &SyntaxError{Pos: args[1].meta().pos, Msg: err.Error()}
		}
	}
	return nil
}

// regexArgs returns the subject and the compiled pattern, charging the
// subject's length to the evaluation budget.
func regexArgs(ev *evaluator, fn string, args []any) (string, *regexp.Regexp, error) {
	s := toString(args[0])
	re, err := compileRegex(toString(args[1]))
	if err != nil {
		return "", nil, evalErrf("%s: %s", fn, err)
	}
	if err := ev.charge(len(s) + 1); err != nil {
		return "", nil, err
	}
	return s, re, nil
}

// REGEX_MATCH(s, pattern): whether pattern matches somewhere in s.
func fnRegexMatch(ev *evaluator, args []any) (any, error) {
	s, re, err := regexArgs(ev, "REGEX_MATCH", args)
	if err != nil {
		return nil, err
	}
	return re.MatchString(s), nil
}

// REGEX_EXTRACT(s, pattern): the first match, or BLANK.
func fnRegexExtract(ev *evaluator, args []any) (any, error) {
	s, re, err := regexArgs(ev, "REGEX_EXTRACT", args)
	if err != nil {
		return nil, err
	}
	loc := re.FindStringIndex(s)
	if loc == nil {
		return nil, nil
	}
	return s[loc[0]:loc[1]], nil
}

// REGEX_REPLACE(s, pattern, replacement) replaces every match. In the
// replacement, as in JavaScript: $1..$99 a group, $<name> a named group,
// $& the match, $$ a dollar sign.
func fnRegexReplace(ev *evaluator, args []any) (any, error) {
	s, re, err := regexArgs(ev, "REGEX_REPLACE", args)
	if err != nil {
		return nil, err
	}
	tmpl := parseTemplate(re, toString(args[2]))
	var b strings.Builder
	last := 0
	add := func(piece string) error {
		if b.Len()+len(piece) > MaxStringLen {
			return evalErrf("string too long (max %d bytes)", MaxStringLen)
		}
		b.WriteString(piece)
		return nil
	}
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if err := add(s[last:m[0]]); err != nil {
			return nil, err
		}
		for _, p := range tmpl {
			piece := p.lit
			if p.group >= 0 && m[2*p.group] >= 0 {
				piece = s[m[2*p.group]:m[2*p.group+1]]
			}
			if err := add(piece); err != nil {
				return nil, err
			}
		}
		last = m[1]
	}
	if err := add(s[last:]); err != nil {
		return nil, err
	}
	return ev.str(b.String())
}

// tmplPart is a literal (group < 0) or a capture group of a replacement.
type tmplPart struct {
	lit   string
	group int
}

func parseTemplate(re *regexp.Regexp, t string) []tmplPart {
	var parts []tmplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, tmplPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	group := func(g int) {
		flush()
		parts = append(parts, tmplPart{group: g})
	}
	n := re.NumSubexp()
	for i := 0; i < len(t); i++ {
		if t[i] != '$' || i+1 >= len(t) {
			lit.WriteByte(t[i])
			continue
		}
		c := t[i+1]
		switch {
		case c == '$':
			lit.WriteByte('$')
			i++
		case c == '&':
			group(0)
			i++
		case isDigit(c):
			g := int(c - '0')
			adv := 1
			if i+2 < len(t) && isDigit(t[i+2]) {
				if g2 := g*10 + int(t[i+2]-'0'); g2 >= 1 && g2 <= n {
					g, adv = g2, 2
				}
			}
			if g >= 1 && g <= n {
				group(g)
				i += adv
			} else {
				lit.WriteByte('$')
			}
		case c == '<':
			end := strings.IndexByte(t[i+2:], '>')
			if end >= 0 {
				if g := re.SubexpIndex(t[i+2 : i+2+end]); g > 0 {
					group(g)
					i += 2 + end
					continue
				}
			}
			lit.WriteByte('$')
		default:
			lit.WriteByte('$')
		}
	}
	flush()
	return parts
}
