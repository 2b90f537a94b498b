package condition

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchCells is a typical record: a few fields set, canonical forms.
func benchCells() map[string]any {
	return map[string]any{
		"fld_name":   "Invoice for ACME Corporation",
		"fld_amount": float64(1250.5),
		"fld_status": "Done",
		"fld_tags":   []any{"vip", "new"},
		"fld_due":    "2026-03-12",
		"fld_at":     "2026-03-15T10:00:00Z",
	}
}

func benchMatch(b *testing.B, raw string) {
	c, err := CompileJSON(json.RawMessage(raw), testFields())
	require.NoError(b, err)
	cells := benchCells()
	ok, err := c.Match(cells, testNow)
	require.NoError(b, err)
	require.True(b, ok)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Match(cells, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	b.Run("all_3_rules", func(b *testing.B) {
		benchMatch(b, `{"match":"all","rules":[
			{"field":"Status","op":"is","value":"Done"},
			{"field":"Amount","op":"gt","value":1000},
			{"field":"Name","op":"contains","value":"acme"}]}`)
	})
	b.Run("dates", func(b *testing.B) {
		benchMatch(b, `{"match":"all","rules":[
			{"field":"Due","op":"is_within","value":{"past_days":7}},
			{"field":"At","op":"is_before","value":"now"},
			{"field":"Tags","op":"contains","value":"vip"}]}`)
	})
	b.Run("formula", func(b *testing.B) {
		benchMatch(b, `{"formula":"AND({Status} = 'Done', {Amount} > 1000, FIND('ACME', {Name}) > 0)"}`)
	})
}

// BenchmarkTrace is what the matcher adds for a run it stores
// (runs.condition_trace): the trace of a cached condition and its JSON,
// to compare with BenchmarkMatch/all_3_rules (the match itself).
func BenchmarkTrace(b *testing.B) {
	c, err := CompileJSON(json.RawMessage(`{"match":"all","rules":[
		{"field":"Status","op":"is","value":"Done"},
		{"field":"Amount","op":"gt","value":1000},
		{"field":"Name","op":"contains","value":"acme"}]}`), testFields())
	require.NoError(b, err)
	cells := benchCells()
	require.True(b, c.Trace(cells, testNow).Passed)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(c.Trace(cells, testNow)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeepNesting decodes a condition nested far beyond MaxDepth: the
// cost must stay linear in the input (it was quadratic: 8 s at 4,000).
func BenchmarkDeepNesting(b *testing.B) {
	for _, depth := range []int{11, 1000, 4000} {
		raw := json.RawMessage(deepFilter(depth))
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompileJSON(raw, testFields()); err == nil {
					b.Fatal("want an error")
				}
			}
		})
	}
}
