package formula

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goodSources parse without error.
var goodSources = []string{
	`1`,
	`  42  `,
	`1.5`,
	`.5`,
	`1.`,
	`1e3`,
	`2.5E-3`,
	`'single'`,
	`"double"`,
	`"esc\"aped \\ \n \t"`,
	`'it\'s'`,
	`"\d+"`,
	`{Field}`,
	`{Field With Spaces & (Symbols)!}`,
	`{Ünïcödé}`,
	`TRUE`,
	`false`,
	`True()`,
	`FALSE()`,
	`blank()`,
	`-1`,
	`--1`,
	`-{A}`,
	`1 + 2 * 3 - 4 / 5`,
	`(1 + 2) * 3`,
	`"a" & "b" & {C}`,
	`1 = 1`,
	`1 != 2`,
	`1 <> 2`,
	`1 < 2`,
	`1 > 2`,
	`1 <= 2`,
	`1 >= 2`,
	`1<2=TRUE`,
	`IF({A}, "x")`,
	`if({A}, "x", "y")`,
	"IF(\n  {Status} = 'Done',\n  {Amount} * 2,\n  0\n)",
	`AND({Status} = 'Done', {Amount} > 100)`,
	`CONCATENATE({A}, " ", {B}, " ", {C})`,
	`SUM(1)`,
	`SUM(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)`,
	`REGEX_MATCH({Code}, "^[A-Z]{3}-\d+$")`,
	`REGEX_MATCH({Code}, {Pattern})`,
	`DATEADD({Due}, 1, 'Months')`,
	`DATEADD({Due}, 1, {Unit})`,
	`DATETIME_DIFF({A}, {B})`,
	`DATETIME_FORMAT(NOW(), 'YYYY-MM-DD')`,
	`NOW()`,
	`TODAY()`,
}

// badSources fail with a SyntaxError at pos whose message contains msg.
var badSources = []struct {
	src string
	pos int
	msg string
}{
	{``, 0, "empty formula"},
	{"   \n", 0, "empty formula"},
	{`1 +`, 3, "unexpected end of formula"},
	{`(1`, 2, "expected ')', found end of formula"},
	{`1 + (2 * 3`, 10, "expected ')'"},
	{`1)`, 1, "unexpected ')'"},
	{`1 2`, 2, "unexpected number"},
	{`*`, 0, "unexpected '*'"},
	{`=1`, 0, "unexpected '='"},
	{`"abc`, 0, "unterminated string"},
	{`1 & 'it\'s`, 4, "unterminated string"},
	{`"abc\`, 0, "unterminated string"},
	{`{abc`, 0, "unterminated field reference"},
	{`1 + {abc`, 4, "unterminated field reference"},
	{`{}`, 0, "empty field name"},
	{`LEN({  })`, 4, "empty field name"},
	{`}`, 0, "unexpected '}'"},
	{`1 # 2`, 2, "unexpected character '#'"},
	{`1 ! 2`, 2, "unexpected '!'"},
	{`1 é`, 2, "unexpected character 'é'"},
	{`Status`, 0, "unknown name Status"},
	{`1 + Amount`, 4, "unknown name Amount"},
	{`LEN`, 0, "missing '(' after function LEN"},
	{`FOO(1)`, 0, "unknown function FOO"},
	{`1 + foo(2)`, 4, "unknown function foo"},
	{`LEN(1, 2)`, 0, "LEN expects 1 argument, got 2"},
	{`IF(1)`, 0, "IF expects 2 to 3 arguments, got 1"},
	{`1 + IF(TRUE, 1, 2, 3)`, 4, "IF expects 2 to 3 arguments, got 4"},
	{`SUM()`, 0, "SUM expects at least 1 argument, got 0"},
	{`MID("abc", 1)`, 0, "MID expects 3 arguments, got 2"},
	{`NOW(1)`, 0, "NOW expects 0 arguments, got 1"},
	{`IF(1,,2)`, 5, "unexpected ','"},
	{`IF(1 2)`, 5, "expected ',' or ')', found number"},
	{`NOW(`, 4, "unexpected end of formula"},
	{`LEN("a"`, 7, "expected ',' or ')', found end of formula"},
	{`REGEX_MATCH('a', '(')`, 17, "invalid regular expression"},
	{`REGEX_REPLACE('a', 'x**', '')`, 19, "invalid regular expression"},
	{`REGEX_EXTRACT('a', '` + strings.Repeat("a", 1001) + `')`, 19, "regular expression too long"},
	{`DATEADD(NOW(), 1, 'fortnight')`, 18, `unknown unit "fortnight"`},
	{`DATETIME_DIFF(NOW(), NOW(), 'D')`, 28, `unknown unit "D"`},
	{`1e400`, 0, "number out of range"},
	{`1 + 1e400`, 4, "number out of range"},
	// Bounds.
	{strings.Repeat("1", MaxSourceLen+1), MaxSourceLen, "formula too long"},
	{strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101), 100, "nested too deeply"},
	{strings.Repeat("-", 101) + "1", 100, "nested too deeply"},
	{strings.Repeat("LEN(", 101) + "1" + strings.Repeat(")", 101), 403, "nested too deeply"},
	// 1+1+...: the 100th '+' (offset 1+2*99) makes a tree of height 101.
	{"1" + strings.Repeat("+1", 100), 199, "nested too deeply"},
	// SUM(1+1,1+1,...): 3 nodes per argument; node 5,001 is the '+' of
	// argument 1,667, at 4 + 1,666*4 + 1.
	{"SUM(" + strings.TrimSuffix(strings.Repeat("1+1,", 2000), ",") + ")", 6669, "formula too complex"},
}

func TestParseGood(t *testing.T) {
	for _, src := range goodSources {
		e, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		if e.String() != src {
			t.Errorf("Parse(%q).String() = %q", src, e.String())
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, c := range badSources {
		name := c.src
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		_, err := Parse(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", name, err)
			continue
		}
		if se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q) = pos %d %q, want pos %d %q", name, se.Pos, se.Msg, c.pos, c.msg)
		}
	}
}

func TestParseLimitsJustInside(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100),
		strings.Repeat("-", 100) + "1",
		"1" + strings.Repeat("+1", 99),
		strings.Repeat("LEN(", 99) + "1" + strings.Repeat(")", 99),
		"SUM(" + strings.TrimSuffix(strings.Repeat("1+1,", 1666), ",") + ",1)", // 4,999 nodes + SUM
		strings.Repeat(" ", MaxSourceLen-1) + "1",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%.30q…): %v", src, err)
		}
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := Parse(`1 + `)
	if got, want := err.Error(), "formula: unexpected end of formula at position 5"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = (&SyntaxError{Pos: 0, Msg: "x"})
	if got := err.Error(); got != "formula: x at position 1" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRefs(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{`1 + 2`, []string{}},
		{`{A}`, []string{"A"}},
		{`IF({Status} = "Done", {Amount} * 2, {Status} & {Other field})`, []string{"Status", "Amount", "Other field"}},
		{`{b} & {a} & {b} & {B}`, []string{"b", "a", "B"}},
		{`"{not a ref}" & {real}`, []string{"real"}},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		got := e.Refs()
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Refs(%q) = %#v, want %#v", c.src, got, c.want)
		}
		if len(got) > 0 {
			got[0] = "mutated"
			if e.Refs()[0] == "mutated" {
				t.Errorf("Refs(%q) shares its slice with the Expr", c.src)
			}
		}
	}
}

func TestFunctions(t *testing.T) {
	fns := Functions()
	if !slices.IsSorted(fns) {
		t.Errorf("Functions() not sorted: %v", fns)
	}
	required := []string{"IF", "AND", "OR", "NOT", "BLANK", "TRUE", "FALSE", "LEN", "LOWER", "UPPER", "TRIM",
		"CONCATENATE", "FIND", "SEARCH", "LEFT", "RIGHT", "MID", "SUBSTITUTE", "VALUE", "ROUND", "ABS", "MIN",
		"MAX", "SUM", "NOW", "TODAY", "DATEADD", "DATETIME_DIFF", "IS_BEFORE", "IS_AFTER", "DATETIME_FORMAT", "REGEX_MATCH"}
	for _, name := range required {
		if !slices.Contains(fns, name) {
			t.Errorf("Functions() lacks %s", name)
		}
	}
	for _, name := range fns {
		if _, err := Parse(strings.ToLower(name) + "()"); err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || strings.Contains(se.Msg, "unknown function") {
				t.Errorf("%s is listed but not parsed: %v", name, err)
			}
		}
	}
}
