package condition

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rowflow/rowflow/field"
)

// compileText builds the operators of text, long_text, email, url and phone
// fields. Equality ignores case and surrounding blanks; contains is a
// case-insensitive substring test.
func compileText(_ field.Field, op string, v any, vpath string) (predicate, error) {
	neg := op == opIsNot || op == opNotContain || op == opNoneOf
	switch op {
	case opIs, opIsNot:
		s, err := stringValue(v, vpath)
		if err != nil {
			return nil, err
		}
		want := strings.TrimSpace(s)
		return func(cell any, _ time.Time) (bool, bool) {
			c, ok := cell.(string)
			if !ok {
				return false, false
			}
			return strings.EqualFold(strings.TrimSpace(c), want) != neg, true
		}, nil
	case opContains, opNotContain:
		s, err := stringValue(v, vpath)
		if err != nil {
			return nil, err
		}
		sub := strings.ToLower(s)
		return func(cell any, _ time.Time) (bool, bool) {
			c, ok := cell.(string)
			if !ok {
				return false, false
			}
			return containsFold(c, sub) != neg, true
		}, nil
	default: // opAnyOf, opNoneOf
		list, err := stringList(v, vpath, op)
		if err != nil {
			return nil, err
		}
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
		return func(cell any, _ time.Time) (bool, bool) {
			c, ok := cell.(string)
			if !ok {
				return false, false
			}
			c = strings.TrimSpace(c)
			for _, w := range list {
				if strings.EqualFold(c, w) {
					return !neg, true
				}
			}
			return neg, true
		}, nil
	}
}

// containsFold reports whether s contains sub ignoring case; sub is already
// lower case. ASCII text is searched without allocating.
func containsFold(s, sub string) bool {
	if !isASCII(s) || !isASCII(sub) {
		return strings.Contains(strings.ToLower(s), sub)
	}
	n := len(sub)
	if n == 0 {
		return true
	}
	first := sub[0]
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
