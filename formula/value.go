package formula

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rowflow/rowflow/field"
)

// Runtime values are nil (BLANK), string, float64, bool, time.Time and
// []any (a list of the other forms, never nested). The functions below
// convert between them; the rules are summarized in doc.go.

// Truthy is Airtable's truthiness: nil, "", 0, false, empty list → false;
// everything else true. It also accepts the raw forms an Env may hand out
// (json.Number, Go integers, []string).
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	case bool:
		return x
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case json.Number:
		if f, ok := parseNumber(string(x)); ok {
			return f != 0
		}
		return x != ""
	case int:
		return x != 0
	case int64:
		return x != 0
	case int32:
		return x != 0
	case float32:
		return x != 0 && !math.IsNaN(float64(x))
	case uint:
		return x != 0
	case uint64:
		return x != 0
	case uint32:
		return x != 0
	}
	return true
}

// normalize turns a raw Go value into a runtime value. Lists are
// flattened to one level.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, time.Time:
		return x
	case float64:
		return num(x)
	case json.Number:
		if f, ok := parseNumber(string(x)); ok {
			return f
		}
		return string(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int16:
		return float64(x)
	case int8:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint8:
		return float64(x)
	case float32:
		return num(float64(x))
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			switch n := normalize(e).(type) {
			case []any:
				out = append(out, n...)
			default:
				out = append(out, n)
			}
		}
		return out
	}
	return fmt.Sprint(v)
}

// fieldValue converts a canonical cell value of type t (see package
// field) into a runtime value.
func fieldValue(raw any, t field.Type) any {
	v := normalize(raw)
	switch t {
	case field.Number:
		if s, ok := v.(string); ok {
			if f, ok := parseNumber(s); ok {
				return f
			}
		}
	case field.Checkbox:
		switch x := v.(type) {
		case nil:
			return false // an unchecked box is stored as absent
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b
			}
		case float64:
			return x != 0
		}
	case field.Date, field.DateTime:
		if s, ok := v.(string); ok {
			if tm, ok := parseDate(s); ok {
				return tm
			}
		}
	case field.MultiSelect, field.LinkToRecord:
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				return nil
			}
		case string:
			if x == "" {
				return nil
			}
			return []any{x}
		}
	case field.Button:
		return nil
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return nil
	}
	return v
}

// num normalizes -0 to 0.
func num(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// parseNumber parses a decimal number: optional sign, digits with an
// optional fraction, optional exponent, surrounding spaces allowed. It
// rejects NaN, infinities, hex and out-of-range values.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return num(f), true
}

// dateLayouts are the string forms accepted where a date is expected.
// Layouts without an offset are read in UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseDate parses RFC 3339 or YYYY-MM-DD (and a few local forms, in UTC).
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formatNumber formats like Airtable (JavaScript): integers without a
// fraction, otherwise the shortest form that reads back the same, with an
// exponent only beyond 1e21 or below 1e-6.
func formatNumber(f float64) string {
	a := math.Abs(f)
	if a != 0 && (a >= 1e21 || a < 1e-6) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes e-07, JavaScript e-7.
		if i := strings.IndexByte(s, 'e'); i >= 0 && i+3 < len(s) && s[i+2] == '0' {
			s = s[:i+2] + s[i+3:]
		}
		return s
	}
	return strconv.FormatFloat(num(f), 'f', -1, 64)
}

// toString converts a value for string context: BLANK is "", numbers as
// formatNumber, booleans "1"/"0" (as Airtable, where TRUE is 1), dates
// in the default DATETIME_FORMAT form, lists joined with ", ".
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return formatNumber(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		s, _ := formatMoment(x, defaultDateFormat, MaxStringLen)
		return s
	case []any:
		var b strings.Builder
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(toString(e))
		}
		return b.String()
	}
	return toString(normalize(v))
}

// describe names a value in an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "BLANK"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case time.Time:
		return "a date"
	case []any:
		return "a list"
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	}
	return toString(v)
}

// toNumber converts a value for numeric context: BLANK and "" are 0,
// booleans 1/0, numeric strings their number, a list of one element that
// element. Anything else (text, dates, longer lists) is an error.
func toNumber(v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return 0, nil
		}
		if f, ok := parseNumber(x); ok {
			return f, nil
		}
	case []any:
		switch len(x) {
		case 0:
			return 0, nil
		case 1:
			return toNumber(x[0])
		}
	case time.Time:
		return 0, &EvalError{Msg: "expected a number, got a date (use DATEADD or DATETIME_DIFF for date arithmetic)"}
	}
	return 0, &EvalError{Msg: "expected a number, got " + describe(v)}
}

// toTime converts a value where a date is expected. blank reports BLANK
// (nil or ""), which date functions pass through as BLANK.
func toTime(v any) (t time.Time, blank bool, err error) {
	switch x := v.(type) {
	case nil:
		return t, true, nil
	case time.Time:
		return x, false, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return t, true, nil
		}
		if t, ok := parseDate(x); ok {
			return t, false, nil
		}
	case []any:
		switch len(x) {
		case 0:
			return t, true, nil
		case 1:
			return toTime(x[0])
		}
	}
	return t, false, &EvalError{Msg: "expected a date, got " + describe(v)}
}

// blankish normalizes a value for comparison: "" and empty lists are
// BLANK, a one-element list is its element, longer lists their text.
func blankish(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
	case []any:
		switch len(x) {
		case 0:
			return nil
		case 1:
			return blankish(x[0])
		}
		return toString(x)
	}
	return v
}

// compare orders a and b. ok is false when they are not comparable (then
// = is false, != is true and the ordering operators are false).
//
// Rules: BLANK ("" and empty lists included) equals BLANK, 0 and FALSE,
// and sorts as 0 against numbers and as "" against text; it is not
// comparable with a date. Numbers and booleans compare numerically; a
// number and a numeric string too, otherwise as text. Dates compare as
// instants, also with a string that parses as a date. Text compares
// case-sensitively, byte by byte.
func compare(a, b any) (c int, ok bool) {
	a, b = blankish(a), blankish(b)
	if a == nil && b == nil {
		return 0, true
	}
	if a == nil || b == nil {
		other, sign := b, 1
		if b == nil {
			other, sign = a, -1
		}
		switch x := other.(type) {
		case float64:
			return sign * cmpFloat(0, x), true
		case bool:
			return sign * cmpFloat(0, b2f(x)), true
		case string:
			return sign * -1, true // "" sorts before any non-empty text
		}
		return 0, false
	}
	switch x := a.(type) {
	case float64:
		return cmpNumberWith(x, b)
	case bool:
		return cmpNumberWith(b2f(x), b)
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if t, ok := parseDate(y); ok {
				return x.Compare(t), true
			}
		}
		return 0, false
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case float64, bool:
			c, ok := compare(b, a)
			return -c, ok
		case time.Time:
			c, ok := compare(b, a)
			return -c, ok
		}
	}
	return 0, false
}

func cmpNumberWith(x float64, b any) (int, bool) {
	switch y := b.(type) {
	case float64:
		return cmpFloat(x, y), true
	case bool:
		return cmpFloat(x, b2f(y)), true
	case string:
		if f, ok := parseNumber(y); ok {
			return cmpFloat(x, f), true
		}
		return strings.Compare(formatNumber(x), y), true
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// equal is the = operator (and SWITCH matching).
func equal(a, b any) bool {
	c, ok := compare(a, b)
	return ok && c == 0
}

// flatten appends v to dst, spreading lists.
func flatten(dst []any, v any) []any {
	if l, ok := v.([]any); ok {
		return append(dst, l...)
	}
	return append(dst, v)
}
