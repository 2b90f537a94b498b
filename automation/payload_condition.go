package automation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/field"
)

// Payload conditions: the conditions of an automation whose trigger is not
// on a table (webhook_received) name paths of the trigger data instead of
// fields — "body.order.total", "query.source", "data.email" (a leading
// "trigger." is allowed) — with the same operators and values. A path's
// type comes from its operators: gt/gte/lt/lte or a numeric value make it
// a number, date operators a datetime, anything else text (a number or a
// boolean in the payload is compared as its JSON text).

// payloadFields returns the pseudo-fields of a condition group's paths.
func payloadFields(raw json.RawMessage) ([]field.Field, error) {
	var g condition.Group
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	types := map[string]field.Type{}
	var order []string
	var walk func(g condition.Group)
	walk = func(g condition.Group) {
		for _, r := range g.Rules {
			if r.Group != nil {
				walk(*r.Group)
				continue
			}
			if r.Field == "" {
				continue
			}
			if _, seen := types[r.Field]; !seen {
				order = append(order, r.Field)
				types[r.Field] = field.Text
			}
			switch {
			case slices.Contains([]string{"gt", "gte", "lt", "lte"}, r.Op) || isNumber(r.Value):
				types[r.Field] = field.Number
			case slices.Contains([]string{"is_before", "is_after", "is_on", "is_within"}, r.Op):
				types[r.Field] = field.DateTime
			}
		}
	}
	walk(g)
	if g.Formula != "" {
		return nil, fmt.Errorf("formulas are not available on trigger data; use rules on paths such as body.status")
	}
	out := make([]field.Field, len(order))
	for i, ref := range order {
		out[i] = field.Field{ID: ref, Name: ref, Type: types[ref], Options: json.RawMessage("{}")}
	}
	return out, nil
}

func isNumber(v any) bool {
	switch x := v.(type) {
	case json.Number, float64, int, int64:
		return true
	case []any:
		return len(x) > 0 && isNumber(x[0])
	}
	return false
}

// compilePayload validates and compiles payload conditions.
func compilePayload(raw json.RawMessage) (*condition.Condition, []field.Field, error) {
	fields, err := payloadFields(raw)
	if err != nil {
		return nil, nil, err
	}
	c, err := condition.CompileJSON(raw, fields)
	return c, fields, err
}

// matchPayload matches payload conditions against trigger data.
func matchPayload(raw json.RawMessage, data map[string]any, now time.Time) (bool, error) {
	c, fields, err := compilePayload(raw)
	if err != nil {
		return false, err
	}
	cells := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := lookupPath(data, f.ID); ok {
			cells[f.ID] = payloadCell(f.Type, v)
		}
	}
	return c.Match(cells, now)
}

// lookupPath resolves a dotted path ("body.items.0.sku") in data.
func lookupPath(data map[string]any, path string) (any, bool) {
	return walkData(data, strings.Split(strings.TrimPrefix(path, "trigger."), "."))
}

// payloadCell converts a payload value to the cell form of a field type.
func payloadCell(t field.Type, v any) any {
	switch t {
	case field.Number:
		switch x := v.(type) {
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f
			}
		case json.Number:
			f, _ := x.Float64()
			return f
		}
		return v
	case field.Text:
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return v
}
