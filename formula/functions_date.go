package formula

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// dateFuncs are the date functions. A date argument may be a date value
// or text in RFC 3339 or YYYY-MM-DD form. A BLANK date gives BLANK
// (IS_BEFORE and IS_AFTER give FALSE).
var dateFuncs = map[string]funcDef{
	"NOW":             {min: 0, max: 0, fn: fnNow},
	"TODAY":           {min: 0, max: 0, fn: fnToday},
	"DATEADD":         {min: 3, max: 3, fn: fnDateAdd, check: checkUnitArg(2)},
	"DATETIME_DIFF":   {min: 2, max: 3, fn: fnDateTimeDiff, check: checkUnitArg(2)},
	"IS_BEFORE":       {min: 2, max: 2, fn: fnIsBefore},
	"IS_AFTER":        {min: 2, max: 2, fn: fnIsAfter},
	"DATETIME_FORMAT": {min: 1, max: 2, fn: fnDateTimeFormat},
	"DATESTR":         {min: 1, max: 1, fn: fnDateStr},
	"YEAR":            {min: 1, max: 1, fn: datePart("YEAR", func(t time.Time) int { return t.Year() })},
	"MONTH":           {min: 1, max: 1, fn: datePart("MONTH", func(t time.Time) int { return int(t.Month()) })},
	"DAY":             {min: 1, max: 1, fn: datePart("DAY", func(t time.Time) int { return t.Day() })},
	"HOUR":            {min: 1, max: 1, fn: datePart("HOUR", func(t time.Time) int { return t.Hour() })},
	"MINUTE":          {min: 1, max: 1, fn: datePart("MINUTE", func(t time.Time) int { return t.Minute() })},
	"SECOND":          {min: 1, max: 1, fn: datePart("SECOND", func(t time.Time) int { return t.Second() })},
	"WEEKDAY":         {min: 1, max: 2, fn: fnWeekday},
}

// NOW() is the Env's clock, read once per Eval.
func fnNow(ev *evaluator, _ []any) (any, error) { return ev.clock(), nil }

// TODAY() is today's date (in the Env's zone) at midnight UTC, the form
// of date fields, so TODAY() = {Due} works.
func fnToday(ev *evaluator, _ []any) (any, error) {
	y, m, d := ev.clock().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// argTime converts a date argument of fn.
func argTime(fn string, v any) (time.Time, bool, error) {
	t, blank, err := toTime(v)
	if err != nil {
		return t, false, evalErrf("%s: %s", fn, err.(*EvalError).Msg)
	}
	return t, blank, nil
}

// unit is a DATEADD / DATETIME_DIFF unit.
type unit int

const (
	uMillisecond unit = iota
	uSecond
	uMinute
	uHour
	uDay
	uWeek
	uMonth
	uQuarter
	uYear
)

// unitNanos is the length of the fixed-length units.
var unitNanos = [...]float64{1e6, 1e9, 60e9, 3600e9}

// parseUnit reads a unit: a name, singular or plural, any case
// ("days", "Day"), or a Moment.js abbreviation (ms s m h d w M Q y; M is
// months, m minutes).
func parseUnit(s string) (unit, bool) {
	switch s {
	case "ms":
		return uMillisecond, true
	case "s":
		return uSecond, true
	case "m":
		return uMinute, true
	case "h":
		return uHour, true
	case "d":
		return uDay, true
	case "w":
		return uWeek, true
	case "M":
		return uMonth, true
	case "Q":
		return uQuarter, true
	case "y":
		return uYear, true
	}
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "s") {
	case "millisecond":
		return uMillisecond, true
	case "second":
		return uSecond, true
	case "minute":
		return uMinute, true
	case "hour":
		return uHour, true
	case "day":
		return uDay, true
	case "week":
		return uWeek, true
	case "month":
		return uMonth, true
	case "quarter":
		return uQuarter, true
	case "year":
		return uYear, true
	}
	return 0, false
}

const unitNames = "milliseconds, seconds, minutes, hours, days, weeks, months, quarters or years"

// checkUnitArg rejects an unknown literal unit at parse time.
func checkUnitArg(i int) func(args []node) *SyntaxError {
	return func(args []node) *SyntaxError {
		if i < len(args) {
			if s, ok := literalString(args[i]); ok {
				if _, ok := parseUnit(s); !ok {
					return &SyntaxError{Pos: args[i].meta().pos, Msg: fmt.Sprintf("unknown unit %q (use %s)", s, unitNames)}
				}
			}
		}
		return nil
	}
}

func argUnit(fn string, v any) (unit, error) {
	s := toString(v)
	u, ok := parseUnit(s)
	if !ok {
		return 0, evalErrf("%s: unknown unit %q (use %s)", fn, s, unitNames)
	}
	return u, nil
}

// DATEADD(date, count, unit). Fractional counts of days and weeks are
// rounded to whole days, of months, quarters and years to whole months
// (as Moment.js). Adding months keeps the day of month, clamped to the
// month's last day (Jan 31 + 1 month = Feb 28).
func fnDateAdd(_ *evaluator, args []any) (any, error) {
	t, blank, err := argTime("DATEADD", args[0])
	if err != nil || blank {
		return nil, err
	}
	count, err := argNum("DATEADD", args[1])
	if err != nil {
		return nil, err
	}
	u, err := argUnit("DATEADD", args[2])
	if err != nil {
		return nil, err
	}
	tooFar := &EvalError{Msg: "DATEADD: count out of range"}
	switch u {
	case uMillisecond, uSecond, uMinute, uHour:
		ns := math.Round(count * unitNanos[u])
		if math.Abs(ns) > 9e18 {
			return nil, tooFar
		}
		return t.Add(time.Duration(ns)), nil
	case uDay, uWeek:
		days := count
		if u == uWeek {
			days *= 7
		}
		days = math.Round(days)
		if math.Abs(days) > 4e6 {
			return nil, tooFar
		}
		return t.AddDate(0, 0, int(days)), nil
	}
	months := count
	switch u {
	case uQuarter:
		months *= 3
	case uYear:
		months *= 12
	}
	months = math.Round(months)
	if math.Abs(months) > 130_000 {
		return nil, tooFar
	}
	return addMonths(t, int(months)), nil
}

// addMonths adds n months, clamping the day to the last of the month.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + n
	ny, nm := y+total/12, total%12
	if nm < 0 {
		nm += 12
		ny--
	}
	month := time.Month(nm + 1)
	if last := daysIn(ny, month); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(ny, month, d, hh, mm, ss, t.Nanosecond(), t.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// diffMillis is a - b in milliseconds (without time.Duration's ±292 years
// limit).
func diffMillis(a, b time.Time) float64 {
	return float64(a.Unix()-b.Unix())*1000 + float64(a.Nanosecond()-b.Nanosecond())/1e6
}

// DATETIME_DIFF(d1, d2, unit?) is d1 - d2 in unit (default seconds),
// truncated toward zero, computed as Moment.js diff: days and weeks
// follow the wall clock of d1's zone, months/quarters/years count
// calendar months.
func fnDateTimeDiff(_ *evaluator, args []any) (any, error) {
	a, blankA, err := argTime("DATETIME_DIFF", args[0])
	if err != nil {
		return nil, err
	}
	b, blankB, err := argTime("DATETIME_DIFF", args[1])
	if err != nil || blankA || blankB {
		return nil, err
	}
	u := uSecond
	if len(args) > 2 && args[2] != nil {
		if u, err = argUnit("DATETIME_DIFF", args[2]); err != nil {
			return nil, err
		}
	}
	b = b.In(a.Location())
	ms := diffMillis(a, b)
	var out float64
	switch u {
	case uMillisecond, uSecond, uMinute, uHour:
		out = ms * 1e6 / unitNanos[u]
	case uDay, uWeek:
		_, offA := a.Zone()
		_, offB := b.Zone()
		ms += float64(offA-offB) * 1000
		out = ms / 864e5
		if u == uWeek {
			out /= 7
		}
	case uMonth:
		out = monthDiff(a, b)
	case uQuarter:
		out = monthDiff(a, b) / 3
	case uYear:
		out = monthDiff(a, b) / 12
	}
	return finite(math.Trunc(out))
}

// monthDiff is a - b in fractional calendar months (Moment.js monthDiff).
func monthDiff(a, b time.Time) float64 {
	if a.Day() < b.Day() {
		return -monthDiff(b, a)
	}
	// Months from a to b, then the fraction of the month around b.
	whole := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	anchor := addMonths(a, whole)
	var adjust float64
	if d := diffMillis(b, anchor); d < 0 {
		anchor2 := addMonths(a, whole-1)
		adjust = d / diffMillis(anchor, anchor2)
	} else {
		anchor2 := addMonths(a, whole+1)
		adjust = d / diffMillis(anchor2, anchor)
	}
	return num(-(float64(whole) + adjust))
}

// IS_BEFORE(d1, d2): d1 is strictly before d2 (FALSE if either is BLANK).
func fnIsBefore(_ *evaluator, args []any) (any, error) { return dateOrder("IS_BEFORE", args, -1) }

// IS_AFTER(d1, d2): d1 is strictly after d2 (FALSE if either is BLANK).
func fnIsAfter(_ *evaluator, args []any) (any, error) { return dateOrder("IS_AFTER", args, 1) }

func dateOrder(fn string, args []any, want int) (any, error) {
	a, blankA, err := argTime(fn, args[0])
	if err != nil {
		return nil, err
	}
	b, blankB, err := argTime(fn, args[1])
	if err != nil {
		return nil, err
	}
	if blankA || blankB {
		return false, nil
	}
	return a.Compare(b) == want, nil
}

// DATETIME_FORMAT(date, format?) formats with Moment.js tokens, in the
// date's own zone (UTC for date fields, the Env's zone for datetime fields
// and NOW()).
func fnDateTimeFormat(ev *evaluator, args []any) (any, error) {
	t, blank, err := argTime("DATETIME_FORMAT", args[0])
	if err != nil || blank {
		return nil, err
	}
	f := defaultDateFormat
	if len(args) > 1 && args[1] != nil && args[1] != "" {
		f = toString(args[1])
	}
	s, err := formatMoment(t, f, MaxStringLen)
	if err != nil {
		return nil, err
	}
	return ev.str(s)
}

// DATESTR(date) is the date as YYYY-MM-DD.
func fnDateStr(_ *evaluator, args []any) (any, error) {
	t, blank, err := argTime("DATESTR", args[0])
	if err != nil || blank {
		return nil, err
	}
	return formatMoment(t, "YYYY-MM-DD", MaxStringLen)
}

// datePart builds YEAR, MONTH, DAY, HOUR, MINUTE and SECOND.
func datePart(fn string, part func(time.Time) int) func(*evaluator, []any) (any, error) {
	return func(_ *evaluator, args []any) (any, error) {
		t, blank, err := argTime(fn, args[0])
		if err != nil || blank {
			return nil, err
		}
		return float64(part(t)), nil
	}
}

// WEEKDAY(date, start?) is the day of the week, 0 = Sunday ... 6, or
// 0 = Monday when start is "Monday".
func fnWeekday(_ *evaluator, args []any) (any, error) {
	t, blank, err := argTime("WEEKDAY", args[0])
	if err != nil || blank {
		return nil, err
	}
	d := int(t.Weekday())
	if len(args) > 1 && args[1] != nil {
		switch strings.ToLower(strings.TrimSpace(toString(args[1]))) {
		case "sunday", "":
		case "monday":
			d = (d + 6) % 7
		default:
			return nil, evalErrf("WEEKDAY: start day must be \"Sunday\" or \"Monday\", got %s", describe(args[1]))
		}
	}
	return float64(d), nil
}

// defaultDateFormat is DATETIME_FORMAT's default and the text form of a
// date in string context.
const defaultDateFormat = "YYYY-MM-DDTHH:mm:ss.SSSZ"

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// momentTokens are the supported Moment.js tokens, longest first so that
// the longest token wins at each position.
var momentTokens = []string{
	"LLLL", "YYYY", "MMMM", "DDDD", "dddd",
	"LLL", "LTS", "MMM", "DDD", "ddd", "SSS",
	"LL", "LT", "YY", "MM", "Do", "DD", "dd", "HH", "hh", "kk", "mm", "ss", "SS", "ZZ", "WW",
	"L", "Y", "Q", "M", "D", "d", "H", "h", "k", "m", "s", "S", "A", "a", "Z", "X", "x", "W",
}

// localized formats (Moment.js "en").
var momentLocalized = map[string]string{
	"LT":   "h:mm A",
	"LTS":  "h:mm:ss A",
	"L":    "MM/DD/YYYY",
	"LL":   "MMMM D, YYYY",
	"LLL":  "MMMM D, YYYY h:mm A",
	"LLLL": "dddd, MMMM D, YYYY h:mm A",
}

// formatMoment formats t with Moment.js tokens (English). Text in
// [brackets] is literal; other characters are copied. The result is
// limited to maxLen bytes.
func formatMoment(t time.Time, f string, maxLen int) (string, error) {
	var b strings.Builder
	if err := formatInto(&b, t, f, maxLen, true); err != nil {
		return "", err
	}
	return b.String(), nil
}

func formatInto(b *strings.Builder, t time.Time, f string, maxLen int, expand bool) error {
	for i := 0; i < len(f); {
		if b.Len() > maxLen {
			return evalErrf("string too long (max %d bytes)", maxLen)
		}
		if f[i] == '[' {
			if end := strings.IndexByte(f[i+1:], ']'); end >= 0 {
				b.WriteString(f[i+1 : i+1+end])
				i += end + 2
				continue
			}
		}
		tok := ""
		for _, k := range momentTokens {
			if strings.HasPrefix(f[i:], k) {
				tok = k
				break
			}
		}
		if tok == "" {
			b.WriteByte(f[i])
			i++
			continue
		}
		i += len(tok)
		if l, ok := momentLocalized[tok]; ok {
			if expand {
				if err := formatInto(b, t, l, maxLen, false); err != nil {
					return err
				}
			}
			continue
		}
		b.WriteString(momentToken(t, tok))
	}
	if b.Len() > maxLen {
		return evalErrf("string too long (max %d bytes)", maxLen)
	}
	return nil
}

func pad(n, width int) string {
	s := strconv.Itoa(abs(n))
	for len(s) < width {
		s = "0" + s
	}
	if n < 0 {
		return "-" + s
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func hour12(h int) int {
	if h%12 == 0 {
		return 12
	}
	return h % 12
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

func zone(t time.Time, sep string) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return sign + pad(off/3600, 2) + sep + pad(off%3600/60, 2)
}

func momentToken(t time.Time, tok string) string {
	switch tok {
	case "YYYY":
		return pad(t.Year(), 4)
	case "YY":
		return pad(abs(t.Year())%100, 2)
	case "Y":
		return strconv.Itoa(t.Year())
	case "Q":
		return strconv.Itoa((int(t.Month())-1)/3 + 1)
	case "MMMM":
		return monthNames[t.Month()-1]
	case "MMM":
		return monthNames[t.Month()-1][:3]
	case "MM":
		return pad(int(t.Month()), 2)
	case "M":
		return strconv.Itoa(int(t.Month()))
	case "DDDD":
		return pad(t.YearDay(), 3)
	case "DDD":
		return strconv.Itoa(t.YearDay())
	case "DD":
		return pad(t.Day(), 2)
	case "Do":
		return ordinal(t.Day())
	case "D":
		return strconv.Itoa(t.Day())
	case "dddd":
		return dayNames[t.Weekday()]
	case "ddd":
		return dayNames[t.Weekday()][:3]
	case "dd":
		return dayNames[t.Weekday()][:2]
	case "d":
		return strconv.Itoa(int(t.Weekday()))
	case "HH":
		return pad(t.Hour(), 2)
	case "H":
		return strconv.Itoa(t.Hour())
	case "hh":
		return pad(hour12(t.Hour()), 2)
	case "h":
		return strconv.Itoa(hour12(t.Hour()))
	case "kk":
		return pad(t.Hour()+1, 2)
	case "k":
		return strconv.Itoa(t.Hour() + 1)
	case "mm":
		return pad(t.Minute(), 2)
	case "m":
		return strconv.Itoa(t.Minute())
	case "ss":
		return pad(t.Second(), 2)
	case "s":
		return strconv.Itoa(t.Second())
	case "SSS":
		return pad(t.Nanosecond()/1e6, 3)
	case "SS":
		return pad(t.Nanosecond()/1e7, 2)
	case "S":
		return strconv.Itoa(t.Nanosecond() / 1e8)
	case "A":
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case "a":
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case "Z":
		return zone(t, ":")
	case "ZZ":
		return zone(t, "")
	case "X":
		return strconv.FormatInt(t.Unix(), 10)
	case "x":
		return strconv.FormatInt(t.UnixMilli(), 10)
	case "W", "WW":
		_, w := t.ISOWeek()
		if tok == "WW" {
			return pad(w, 2)
		}
		return strconv.Itoa(w)
	}
	return tok
}
