package condition

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTraceJSON(t *testing.T) {
	t.Parallel()
	type rule struct {
		path   string
		actual any
		passed bool
	}
	raw := `{"match":"any","rules":[{"field":"Status","op":"is","value":"Done"},` +
		`{"rules":[{"field":"fld_amount","op":"gt","value":100},{"formula":"{Amount} > 1"}]}]}`
	cases := []struct {
		name   string
		raw    string
		cells  map[string]any
		passed bool
		rules  []rule
	}{
		{"empty passes", ``, nil, true, nil},
		{"all rules fail", raw, map[string]any{"fld_status": "Todo", "fld_amount": float64(0)}, false,
			[]rule{{"rules[0]", "Todo", false}, {"rules[1].rules[0]", float64(0), false}, {"rules[1].rules[1]", nil, false}}},
		{"one rule passes the any group", raw, map[string]any{"fld_status": "Done", "fld_amount": float64(0)}, true,
			[]rule{{"rules[0]", "Done", true}, {"rules[1].rules[0]", float64(0), false}, {"rules[1].rules[1]", nil, false}}},
		{"nested group passes", raw, map[string]any{"fld_amount": float64(101)}, true,
			[]rule{{"rules[0]", nil, false}, {"rules[1].rules[0]", float64(101), true}, {"rules[1].rules[1]", nil, true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := TraceJSON(json.RawMessage(tc.raw), testFields(), tc.cells, testNow)
			require.NoError(t, err)
			require.Equal(t, tc.passed, tr.Passed)
			require.Len(t, tr.Rules, len(tc.rules))
			for i, want := range tc.rules {
				got := tr.Rules[i]
				require.Equal(t, want.path, got.Path, "rule %d", i)
				require.Equal(t, want.actual, got.Actual, "rule %d", i)
				require.Equal(t, want.passed, got.Passed, "rule %d", i)
			}
		})
	}
	t.Run("leaf fields", func(t *testing.T) {
		t.Parallel()
		tr, err := TraceJSON(json.RawMessage(raw), testFields(), map[string]any{"fld_status": "Todo"}, testNow)
		require.NoError(t, err)
		r := tr.Rules[0]
		require.Equal(t, "Status", r.Field)
		require.Equal(t, "fld_status", r.FieldID)
		require.Equal(t, "is", r.Op)
		require.Equal(t, "Done", r.Expected)
		require.Equal(t, "{Amount} > 1", tr.Rules[2].Formula)
	})
	t.Run("invalid is a path error", func(t *testing.T) {
		t.Parallel()
		_, err := TraceJSON(json.RawMessage(`{"rules":[{"field":"Nope","op":"is"}]}`), testFields(), nil, testNow)
		var pe *PathError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "rules[0].field", pe.Path)
	})
}

// TestConditionTraceCached: a compiled Condition traces like TraceJSON,
// again and again and from many goroutines (its leaves are compiled once).
func TestConditionTraceCached(t *testing.T) {
	t.Parallel()
	raw := json.RawMessage(`{"match":"any","rules":[{"field":"Status","op":"is","value":"Done"},{"rules":[{"field":"fld_amount","op":"gt","value":100}]}]}`)
	c, err := CompileJSON(raw, testFields())
	require.NoError(t, err)
	cells := map[string]any{"fld_status": "Todo", "fld_amount": float64(150)}
	want, err := TraceJSON(raw, testFields(), cells, testNow)
	require.NoError(t, err)
	require.True(t, want.Passed)
	done := make(chan Trace, 8)
	for range 8 {
		go func() { done <- c.Trace(cells, testNow) }()
	}
	for range 8 {
		require.Equal(t, want, <-done)
	}
	require.Equal(t, Trace{Passed: true, Rules: []RuleTrace{}}, (&Condition{}).Trace(cells, testNow), "the empty condition")
}
