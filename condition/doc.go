// Package condition evaluates condition groups: the one filter language of
// view filters, record-list filters, trigger conditions and step "if"
// conditions.
//
// # Form
//
// A condition is a group of rules, or a formula:
//
//	{"match": "all", "rules": [
//	    {"field": "Status", "op": "is", "value": "Done"},
//	    {"match": "any", "rules": [
//	        {"field": "Amount", "op": "gt", "value": 100},
//	        {"field": "Tags", "op": "contains", "value": "vip"}]}]}
//
//	{"formula": "AND({Status} = 'Done', {Amount} > 100)"}
//
// "match" is "all" (the default) or "any". A rule is a leaf (field, op,
// value) or a nested group (match and rules, or formula); unknown keys are
// errors. "field" is a field id or name (an id wins). Groups nest at most
// MaxDepth levels and a condition holds at most MaxRules rules. An empty
// group — no rules and no formula — matches every record; a nested empty
// group is ignored. Compile checks everything it can (field, operator for
// the field type, value shape, choices, formula syntax and references) and
// names the place of a problem as a *PathError ("rules[1].rules[0].value").
//
// # Empty cells
//
// An empty cell is an absent or null cell, a string of blanks only, or an
// empty list. One rule covers every operator: on an empty cell is_empty is
// true, is_not_empty false, the negative operators is_not, not_contains and
// is_none_of are true, and every other operator is false. A cell whose value
// has the wrong shape for its field type (a number in a text field, say) is
// treated as empty by the comparison operators. Checkboxes are the exception:
// an empty checkbox is false, so {"op": "is", "value": false} matches it.
//
// # Operators by field type
//
// text, long_text, email, url, phone:
//
//	is, is_not              equal ignoring case and surrounding blanks; value a non-blank string
//	contains, not_contains  case-insensitive substring; value a non-blank string
//	is_any_of, is_none_of   equal (as for is) to one of a list of strings
//	is_empty, is_not_empty  (any value is ignored)
//
// number (cells float64 or json.Number; values JSON numbers, never strings):
//
//	is, is_not, gt, gte, lt, lte, is_any_of, is_none_of (a list), is_empty, is_not_empty
//
// checkbox: is, is_not with true or false.
//
// single_select: is, is_not, is_any_of, is_none_of, is_empty, is_not_empty.
// Values are choice names that must exist, matched case-sensitively (a
// case-insensitive near miss is named in the error).
//
// multi_select and link_to_record (values: choice names, or record ids):
//
//	contains, not_contains  the cell has (has not) this element; value one string
//	is, is_not              the cell holds exactly (not exactly) this set; value a non-empty list
//	is_any_of, is_none_of   the cell shares (shares no) element with the list
//	is_empty, is_not_empty
//
// date and datetime:
//
//	is_on, is_before, is_after  value: "YYYY-MM-DD", an RFC 3339 datetime, "today",
//	                            "tomorrow", "yesterday", "now", {"days_ago": n},
//	                            {"days_from_now": n}
//	is_within                   value: {"past_days": n}, {"next_days": n}, "today",
//	                            "past_week", "past_month", "past_year", "next_week",
//	                            "next_month", "next_year"
//	is_empty, is_not_empty
//
// Days are calendar days in the field's time zone (field.Location: a datetime
// field's time_zone option, UTC for date fields); relative values resolve
// against the now passed to Match. is_on compares days. is_before and
// is_after compare instants when both the cell (datetime) and the value (an
// RFC 3339 datetime or "now") are instants, and days otherwise: a datetime is
// "before 2026-03-01" when its day in the zone is before that day. is_within
// windows are inclusive of both ends and of today: past_days n is [today-n,
// today], next_week is [today, today+7], past_month [same day last month,
// today] (Go's date normalization: Mar 31 minus a month is Mar 3). n is a
// whole number from 0 to MaxDays.
//
// button fields cannot be used in conditions, neither in rules nor in
// formulas.
//
// # Formulas
//
// A formula group is compiled with package formula; every {Name} must name a
// field of the table (by name, else by id). Match evaluates it against the
// record's cells, found by name through the fields given to Compile, and the
// now passed to Match; the result goes through formula.Truthy. An evaluation
// error is returned by Match (wrapped), since it depends on the record.
package condition
