package automation

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMatchPayload: conditions on paths of trigger data, typed by their
// operators and values.
func TestMatchPayload(t *testing.T) {
	t.Parallel()
	data := map[string]any{"body": map[string]any{"amount": 120.0, "status": "paid", "items": []any{map[string]any{"sku": "A1"}}, "n": 5.0},
		"query": map[string]any{"source": "shop"}}
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{`{"match":"all","rules":[{"field":"body.amount","op":"gt","value":100}]}`, true},
		{`{"match":"all","rules":[{"field":"body.amount","op":"gt","value":200}]}`, false},
		{`{"match":"all","rules":[{"field":"trigger.body.status","op":"is","value":"paid"}]}`, true},
		{`{"match":"all","rules":[{"field":"body.items.0.sku","op":"is","value":"A1"}]}`, true},
		{`{"match":"any","rules":[{"field":"query.source","op":"is","value":"x"},{"field":"body.n","op":"is","value":5}]}`, true},
		{`{"match":"all","rules":[{"field":"body.missing","op":"is_empty"}]}`, true},
		{`{"match":"all","rules":[{"field":"body.status","op":"contains","value":"ai"}]}`, true},
	} {
		got, err := matchPayload(json.RawMessage(tc.cond), data, time.Now())
		require.NoError(t, err, tc.cond)
		require.Equal(t, tc.want, got, tc.cond)
	}
	_, _, err := compilePayload(json.RawMessage(`{"formula":"1"}`))
	require.Error(t, err)
}
