package formula

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rowflow/rowflow/field"
)

var testClock = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// testEnv is the record the eval table runs against.
func testEnv() MapEnv {
	return MapEnv{
		Values: map[string]any{
			"Status":  "Done",
			"Name":    "  Ada Lovelace  ",
			"Amount":  json.Number("150.5"),
			"Zero":    0.0,
			"Done":    true,
			"Due":     "2026-01-31",
			"At":      "2026-03-01T10:20:30Z",
			"Tags":    []string{"red", "blue"},
			"NoTags":  []string{},
			"Links":   []any{"rec_1"},
			"NumText": "42",
			"Scores":  []any{1.0, 2.5, nil},
			"Big":     strings.Repeat("x", 60_000),
		},
		Types: map[string]field.Type{
			"Status":    field.SingleSelect,
			"Amount":    field.Number,
			"Zero":      field.Number,
			"Empty":     field.Text,
			"Done":      field.Checkbox,
			"Unchecked": field.Checkbox,
			"Due":       field.Date,
			"At":        field.DateTime,
			"Tags":      field.MultiSelect,
			"NoTags":    field.MultiSelect,
			"Links":     field.LinkToRecord,
			"Big":       field.LongText,
			"Btn":       field.Button,
		},
		Clock: testClock,
	}
}

func utc(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// evalCase: want is the result, or err a substring of the *EvalError.
type evalCase struct {
	src  string
	want any
	err  string
}

var evalCases = []evalCase{
	// Literals and fields.
	{`42`, 42.0, ""},
	{`'it\'s'`, "it's", ""},
	{`"a\tb\\n"`, "a\tb\\n", ""},
	{`"\d"`, `\d`, ""},
	{`true`, true, ""},
	{`FALSE`, false, ""},
	{`{Missing}`, nil, ""},
	{`{Empty}`, nil, ""},
	{`{Amount}`, 150.5, ""},
	{`{Done}`, true, ""},
	{`{Unchecked}`, false, ""},
	{`{Due}`, utc(2026, 1, 31, 0, 0, 0), ""},
	{`{At}`, utc(2026, 3, 1, 10, 20, 30), ""},
	{`{Tags}`, []any{"red", "blue"}, ""},
	{`{NoTags}`, nil, ""},
	{`{Links}`, []any{"rec_1"}, ""},
	{`{Btn}`, nil, ""},
	{`{Scores}`, []any{1.0, 2.5, nil}, ""},

	// + - * /
	{`1 + 2`, 3.0, ""},
	{`{Empty} + 1`, 1.0, ""},
	{`"2" + 3`, 5.0, ""},
	{`{NumText} + 1`, 43.0, ""},
	{`TRUE + TRUE`, 2.0, ""},
	{`"a" + 1`, nil, `expected a number, got "a"`},
	{`{Due} + 1`, nil, "got a date"},
	{`{Tags} + 1`, nil, "got a list"},
	{`5 - 7`, -2.0, ""},
	{`{Empty} - {Empty}`, 0.0, ""},
	{`2 - 3 - 4`, -5.0, ""},
	{`3 * 4`, 12.0, ""},
	{`-1 * 0`, 0.0, ""},
	{`1e308 * 10`, nil, "number out of range"},
	{`7 / 2`, 3.5, ""},
	{`12 / 2 / 3`, 2.0, ""},
	{`1 / 0`, nil, "division by zero"},
	{`1 / {Empty}`, nil, "division by zero"},
	// unary -
	{`-{Amount}`, -150.5, ""},
	{`--2`, 2.0, ""},
	{`-(1 + 2)`, -3.0, ""},
	{`-{Empty}`, 0.0, ""},
	{`-"x"`, nil, `expected a number, got "x"`},
	// precedence
	{`1 + 2 * 3`, 7.0, ""},
	{`(1 + 2) * 3`, 9.0, ""},
	{`-2 * 3`, -6.0, ""},
	{`1 + 2 & 3`, "33", ""},
	{`1 & 2 = "12"`, true, ""},
	{`0.1 + 0.2 & ""`, "0.30000000000000004", ""},
	// &
	{`"a" & "b"`, "ab", ""},
	{`1 & 2`, "12", ""},
	{`1.5 & "|" & 1e21 & "|" & 0.0000001`, "1.5|1e+21|1e-7", ""},
	{`TRUE & FALSE`, "10", ""},
	{`{Empty} & "x"`, "x", ""},
	{`{Tags} & "!"`, "red, blue!", ""},
	{`{Due} & ""`, "2026-01-31T00:00:00.000+00:00", ""},
	{`{Big} & {Big}`, nil, "string too long"},
	// =
	{`{Status} = 'Done'`, true, ""},
	{`{Status} = 'done'`, false, ""},
	{`{Empty} = ""`, true, ""},
	{`{Empty} = 0`, true, ""},
	{`{Missing} = BLANK()`, true, ""},
	{`BLANK() = FALSE()`, true, ""},
	{`{Empty} = "x"`, false, ""},
	{`"" = 0`, true, ""},
	{`5 = "5"`, true, ""},
	{`5 = "five"`, false, ""},
	{`{Due} = "2026-01-31"`, true, ""},
	{`{Due} = 1`, false, ""},
	{`{Due} = BLANK()`, false, ""},
	{`{NoTags} = BLANK()`, true, ""},
	{`{Links} = "rec_1"`, true, ""},
	{`{Tags} = "red, blue"`, true, ""},
	{`TRUE = 1`, true, ""},
	// != and <>
	{`1 != 2`, true, ""},
	{`"a" != "a"`, false, ""},
	{`{Due} != 5`, true, ""},
	{`"a" <> "a"`, false, ""},
	{`{Empty} <> 0`, false, ""},
	{`{Status} <> "Todo"`, true, ""},
	// < > <= >=
	{`1 < 2`, true, ""},
	{`"apple" < "banana"`, true, ""},
	{`"B" < "a"`, true, ""},
	{`{Empty} < 1`, true, ""},
	{`{Empty} < "a"`, true, ""},
	{`{Due} < {At}`, true, ""},
	{`{Due} < {Empty}`, false, ""},
	{`{Amount} > 100`, true, ""},
	{`"10" > 9`, true, ""},
	{`"b" > "a"`, true, ""},
	{`{Due} > 1`, false, ""},
	{`2 <= 2`, true, ""},
	{`{Due} <= "2026-01-30"`, false, ""},
	{`3 >= 4`, false, ""},
	{`TRUE >= 1`, true, ""},
	{`1 < 2 = TRUE`, true, ""},

	// Logic.
	{`IF({Amount} > 100, "big", "small")`, "big", ""},
	{`IF({Empty}, "yes")`, nil, ""},
	{`IF(0, 1/0, 2)`, 2.0, ""},
	{`IF("0", 1, 2)`, 1.0, ""},
	{`IF(1/0, 1, 2)`, nil, "division by zero"},
	{`SWITCH({Status}, "Todo", 1, "Done", 2, 0)`, 2.0, ""},
	{`SWITCH("x", "a", 1)`, nil, ""},
	{`SWITCH("x", "a", 1, "default")`, "default", ""},
	{`SWITCH({Empty}, "", "blank", "other")`, "blank", ""},
	{`AND({Status} = 'Done', {Amount} > 100)`, true, ""},
	{`AND(1, "", 1/0)`, false, ""},
	{`AND({Tags}, {NoTags})`, false, ""},
	{`AND(1/0, 1)`, nil, "division by zero"},
	{`OR(0, {Empty}, "x")`, true, ""},
	{`OR(FALSE(), 0)`, false, ""},
	{`OR(1, 1/0)`, true, ""},
	{`XOR(1, 0, 0)`, true, ""},
	{`XOR(TRUE, TRUE)`, false, ""},
	{`NOT({Done})`, false, ""},
	{`NOT({Unchecked})`, true, ""},
	{`NOT({NoTags})`, true, ""},
	{`BLANK()`, nil, ""},
	{`BLANK() & "x"`, "x", ""},
	{`TRUE()`, true, ""},
	{`TRUE() + TRUE()`, 2.0, ""},
	{`FALSE()`, false, ""},
	{`FALSE() = 0`, true, ""},

	// Text.
	{`LEN({Status})`, 4.0, ""},
	{`LEN({Empty})`, 0.0, ""},
	{`LEN("héllo")`, 5.0, ""},
	{`LEN(123.5)`, 5.0, ""},
	{`LOWER("ÀBC")`, "àbc", ""},
	{`LOWER({Empty})`, "", ""},
	{`UPPER("abc")`, "ABC", ""},
	{`UPPER(1.5)`, "1.5", ""},
	{`TRIM({Name})`, "Ada Lovelace", ""},
	{`TRIM(" \t\n ")`, "", ""},
	{`CONCATENATE("a", 1, TRUE, {Empty}, {Tags})`, "a11red, blue", ""},
	{`CONCATENATE({Empty})`, "", ""},
	{`CONCATENATE({Big}, {Big})`, nil, "string too long"},
	{`ARRAYJOIN({Tags}, " | ")`, "red | blue", ""},
	{`ARRAYJOIN({Tags})`, "red, blue", ""},
	{`ARRAYJOIN("solo", "-")`, "solo", ""},
	{`ARRAYJOIN({NoTags})`, "", ""},
	{`FIND("lo", "hello lo")`, 4.0, ""},
	{`FIND("lo", "hello lo", 5)`, 7.0, ""},
	{`FIND("z", "abc")`, 0.0, ""},
	{`FIND("b", "ABC")`, 0.0, ""},
	{`FIND("è", "café crème")`, 8.0, ""},
	{`FIND("x", "abc", 99)`, 0.0, ""},
	{`FIND("", "abc")`, 1.0, ""},
	{`FIND("a", {Empty})`, 0.0, ""},
	{`SEARCH("WOR", "Hello World")`, 7.0, ""},
	{`SEARCH("zz", "abc")`, nil, ""},
	{`SEARCH("l", "Hello", 4)`, 4.0, ""},
	{`SEARCH("É", "café")`, 4.0, ""},
	{`LEFT("hello", 2)`, "he", ""},
	{`LEFT("hé", 10)`, "hé", ""},
	{`LEFT("abc", -1)`, "", ""},
	{`LEFT("abc", "x")`, nil, `LEFT: expected a number, got "x"`},
	{`RIGHT("hello", 3)`, "llo", ""},
	{`RIGHT("naïve", 3)`, "ïve", ""},
	{`RIGHT("abc", 0)`, "", ""},
	{`RIGHT("abc", 5)`, "abc", ""},
	{`MID("hello world", 7, 5)`, "world", ""},
	{`MID("abc", 0, 2)`, "ab", ""},
	{`MID("abc", 5, 2)`, "", ""},
	{`MID("abc", 2, -1)`, "", ""},
	{`MID("ñandú", 4, 99)`, "dú", ""},
	{`SUBSTITUTE("a-b-c", "-", "+")`, "a+b+c", ""},
	{`SUBSTITUTE("a-b-c", "-", "+", 2)`, "a-b+c", ""},
	{`SUBSTITUTE("abc", "", "x")`, "abc", ""},
	{`SUBSTITUTE("aaa", "a", "b", 5)`, "aaa", ""},
	{`SUBSTITUTE("a", "a", "b", 0)`, nil, "index must be 1 or more"},
	{`SUBSTITUTE(REPT("a", 1000), "a", REPT("b", 101))`, nil, "string too long"},
	{`REPT("ab", 3)`, "ababab", ""},
	{`REPT("x", 0)`, "", ""},
	{`LEN(REPT("x", 100000))`, 100000.0, ""},
	{`REPT("x", 100001)`, nil, "string too long"},
	{`VALUE("12.5")`, 12.5, ""},
	{`VALUE(" 1e3 ")`, 1000.0, ""},
	{`VALUE("$1,000.50")`, 1000.5, ""},
	{`VALUE("-3 kg")`, -3.0, ""},
	{`VALUE("abc")`, nil, ""},
	{`VALUE({Empty})`, nil, ""},
	{`VALUE(TRUE)`, 1.0, ""},
	{`VALUE(TODAY())`, nil, "VALUE: expected text, got a date"},
	{`REGEX_MATCH("abc123", "\d+$")`, true, ""},
	{`REGEX_MATCH("abc", "^\d")`, false, ""},
	{`REGEX_MATCH({Empty}, "^$")`, true, ""},
	{`REGEX_MATCH("a", "(" & "")`, nil, "REGEX_MATCH: invalid regular expression"},
	{`REGEX_MATCH("a", REPT("a", 1001))`, nil, "regular expression too long"},
	{`REGEX_MATCH(REPT("a", 50000), "(a*)*b")`, false, ""}, // no catastrophic backtracking
	{`REGEX_EXTRACT("order #1234 shipped", "#\d+")`, "#1234", ""},
	{`REGEX_EXTRACT("abc", "\d")`, nil, ""},
	{`REGEX_REPLACE("hello world", "(\w+) (\w+)", "$2 $1")`, "world hello", ""},
	{`REGEX_REPLACE("a.b.c", "\.", "$$")`, "a$b$c", ""},
	{`REGEX_REPLACE("ab", "(?P<x>a)", "[$<x>$&$9]")`, "[aa$9]b", ""},
	{`REGEX_REPLACE("abc", "x", "y")`, "abc", ""},
	{`REGEX_REPLACE(REPT("a", 1000), "a", REPT("b", 101))`, nil, "string too long"},

	// Math.
	{`ROUND(1.005, 2)`, 1.01, ""},
	{`ROUND(2.345, 1)`, 2.3, ""},
	{`ROUND(-2.5)`, -3.0, ""},
	{`ROUND(1234.5678, -2)`, 1200.0, ""},
	{`ROUND(1e300, 2)`, 1e300, ""},
	{`ROUND(5, -400)`, 0.0, ""},
	{`ROUND("x", 1)`, nil, `ROUND: expected a number, got "x"`},
	{`ROUNDUP(1.21, 1)`, 1.3, ""},
	{`ROUNDUP(-1.21, 1)`, -1.3, ""},
	{`ROUNDDOWN(1.29, 1)`, 1.2, ""},
	{`ROUNDDOWN(-1.29)`, -1.0, ""},
	{`INT(3.7)`, 3.0, ""},
	{`INT(-3.2)`, -4.0, ""},
	{`CEILING(2.1)`, 3.0, ""},
	{`CEILING(7, 5)`, 10.0, ""},
	{`CEILING(1, 0)`, 0.0, ""},
	{`FLOOR(2.9)`, 2.0, ""},
	{`FLOOR(-7, 5)`, -10.0, ""},
	{`ABS(-3)`, 3.0, ""},
	{`ABS({Empty})`, 0.0, ""},
	{`MOD(7, 3)`, 1.0, ""},
	{`MOD(-7, 3)`, -1.0, ""},
	{`MOD(1, 0)`, nil, "MOD: division by zero"},
	{`POWER(2, 10)`, 1024.0, ""},
	{`POWER(10, 400)`, nil, "number out of range"},
	{`SQRT(16)`, 4.0, ""},
	{`SQRT(-1)`, nil, "SQRT: negative number"},
	{`SUM(1, 2, 3)`, 6.0, ""},
	{`SUM({Amount}, {Empty}, "2")`, 152.5, ""},
	{`SUM({Scores}, 1)`, 4.5, ""},
	{`SUM("x")`, nil, `SUM: expected a number, got "x"`},
	{`AVERAGE(1, 2, 3, 4)`, 2.5, ""},
	{`AVERAGE({Scores})`, 1.75, ""},
	{`AVERAGE({Empty})`, 0.0, ""},
	{`MIN(3, 1, 2)`, 1.0, ""},
	{`MIN({Scores})`, 1.0, ""},
	{`MIN({Empty})`, 0.0, ""},
	{`MIN({Due}, {At})`, utc(2026, 1, 31, 0, 0, 0), ""},
	{`MAX(3, 1, 2)`, 3.0, ""},
	{`MAX({Due}, {At})`, utc(2026, 3, 1, 10, 20, 30), ""},
	{`MAX(1, "x")`, nil, `MAX: expected a number, got "x"`},
	{`COUNT(1, "a", {Empty}, {Scores})`, 3.0, ""},
	{`COUNT({Empty})`, 0.0, ""},
	{`COUNTA(1, "a", {Empty}, {Scores})`, 4.0, ""},
	{`COUNTA("", BLANK())`, 0.0, ""},
	{`COUNTALL(1, {Empty}, {Scores})`, 5.0, ""},
	{`COUNTALL({Tags})`, 2.0, ""},

	// Dates.
	{`NOW()`, testClock, ""},
	{`IS_AFTER(NOW(), {Due})`, true, ""},
	{`TODAY()`, utc(2026, 2, 3, 0, 0, 0), ""},
	{`TODAY() = "2026-02-03"`, true, ""},
	{`DATEADD({Due}, 1, 'month')`, utc(2026, 2, 28, 0, 0, 0), ""},
	{`DATEADD({Due}, 1, 'quarter')`, utc(2026, 4, 30, 0, 0, 0), ""},
	{`DATEADD("2024-02-29", 1, "years")`, utc(2025, 2, 28, 0, 0, 0), ""},
	{`DATEADD({Due}, -2, 'd')`, utc(2026, 1, 29, 0, 0, 0), ""},
	{`DATEADD({Due}, 1, 'Week')`, utc(2026, 2, 7, 0, 0, 0), ""},
	{`DATEADD({At}, 90, 'minutes')`, utc(2026, 3, 1, 11, 50, 30), ""},
	{`DATEADD({At}, 1.5, 'hours')`, utc(2026, 3, 1, 11, 50, 30), ""},
	{`DATEADD({At}, -30, 'seconds')`, utc(2026, 3, 1, 10, 20, 0), ""},
	{`DATEADD({Due}, 1, {Status})`, nil, `DATEADD: unknown unit "Done"`},
	{`DATEADD({Empty}, 1, 'day')`, nil, ""},
	{`DATEADD({Due}, 1e12, 'days')`, nil, "count out of range"},
	{`DATEADD("someday", 1, 'day')`, nil, `DATEADD: expected a date, got "someday"`},
	{`DATETIME_DIFF("2026-03-01", "2026-01-01", "days")`, 59.0, ""},
	{`DATETIME_DIFF("2026-01-01", "2026-03-01", "days")`, -59.0, ""},
	{`DATETIME_DIFF("2026-01-02T00:00:00Z", "2026-01-01T00:00:01Z", "days")`, 0.0, ""},
	{`DATETIME_DIFF("2026-01-15", "2026-01-01", "weeks")`, 2.0, ""},
	{`DATETIME_DIFF("2026-03-31", "2026-02-28", "months")`, 1.0, ""},
	{`DATETIME_DIFF("2026-03-30", "2026-02-28", "M")`, 1.0, ""},
	{`DATETIME_DIFF("2026-07-01", "2026-01-01", "quarters")`, 2.0, ""},
	{`DATETIME_DIFF("2027-01-01", "2026-01-02", "years")`, 0.0, ""},
	{`DATETIME_DIFF("2027-01-02", "2026-01-02", "year")`, 1.0, ""},
	{`DATETIME_DIFF("2026-01-01T01:00:00Z", "2026-01-01T00:00:00Z")`, 3600.0, ""},
	{`DATETIME_DIFF({At}, {Due}, "minutes")`, 42380.0, ""},
	{`DATETIME_DIFF("2026-01-01T00:00:00.500Z", "2026-01-01", "ms")`, 500.0, ""},
	{`DATETIME_DIFF("2026-01-01T05:00:00Z", "2026-01-01", "hours")`, 5.0, ""},
	{`DATETIME_DIFF({Due}, {Empty}, 'days')`, nil, ""},
	{`IS_BEFORE({Due}, {At})`, true, ""},
	{`IS_BEFORE({Due}, {Due})`, false, ""},
	{`IS_BEFORE({Empty}, {Due})`, false, ""},
	{`IS_BEFORE("soon", {Due})`, nil, `IS_BEFORE: expected a date, got "soon"`},
	{`IS_AFTER({At}, "2026-03-01")`, true, ""},
	{`IS_AFTER({Due}, {At})`, false, ""},
	{`DATETIME_FORMAT({At})`, "2026-03-01T10:20:30.000+00:00", ""},
	{`DATETIME_FORMAT({At}, 'dddd, MMMM Do YYYY h:mm A')`, "Sunday, March 1st 2026 10:20 AM", ""},
	{`DATETIME_FORMAT("2026-07-04T15:06:07.089Z", "YY YYYY M MM MMM MMMM D DD Do ddd dddd d H HH h hh m mm s ss SSS A a Q DDD X [at] ZZ")`,
		"26 2026 7 07 Jul July 4 04 4th Sat Saturday 6 15 15 3 03 6 06 7 07 089 PM pm 3 185 1783177567 at +0000", ""},
	{`DATETIME_FORMAT("2026-01-01T00:30:00Z", "k kk W WW dd [YYYY]")`, "1 01 1 01 Th YYYY", ""},
	{`DATETIME_FORMAT("2026-01-02T03:04:05+05:30", "HH:mm Z")`, "03:04 +05:30", ""},
	{`DATETIME_FORMAT({Due}, "LL")`, "January 31, 2026", ""},
	{`DATETIME_FORMAT({Due}, "LLLL")`, "Saturday, January 31, 2026 12:00 AM", ""},
	{`DATETIME_FORMAT({Due}, "")`, "2026-01-31T00:00:00.000+00:00", ""},
	{`DATETIME_FORMAT({Empty}, "YYYY")`, nil, ""},
	{`DATETIME_FORMAT("nope")`, nil, `DATETIME_FORMAT: expected a date, got "nope"`},
	{`DATETIME_FORMAT({Due}, REPT("dddd", 24000))`, nil, "string too long"},
	{`DATESTR({At})`, "2026-03-01", ""},
	{`DATESTR({Empty})`, nil, ""},
	{`YEAR({Due})`, 2026.0, ""},
	{`YEAR("x")`, nil, `YEAR: expected a date, got "x"`},
	{`MONTH({Due})`, 1.0, ""},
	{`MONTH({Empty})`, nil, ""},
	{`DAY({Due})`, 31.0, ""},
	{`DAY("2024-02-29")`, 29.0, ""},
	{`HOUR({At})`, 10.0, ""},
	{`HOUR({Due})`, 0.0, ""},
	{`MINUTE({At})`, 20.0, ""},
	{`MINUTE("2026-01-01T00:59:59+02:00")`, 59.0, ""},
	{`SECOND({At})`, 30.0, ""},
	{`SECOND({Due})`, 0.0, ""},
	{`WEEKDAY({At})`, 0.0, ""},
	{`WEEKDAY({At}, "Monday")`, 6.0, ""},
	{`WEEKDAY({Due}, "Friday")`, nil, "start day must be"},
}

// sameValue compares results: times as instants, floats with the sign of
// zero, everything else deeply.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	case float64:
		g, ok := got.(float64)
		return ok && g == w && math.Signbit(g) == math.Signbit(w)
	}
	return reflect.DeepEqual(got, want)
}

func TestEval(t *testing.T) {
	env := testEnv()
	for _, c := range evalCases {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		got, err := e.Eval(env)
		if c.err != "" {
			var ee *EvalError
			if !errors.As(err, &ee) || !strings.Contains(ee.Msg, c.err) {
				t.Errorf("Eval(%q) = %#v, %v; want EvalError containing %q", c.src, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if !sameValue(got, c.want) {
			t.Errorf("Eval(%q) = %#v (%T), want %#v (%T)", c.src, got, got, c.want, c.want)
		}
	}
}

// TestEvalCoverage makes the table above cover every operator and every
// function with at least two cases (a normal one and an edge case).
func TestEvalCoverage(t *testing.T) {
	ops := map[string]int{}
	fns := map[string]int{}
	var walk func(n node)
	walk = func(n node) {
		switch x := n.(type) {
		case *unary:
			ops["unary -"]++
			walk(x.x)
		case *binary:
			name := x.op.String()
			if x.op == tNe {
				name = "!=/<>"
			}
			ops[name]++
			walk(x.l)
			walk(x.r)
		case *call:
			fns[x.def.name]++
			for _, a := range x.args {
				walk(a)
			}
		}
	}
	for _, c := range evalCases {
		e, err := Parse(c.src)
		if err != nil {
			continue
		}
		walk(e.root)
		if strings.Contains(c.src, "<>") {
			ops["'<>'"]++
		}
	}
	for _, op := range []string{"unary -", "'+'", "'-'", "'*'", "'/'", "'&'", "'='", "!=/<>", "'<>'", "'<'", "'>'", "'<='", "'>='"} {
		if ops[op] < 2 {
			t.Errorf("operator %s has %d eval cases, want ≥ 2", op, ops[op])
		}
	}
	for _, name := range Functions() {
		if fns[name] < 2 {
			t.Errorf("function %s has %d eval cases, want ≥ 2", name, fns[name])
		}
	}
}

func TestEvalLocation(t *testing.T) {
	env := testEnv()
	env.Loc = time.FixedZone("EST", -5*3600)
	cases := []evalCase{
		{`TODAY()`, utc(2026, 2, 2, 0, 0, 0), ""}, // 04:05 UTC is 23:05 the day before
		{`HOUR({At})`, 5.0, ""},
		{`DATETIME_FORMAT(NOW(), "YYYY-MM-DD HH:mm Z")`, "2026-02-02 23:05 -05:00", ""},
		{`DATETIME_FORMAT({Due}, "YYYY-MM-DD HH:mm")`, "2026-01-31 00:00", ""}, // dates stay calendar dates
		{`DATETIME_DIFF(NOW(), TODAY(), "hours")`, 28.0, ""},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		got, err := e.Eval(env)
		if err != nil || !sameValue(got, c.want) {
			t.Errorf("Eval(%q) = %#v, %v; want %#v", c.src, got, err, c.want)
		}
	}
}

func TestEvalNowIsReadOnce(t *testing.T) {
	e, err := Parse(`NOW() = NOW()`)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	env := countingEnv{MapEnv: MapEnv{Clock: testClock}, calls: &calls}
	if v, err := e.Eval(env); v != true || err != nil {
		t.Errorf("Eval = %v, %v", v, err)
	}
	if calls != 1 {
		t.Errorf("Now called %d times, want 1", calls)
	}
}

type countingEnv struct {
	MapEnv
	calls *int
}

func (c countingEnv) Now() time.Time { *c.calls++; return c.MapEnv.Now() }

func TestEvalRealClockAndNilEnv(t *testing.T) {
	e, err := Parse(`NOW()`)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	v, err := e.Eval(nil)
	if err != nil {
		t.Fatal(err)
	}
	if now, ok := v.(time.Time); !ok || now.Before(before.Add(-time.Second)) || now.After(time.Now().Add(time.Second)) {
		t.Errorf("NOW() with zero Clock = %v", v)
	}
	e, _ = Parse(`{Anything} & "x"`)
	if v, err := e.Eval(nil); v != "x" || err != nil {
		t.Errorf("Eval(nil) = %v, %v", v, err)
	}
}

func TestEvalBudget(t *testing.T) {
	// Each term builds a 60,000-byte string; 200 of them exceed MaxEvalBytes.
	src := "SUM(" + strings.TrimSuffix(strings.Repeat(`LEN({Big} & ""), `, 200), ", ") + ")"
	e, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Eval(testEnv())
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Msg, "too expensive") {
		t.Errorf("Eval = %v, want a budget EvalError", err)
	}
	// The budget is per Eval: a smaller formula still works afterwards.
	e, _ = Parse(`LEN({Big} & "")`)
	if v, err := e.Eval(testEnv()); v != 60000.0 || err != nil {
		t.Errorf("Eval = %v, %v", v, err)
	}
}

func TestEvalErrorString(t *testing.T) {
	e, _ := Parse(`1/0`)
	_, err := e.Eval(testEnv())
	if got := err.Error(); got != "formula: division by zero" {
		t.Errorf("Error() = %q", got)
	}
}

func TestFieldValueForms(t *testing.T) {
	cases := []struct {
		raw  any
		t    field.Type
		want any
	}{
		{json.Number("12"), field.Number, 12.0},
		{"3.5", field.Number, 3.5},
		{7, field.Number, 7.0},
		{int64(-2), field.Text, -2.0},
		{float32(0.5), field.Text, 0.5},
		{nil, field.Checkbox, false},
		{"true", field.Checkbox, true},
		{"2026-01-02", field.Date, utc(2026, 1, 2, 0, 0, 0)},
		{"2026-01-02T03:04:05.5Z", field.DateTime, time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{"not a date", field.Date, "not a date"},
		{[]string{"a"}, field.MultiSelect, []any{"a"}},
		{[]any{}, field.LinkToRecord, nil},
		{"rec_1", field.LinkToRecord, []any{"rec_1"}},
		{[]any{[]any{1, "x"}, 2}, field.Text, []any{1.0, "x", 2.0}},
		{"anything", field.Button, nil},
		{struct{ A int }{1}, field.Text, "{1}"},
	}
	for _, c := range cases {
		if got := fieldValue(c.raw, c.t); !sameValue(got, c.want) {
			t.Errorf("fieldValue(%#v, %s) = %#v, want %#v", c.raw, c.t, got, c.want)
		}
	}
}

func TestTruthy(t *testing.T) {
	falsy := []any{nil, "", 0.0, false, []any{}, []string{}, json.Number("0"), 0, int64(0), float32(0), math.NaN()}
	truthy := []any{"0", " ", 1.0, -1.0, true, []any{nil}, []string{""}, json.Number("2"), 3, time.Time{}, testClock, struct{}{}}
	for _, v := range falsy {
		if Truthy(v) {
			t.Errorf("Truthy(%#v) = true", v)
		}
	}
	for _, v := range truthy {
		if !Truthy(v) {
			t.Errorf("Truthy(%#v) = false", v)
		}
	}
}

func TestMapEnv(t *testing.T) {
	env := MapEnv{Values: map[string]any{"A": "x"}, Types: map[string]field.Type{"B": field.Number}}
	if v, typ, ok := env.Field("A"); v != "x" || typ != field.Text || !ok {
		t.Errorf("Field(A) = %v %v %v", v, typ, ok)
	}
	if v, typ, ok := env.Field("B"); v != nil || typ != field.Number || !ok {
		t.Errorf("Field(B) = %v %v %v", v, typ, ok)
	}
	if _, _, ok := env.Field("C"); ok {
		t.Errorf("Field(C) ok")
	}
}

func TestEvalConcurrent(t *testing.T) {
	e, err := Parse(`IF(AND({Status} = 'Done', {Amount} > 100), UPPER({Status}) & DATETIME_FORMAT(NOW(), "YYYY"), REGEX_REPLACE({Status}, "o", "0"))`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := testEnv()
			env.Values["Amount"] = float64(i * 30)
			want := "D0ne"
			if i*30 > 100 {
				want = "DONE2026"
			}
			for range 200 {
				if v, err := e.Eval(env); v != want || err != nil {
					t.Errorf("goroutine %d: Eval = %v, %v; want %q", i, v, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func ExampleExpr_Eval() {
	e, err := Parse(`IF(AND({Status} = 'Done', {Amount} > 100), "big " & LOWER({Status}), "small")`)
	if err != nil {
		panic(err)
	}
	v, err := e.Eval(MapEnv{
		Values: map[string]any{"Status": "Done", "Amount": json.Number("150")},
		Types:  map[string]field.Type{"Status": field.SingleSelect, "Amount": field.Number},
	})
	fmt.Println(v, err, e.Refs())
	// Output: big done <nil> [Status Amount]
}
