// Package formula is an Airtable-syntax formula language: a parser that
// compiles a formula once (Parse) and a bounded evaluator that runs it
// against a record (Expr.Eval with an Env).
//
//	e, err := formula.Parse(`IF(AND({Status} = 'Done', {Amount} > 100), "big", "small")`)
//	v, err := e.Eval(formula.MapEnv{Values: ..., Types: ...})
//
// # Grammar
//
// In EBNF, lowest precedence first; binary operators are left-associative:
//
//	formula    = expr .
//	expr       = concat { compare_op concat } .
//	compare_op = "=" | "!=" | "<>" | "<" | ">" | "<=" | ">=" .
//	concat     = additive { "&" additive } .
//	additive   = term { ( "+" | "-" ) term } .
//	term       = unary { ( "*" | "/" ) unary } .
//	unary      = "-" unary | primary .
//	primary    = number | string | field | boolean | call | "(" expr ")" .
//	call       = ident "(" [ expr { "," expr } ] ")" .
//	boolean    = "TRUE" | "FALSE" .                 (any case; TRUE() and FALSE() too)
//	field      = "{" name "}" .                     (name: any characters but "}", not blank)
//	number     = ( digits [ "." { digit } ] | "." digits ) [ exponent ] .
//	exponent   = ( "e" | "E" ) [ "+" | "-" ] digits .
//	string     = "'" { char | escape } "'" | `"` { char | escape } `"` .
//	escape     = "\\" | "\'" | `\"` | "\n" | "\t" | "\r" .
//	ident      = ( letter | "_" ) { letter | digit | "_" } .
//
// Function names are case-insensitive. A backslash before any other
// character is kept with it, so regular expressions are written naturally:
// REGEX_MATCH({Code}, "^\d+$"). White space (space, tab, newline) separates
// tokens and is otherwise ignored. A bare name other than TRUE or FALSE is
// an error: fields are always written in braces.
//
// Errors found by Parse are *SyntaxError with the byte offset of the
// offending token: syntax, unknown function (at its name), wrong argument
// count (at the function name), a literal regular expression that does
// not compile or a literal date unit that does not exist (at the literal),
// and the bounds below.
//
// # Values
//
// Eval returns nil (BLANK), string, float64, bool, time.Time or []any.
// Field values (see package field) become:
//
//	number                       float64 (json.Number and numeric strings accepted)
//	checkbox                     bool (an empty cell is FALSE)
//	date                         time.Time at midnight UTC
//	datetime                     time.Time, in the Env's zone (see Env)
//	multi_select, link_to_record []any of strings; an empty list is BLANK
//	button                       BLANK
//	other types                  string (a non-string value from a hand-built Env keeps its Go form)
//
// A field missing from the Env is BLANK; callers validate Refs separately.
//
// # Coercions
//
// Text context (&, CONCATENATE, text functions): BLANK is "", numbers are
// written as JavaScript does (0.1+0.2 is "0.30000000000000004", 1e21 is
// "1e+21"), booleans "1"/"0" (Airtable's TRUE is 1), dates in the
// default DATETIME_FORMAT form "2026-01-02T15:04:05.000+00:00", lists
// joined with ", ".
//
// Numeric context (+ - * /, unary -, math functions): BLANK and "" are 0,
// booleans 1/0, text that is a decimal number ("12.5", " 3 ", "1e3") its
// value, a one-element list its element. Other text, dates and longer
// lists are an *EvalError. Division by zero and overflow are an
// *EvalError (there is no NaN or Infinity).
//
// Date context (date functions): a time.Time, or text in RFC 3339 or
// YYYY-MM-DD form (also "YYYY-MM-DDTHH:mm[:ss]" and with a space, read in
// UTC). A BLANK date makes the function BLANK (IS_BEFORE and IS_AFTER
// FALSE); other values are an *EvalError.
//
// Truthiness (IF, AND, OR, NOT...): nil, "", 0, FALSE and an empty list
// are false; everything else (including "0" and any date) is true.
//
// Comparisons never fail. BLANK ("" and an empty list included) equals
// BLANK, 0 and FALSE, sorts as 0 against numbers and before any text, and
// is not comparable with a date. Numbers and booleans compare
// numerically, also with text that is a number (5 = "5"); a number and
// other text compare as text. Text compares case-sensitively, byte by
// byte ("a" != "A"). Dates compare as instants, also with text that
// parses as a date ({Due} = "2026-01-02"). A longer list compares as its
// text. When two values are not comparable (a date and a number, a date
// and BLANK), = is FALSE, != and <> are TRUE and < > <= >= are FALSE.
//
// Text positions and lengths (LEN, FIND, LEFT, MID...) count Unicode code
// points. Functions() lists every function; each one's rules are on its
// implementation in functions_*.go.
//
// # Bounds
//
// Evaluation is bounded: there are no loops, and
//
//   - the source is at most MaxSourceLen (10,000) bytes;
//   - the syntax tree is at most MaxDepth (100) deep, and parentheses nest
//     at most 100 deep;
//   - it has at most MaxNodes (5,000) nodes;
//   - a string built by an operator or function (&, CONCATENATE,
//     SUBSTITUTE, REPT, REGEX_REPLACE, DATETIME_FORMAT...) is at most
//     MaxStringLen (100,000) bytes, checked before it is built;
//   - a REGEX_* pattern is at most MaxRegexLen (1,000) bytes, and runs on
//     Go's RE2 engine in linear time;
//   - one Eval builds (and scans with regular expressions) at most
//     MaxEvalBytes (10,000,000) bytes of text in all.
//
// The first three are SyntaxErrors from Parse, the others EvalErrors.
package formula
