package field

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// DateTimeOptions are the options of a datetime field.
type DateTimeOptions struct {
	// TimeZone is an IANA zone name (default "UTC"). It is the zone of
	// input values written without an offset, and of how clients show cells.
	TimeZone string `json:"time_zone"`
}

const dateLayout = "2006-01-02"

// localLayouts are the datetime inputs without an offset, read in the
// field's time zone. Fractional seconds after :SS are accepted too.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", dateLayout}

// dateKind takes "YYYY-MM-DD" or an RFC 3339 timestamp (its date in UTC);
// dateTimeKind takes RFC 3339, or a local time read in the field's time zone,
// and stores RFC 3339 in UTC. Both also take a Go time.Time. Years are
// limited to 0001..9999 so the cell is always valid RFC 3339.
type (
	dateKind     struct{}
	dateTimeKind struct{}
)

func (dateKind) Type() Type         { return Date }
func (dateKind) Writable() bool     { return true }
func (dateTimeKind) Type() Type     { return DateTime }
func (dateTimeKind) Writable() bool { return true }

func (dateKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(Date, raw)
}

func (dateTimeKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	m, err := decodeOptions(DateTime, raw, "time_zone")
	if err != nil {
		return nil, err
	}
	var o DateTimeOptions
	if o.TimeZone, err = optString(m, "time_zone"); err != nil {
		return nil, err
	}
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if _, err := loadLocation(o.TimeZone); err != nil {
		return nil, &Error{Field: "options.time_zone", Reason: quote(o.TimeZone) + ` is not an IANA time zone (e.g. "Europe/Paris", "UTC")`}
	}
	return marshalOptions(o)
}

func (dateKind) Normalize(f Field, v any) (any, error) {
	const want = `a date "YYYY-MM-DD" or an RFC 3339 timestamp`
	t, empty, err := timeInput(f, v, want)
	if err != nil || empty {
		return nil, err
	}
	if t.IsZero() {
		s := v.(string)
		if t, err = time.Parse(dateLayout, s); err != nil {
			if t, err = time.Parse(time.RFC3339, s); err != nil {
				return nil, fail(f, "expected %s, got %s", want, quote(s))
			}
		}
	}
	t = t.UTC()
	if err := checkYear(f, t); err != nil {
		return nil, err
	}
	return t.Format(dateLayout), nil
}

func (dateTimeKind) Normalize(f Field, v any) (any, error) {
	const want = `an RFC 3339 timestamp ("2026-01-02T15:04:05Z"), a local time "YYYY-MM-DDTHH:MM[:SS]" or a date "YYYY-MM-DD"`
	t, empty, err := timeInput(f, v, want)
	if err != nil || empty {
		return nil, err
	}
	if t.IsZero() {
		s := v.(string)
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			loc := Location(f)
			for _, layout := range localLayouts {
				if t, err = time.ParseInLocation(layout, s, loc); err == nil {
					break
				}
			}
			if err != nil {
				return nil, fail(f, "expected %s, got %s", want, quote(s))
			}
		}
	}
	t = t.UTC()
	if err := checkYear(f, t); err != nil {
		return nil, err
	}
	return t.Format(time.RFC3339Nano), nil
}

// timeInput reads a date/datetime input: empty for null and "", a non-zero
// t for a time.Time, else a zero t and v is a non-empty string to parse.
func timeInput(f Field, v any, want string) (t time.Time, empty bool, err error) {
	switch x := v.(type) {
	case nil:
		return t, true, nil
	case string:
		return t, x == "", nil
	case time.Time:
		if x.IsZero() {
			return t, true, nil
		}
		return x, false, nil
	default:
		return t, false, fail(f, "expected %s, got %s", want, describe(v))
	}
}

func checkYear(f Field, t time.Time) error {
	if y := t.Year(); y < 1 || y > 9999 {
		return fail(f, "the date is out of range: the year (in UTC) must be from 0001 to 9999")
	}
	return nil
}

// Location returns the time zone of a datetime field (UTC for any other
// field or a bad/missing option).
func Location(f Field) *time.Location {
	if f.Type != DateTime {
		return time.UTC
	}
	var o DateTimeOptions
	if readOptions(f, &o) != nil {
		return time.UTC
	}
	loc, err := loadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// locations caches the zones loaded so far (only valid names, so it is
// bounded by the time zone database).
var locations sync.Map // string → *time.Location

// loadLocation is time.LoadLocation with a cache, refusing "Local" (the
// server's zone is not an IANA name). "" is UTC.
func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, errors.New("Local is not an IANA time zone")
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

// castTime trims a date or datetime string and reads "YYYY-MM-DD HH:MM[:SS]"
// (a space instead of ISO 8601's T) as its ISO form.
func castTime(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	return s
}

// Cast implements Kind: ISO 8601 dates and timestamps, trimmed, with a
// space or a T between date and time.
func (dateKind) Cast(_ Field, v any) (any, error) { return castTime(v), nil }

// Cast implements Kind: as for dates; a time without an offset is read in
// the field's time zone by Normalize.
func (dateTimeKind) Cast(_ Field, v any) (any, error) { return castTime(v), nil }
