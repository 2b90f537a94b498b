package condition

import (
	"strings"
	"time"

	"github.com/rowflow/rowflow/field"
)

// MaxDays bounds n in {"days_ago": n}, {"past_days": n} and the like.
const MaxDays = 100_000

// day is a calendar day: the number of days since 1970-01-01 (proleptic
// Gregorian calendar).
type day int64

// civil returns the day of y-m-d (Howard Hinnant's days_from_civil).
func civil(y int, m time.Month, d int) day {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (int(m) + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return day(era*146097 + doe - 719468)
}

// dayIn returns the calendar day of t in loc.
func dayIn(t time.Time, loc *time.Location) day {
	y, m, d := t.In(loc).Date()
	return civil(y, m, d)
}

// refKind tells how a date value resolves.
type refKind uint8

const (
	refDay     refKind = iota // a fixed calendar day
	refInstant                // a fixed instant
	refToday                  // today (in the field's zone) plus offset days
	refNow                    // the evaluation instant
)

// dateRef is a compiled date value of is_on, is_before and is_after.
type dateRef struct {
	kind   refKind
	day    day
	t      time.Time
	offset int
}

// resolve returns the day of r in loc and, for instants, the instant.
func (r dateRef) resolve(now time.Time, loc *time.Location) (day, time.Time, bool) {
	switch r.kind {
	case refDay:
		return r.day, time.Time{}, false
	case refInstant:
		return dayIn(r.t, loc), r.t, true
	case refToday:
		return dayIn(now, loc) + day(r.offset), time.Time{}, false
	default:
		return dayIn(now, loc), now, true
	}
}

// window is a compiled is_within value: [today+from, today+to] in days, or
// by months or years for the calendar windows.
type window struct {
	from, to     int // days relative to today
	months, year int // past (negative) or next (positive) months/years
}

// bounds returns the first and last day of w.
func (w window) bounds(now time.Time, loc *time.Location) (day, day) {
	y, m, d := now.In(loc).Date()
	today := civil(y, m, d)
	switch {
	case w.months != 0 || w.year != 0:
		other := time.Date(y+w.year, m+time.Month(w.months), d, 12, 0, 0, 0, time.UTC)
		od := civil(other.Date())
		if od < today {
			return od, today
		}
		return today, od
	default:
		return today + day(w.from), today + day(w.to)
	}
}

const dateValueHelp = `a date "YYYY-MM-DD", an RFC 3339 datetime, "today", "tomorrow", "yesterday", "now", {"days_ago": n} or {"days_from_now": n}`

const windowHelp = `{"past_days": n}, {"next_days": n}, "today", "past_week", "past_month", "past_year", "next_week", "next_month" or "next_year"`

// compileDate builds the operators of date and datetime fields. Days are
// calendar days in the field's zone (field.Location); is_before and is_after
// compare instants when both the cell and the value are instants.
func compileDate(f field.Field, op string, v any, vpath string) (predicate, error) {
	loc := field.Location(f)
	if op == opWithin {
		w, err := windowValue(v, vpath)
		if err != nil {
			return nil, err
		}
		return func(cell any, now time.Time) (bool, bool) {
			cd, _, _, ok := cellTime(cell, loc)
			if !ok {
				return false, false
			}
			from, to := w.bounds(now, loc)
			return from <= cd && cd <= to, true
		}, nil
	}
	ref, err := dateValue(v, vpath)
	if err != nil {
		return nil, err
	}
	return func(cell any, now time.Time) (bool, bool) {
		cd, ct, cInstant, ok := cellTime(cell, loc)
		if !ok {
			return false, false
		}
		vd, vt, vInstant := ref.resolve(now, loc)
		both := cInstant && vInstant
		switch op {
		case opOn:
			return cd == vd, true
		case opBefore:
			if both {
				return ct.Before(vt), true
			}
			return cd < vd, true
		default: // opAfter
			if both {
				return ct.After(vt), true
			}
			return cd > vd, true
		}
	}, nil
}

// cellTime reads a date ("YYYY-MM-DD") or datetime (RFC 3339) cell.
func cellTime(cell any, loc *time.Location) (d day, t time.Time, instant, ok bool) {
	s, isStr := cell.(string)
	if !isStr {
		return 0, time.Time{}, false, false
	}
	if d, ok := parseDay(s); ok {
		return d, time.Time{}, false, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, time.Time{}, false, false
	}
	return dayIn(t, loc), t, true, true
}

// parseDay reads "YYYY-MM-DD" with a valid month and day.
func parseDay(s string) (day, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(i, j int) (int, bool) {
		n := 0
		for _, c := range []byte(s[i:j]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	m, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	if d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, false
	}
	return civil(y, time.Month(m), d), true
}

// dateValue reads the value of is_on, is_before and is_after.
func dateValue(v any, vpath string) (dateRef, error) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		switch strings.ToLower(s) {
		case "today":
			return dateRef{kind: refToday}, nil
		case "tomorrow":
			return dateRef{kind: refToday, offset: 1}, nil
		case "yesterday":
			return dateRef{kind: refToday, offset: -1}, nil
		case "now":
			return dateRef{kind: refNow}, nil
		}
		if d, ok := parseDay(s); ok {
			return dateRef{kind: refDay, day: d}, nil
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return dateRef{kind: refInstant, t: t}, nil
		}
	case map[string]any:
		key, n, err := daysObject(x, vpath, "days_ago", "days_from_now")
		if err != nil {
			return dateRef{}, err
		}
		if key == "days_ago" {
			n = -n
		}
		return dateRef{kind: refToday, offset: n}, nil
	}
	return dateRef{}, pathErr(vpath, "must be %s, got %s", dateValueHelp, describe(v))
}

// windowValue reads the value of is_within.
func windowValue(v any, vpath string) (window, error) {
	switch x := v.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "today":
			return window{}, nil
		case "past_week":
			return window{from: -7}, nil
		case "next_week":
			return window{to: 7}, nil
		case "past_month":
			return window{months: -1}, nil
		case "next_month":
			return window{months: 1}, nil
		case "past_year":
			return window{year: -1}, nil
		case "next_year":
			return window{year: 1}, nil
		}
	case map[string]any:
		key, n, err := daysObject(x, vpath, "past_days", "next_days")
		if err != nil {
			return window{}, err
		}
		if key == "past_days" {
			return window{from: -n}, nil
		}
		return window{to: n}, nil
	}
	return window{}, pathErr(vpath, "is_within needs a window: %s, got %s", windowHelp, describe(v))
}

// daysObject reads {"<key>": n} where key is one of keys and n a whole
// number of days in 0..MaxDays.
func daysObject(m map[string]any, vpath string, keys ...string) (string, int, error) {
	if len(m) != 1 {
		return "", 0, pathErr(vpath, "must be an object with exactly one key (%s)", strings.Join(keys, " or "))
	}
	var (
		k   string
		raw any
	)
	for k, raw = range m {
	}
	if k != keys[0] && k != keys[1] {
		return "", 0, pathErr(join(vpath, k), "unknown key (want %s)", strings.Join(keys, " or "))
	}
	x, ok := toFloat(raw)
	if !ok || x < 0 || x > MaxDays || x != float64(int(x)) {
		return "", 0, pathErr(join(vpath, k), "must be a whole number of days from 0 to %d, got %s", MaxDays, describe(raw))
	}
	return k, int(x), nil
}
