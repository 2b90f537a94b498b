package condition

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzCompileJSON checks that any input compiles or fails with a
// *PathError, never panics, and that a compiled condition matches records
// without panicking.
func FuzzCompileJSON(f *testing.F) {
	seeds := []string{
		``, `null`, `{}`, `[]`, `{"match":"any"}`,
		`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"},{"match":"any","rules":[{"field":"Amount","op":"gt","value":1}]}]}`,
		`{"rules":[{"field":"Due","op":"is_within","value":{"past_days":7}}]}`,
		`{"rules":[{"field":"At","op":"is_before","value":"2026-03-16T00:00:00+01:00"}]}`,
		`{"rules":[{"field":"Tags","op":"is","value":["vip","new"]}]}`,
		`{"rules":[{"field":"Name","op":"contains","value":"ÉC"}]}`,
		`{"rules":[{"field":"Paid","op":"is","value":false}]}`,
		`{"formula":"AND({Status} = 'Done', {Amount} > 100)"}`,
		`{"rules":[{"formula":"{Amount} * {Name}"}]}`,
		`{"rules":[{"field":"Name","op":"is","value":"x","bogus":1}]}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	fields := testFields()
	records := []map[string]any{
		nil,
		benchCells(),
		{"fld_name": float64(1), "fld_amount": "x", "fld_tags": "vip", "fld_due": "2026-13-01", "fld_at": true, "fld_paid": "yes", "fld_links": []any{1.0}},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := CompileJSON(json.RawMessage(raw), fields)
		if err != nil {
			require.Nil(t, c)
			_, ok := err.(*PathError)
			require.True(t, ok, "want a *PathError, got %T", err)
			return
		}
		for _, cells := range records {
			_, _ = c.Match(cells, testNow) // formula evaluation errors are allowed
		}
	})
}
