package template

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzRender checks that Check and Render agree and never panic: a string
// Check accepts renders (as a value, as text and as a map key), and a string
// Check refuses makes Render fail with the same *Error.
func FuzzRender(f *testing.F) {
	for _, tt := range checkTests {
		f.Add(tt.in)
	}
	for _, tt := range renderTests {
		if s, ok := tt.in.(string); ok {
			f.Add(s)
		}
	}
	f.Add(`{{trigger.record.fields["a\\"b"]}} {{ steps["x"].output[3] }}`)
	f.Add("{{run.id}}}}{{{")
	f.Fuzz(func(t *testing.T, s string) {
		data := testData()
		checkErr := Check(s)
		out, err := Render(s, data)
		if checkErr != nil {
			var ce, re *Error
			require.ErrorAs(t, checkErr, &ce)
			require.ErrorAs(t, err, &re)
			require.Equal(t, ce, re)
			require.GreaterOrEqual(t, ce.Pos, 0)
			require.LessOrEqual(t, ce.Pos, len(s))
			require.Error(t, CheckValue(map[string]any{"k": s}, "x"))
			return
		}
		if errors.Is(err, ErrTooLarge) {
			return
		}
		require.NoError(t, err)
		if _, isStr := out.(string); !isStr {
			p, perr := parse(s)
			require.NoError(t, perr)
			require.NotNil(t, p.lone, "only a lone token renders to a non-string")
		}
		text, err := RenderString(s, data)
		require.NoError(t, err)
		if p, _ := parse(s); p.lone == nil {
			require.Equal(t, out, text)
		}
		_, err = Render(map[string]any{s: []any{s, map[string]string{s: s}}, "k": []string{s}}, data)
		if err != nil {
			var pe *PathError
			require.ErrorAs(t, err, &pe)
			require.Contains(t, err.Error(), "another key", "only a key clash may fail")
		}
		require.NoError(t, CheckValue([]any{map[string]any{s: s}}, "body"))
		refs := StepRefs(s)
		require.Equal(t, refs, StepRefs([]any{s, map[string]any{s: s}}), "each id once")
		if len(refs) > 0 {
			require.Contains(t, s, "steps")
		}
	})
}
