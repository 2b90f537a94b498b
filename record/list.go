package record

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/field"
)

// SortSpec orders records by a field (name or id), "asc" (default) or "desc".
type SortSpec struct {
	Field     string `json:"field"`
	Direction string `json:"direction,omitempty"`
}

// ListOpts selects records: a condition group (the language of conditions),
// a sort, a view (whose filter is ANDed and whose sort applies when Sort is
// empty), a page size (default 100, max 1000) and a cursor.
type ListOpts struct {
	Filter json.RawMessage
	Sort   []SortSpec
	ViewID string
	Limit  int
	Cursor string
}

// ListRecords returns one page of a table's records and the cursor of the
// next page ("" at the end). Filtering uses the same evaluator as trigger
// conditions. The cursor is an opaque position in the filtered, sorted list
// (the last record's sort values and creation order), so records created or
// deleted between pages neither repeat nor hide others.
func (s *Service) ListRecords(ctx context.Context, tableID string, o ListOpts) (*Table, []Record, string, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleViewer)
	if err != nil {
		return nil, nil, "", err
	}
	if o.Limit <= 0 {
		o.Limit = 100
	}
	if o.Limit > 1000 {
		return nil, nil, "", rowflow.Invalid("limit", "must be at most 1000")
	}
	var after *listCursor
	if o.Cursor != "" {
		after = new(listCursor)
		b, err := base64.RawURLEncoding.DecodeString(o.Cursor)
		if err == nil {
			err = json.Unmarshal(b, after)
		}
		if err != nil || after.Seq <= 0 {
			return nil, nil, "", rowflow.Invalid("cursor", "malformed cursor")
		}
	}
	var conds []*condition.Condition
	if len(o.Filter) > 0 {
		c, err := condition.CompileJSON(o.Filter, t.Fields)
		if err != nil {
			return nil, nil, "", ConditionError(err, "filter")
		}
		conds = append(conds, c)
	}
	if o.ViewID != "" {
		v, err := s.GetView(ctx, o.ViewID)
		if err != nil || v.TableID != t.ID {
			return nil, nil, "", rowflow.Invalid("view_id", "no view %q on this table", o.ViewID)
		}
		c, err := condition.CompileJSON(v.Filter, t.Fields)
		if err != nil {
			return nil, nil, "", fmt.Errorf("view %s filter no longer compiles: %w", v.ID, err)
		}
		conds = append(conds, c)
		if len(o.Sort) == 0 {
			o.Sort = v.Sort
		}
	}
	sorts, err := resolveSort(t, o.Sort, "sort")
	if err != nil {
		return nil, nil, "", err
	}
	rows, err := s.q.ListRecords(ctx, t.ID)
	if err != nil {
		return nil, nil, "", err
	}
	now := s.now()
	matched := make([]Record, 0, len(rows))
	seqs := make(map[string]int64, len(rows))
	for _, row := range rows {
		r, err := recordFromRow(row)
		if err != nil {
			return nil, nil, "", err
		}
		if row.Seq != nil {
			seqs[r.ID] = *row.Seq
		}
		ok := true
		for _, c := range conds {
			if ok, err = c.Match(r.Cells, now); err != nil {
				return nil, nil, "", rowflow.Invalid("filter", "%s", err.Error())
			}
			if !ok {
				break
			}
		}
		if ok {
			matched = append(matched, r)
		}
	}
	if len(sorts) > 0 {
		sort.SliceStable(matched, func(i, j int) bool { return lessRecords(sorts, matched[i], matched[j]) })
	}
	start := 0
	if after != nil {
		// The page starts after the cursor's position in the order, not at
		// an offset: records created or deleted meanwhile shift nothing.
		start = sort.Search(len(matched), func(i int) bool {
			return compareToCursor(sorts, matched[i], seqs[matched[i].ID], after) > 0
		})
	}
	end := min(start+o.Limit, len(matched))
	next := ""
	if end < len(matched) && end > start {
		last := matched[end-1]
		c := listCursor{Seq: seqs[last.ID], Values: make([]any, len(sorts))}
		for i, so := range sorts {
			c.Values[i] = last.Cells[so.f.ID]
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, nil, "", fmt.Errorf("encoding cursor: %w", err)
		}
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return t, matched[start:end], next, nil
}

// listCursor is the position of the last record of a page: its sort key
// values and its creation sequence (the final tie-break of every order).
type listCursor struct {
	Values []any `json:"v"`
	Seq    int64 `json:"s"`
}

// compareToCursor orders record r (with creation sequence seq) against the
// cursor's position, as lessRecords orders records, then by creation.
func compareToCursor(sorts []resolvedSort, r Record, seq int64, c *listCursor) int {
	for i, s := range sorts {
		var cv any
		if i < len(c.Values) {
			cv = c.Values[i]
		}
		va := r.Cells[s.f.ID]
		if va == nil || cv == nil {
			switch {
			case va == nil && cv == nil:
				continue
			case va == nil:
				return 1 // empty cells sort last either way
			default:
				return -1
			}
		}
		if n := compareCells(va, cv); n != 0 {
			if s.desc {
				return -n
			}
			return n
		}
	}
	switch {
	case seq > c.Seq:
		return 1
	case seq < c.Seq:
		return -1
	}
	return 0
}

type resolvedSort struct {
	f    field.Field
	desc bool
}

// resolveSort checks sort specs against the table's fields.
func resolveSort(t *Table, specs []SortSpec, loc string) ([]resolvedSort, error) {
	out := make([]resolvedSort, 0, len(specs))
	for i, s := range specs {
		f, ok := t.Field(s.Field)
		if !ok {
			return nil, rowflow.Invalid(fmt.Sprintf("%s[%d].field", loc, i), "no field %q", s.Field)
		}
		switch s.Direction {
		case "", "asc", "desc":
		default:
			return nil, rowflow.Invalid(fmt.Sprintf("%s[%d].direction", loc, i), "must be asc or desc")
		}
		out = append(out, resolvedSort{f: f, desc: s.Direction == "desc"})
	}
	return out, nil
}

// ParseSort reads "Name,-Amount" (a leading - is descending).
func ParseSort(s string) []SortSpec {
	var out []SortSpec
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "-") {
			out = append(out, SortSpec{Field: part[1:], Direction: "desc"})
		} else {
			out = append(out, SortSpec{Field: part, Direction: "asc"})
		}
	}
	return out
}

// lessRecords orders by the sort keys; empty cells sort last either way.
func lessRecords(sorts []resolvedSort, a, b Record) bool {
	for _, s := range sorts {
		va, vb := a.Cells[s.f.ID], b.Cells[s.f.ID]
		if va == nil || vb == nil {
			if (va == nil) != (vb == nil) {
				return vb == nil
			}
			continue
		}
		c := compareCells(va, vb)
		if c == 0 {
			continue
		}
		if s.desc {
			return c > 0
		}
		return c < 0
	}
	return false
}

// compareCells compares two canonical non-empty values of one field type.
func compareCells(a, b any) int {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(strings.ToLower(x), strings.ToLower(y))
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// ConditionError turns a condition compile error into an invalid error
// located under loc (its path inside the group appended).
func ConditionError(err error, loc string) error {
	if pe, ok := err.(*condition.PathError); ok {
		l := loc
		if pe.Path != "" {
			l = loc + "." + pe.Path
		}
		return rowflow.Invalid(l, "%s", pe.Msg)
	}
	return rowflow.Invalid(loc, "%s", err.Error())
}
