package automation

import (
	"regexp"
	"strings"
)

// The error classes of a failed step (ErrorClass; rowflow_error_class in
// SQL, migrations/00167_failure_classes.sql): the stats count failures per
// step id and class.
const (
	ErrorLoopDetected = "loop_detected"
	ErrorAbandoned    = "abandoned"
	ErrorHTTP429      = "http_429"
	ErrorHTTP4xx      = "http_4xx"
	ErrorHTTP5xx      = "http_5xx"
	ErrorTimeout      = "timeout"
	ErrorConnection   = "connection"
	ErrorCancelled    = "cancelled"
	ErrorScript       = "script"
	ErrorInvalidData  = "invalid_data"
	ErrorOther        = "other"
)

// ErrorClasses are every error class, in the order ErrorClass tries them
// (ErrorOther last: what no rule matches).
var ErrorClasses = []string{ErrorLoopDetected, ErrorAbandoned, ErrorHTTP429, ErrorHTTP4xx, ErrorHTTP5xx,
	ErrorTimeout, ErrorConnection, ErrorCancelled, ErrorScript, ErrorInvalidData, ErrorOther}

// errorClassRules are rowflow_error_class's rules, the same regular
// expressions over the lower-cased error text, first match wins.
var errorClassRules = []struct {
	class string
	re    *regexp.Regexp
}{
	{ErrorLoopDetected, regexp.MustCompile(`^loop_detected`)},
	{ErrorAbandoned, regexp.MustCompile(`abandoned after`)},
	{ErrorHTTP429, regexp.MustCompile(`status 429`)},
	{ErrorHTTP4xx, regexp.MustCompile(`status 4[0-9][0-9]`)},
	{ErrorHTTP5xx, regexp.MustCompile(`status 5[0-9][0-9]`)},
	{ErrorTimeout, regexp.MustCompile(`deadline exceeded|timeout|timed out|time is up`)},
	{ErrorConnection, regexp.MustCompile(`connection refused|connection reset|no such host|network is unreachable|dial tcp|broken pipe|eof$`)},
	{ErrorCancelled, regexp.MustCompile(`cancel`)},
	{ErrorScript, regexp.MustCompile(`(?s)error: .*\(line [0-9]+|script`)},
	{ErrorInvalidData, regexp.MustCompile(`expected a|is not a|not valid|invalid|template|must |unknown table|unknown field|no table|no field`)},
}

// ErrorClass is the class of a failed step's error text (one of
// ErrorClasses), as rowflow_error_class computes it: the first rule
// matching the lower-cased text, ErrorOther when none does or the text is
// empty.
func ErrorClass(msg string) string {
	if msg == "" {
		return ErrorOther
	}
	e := strings.ToLower(msg)
	for _, r := range errorClassRules {
		if r.re.MatchString(e) {
			return r.class
		}
	}
	return ErrorOther
}
