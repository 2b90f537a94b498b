package template

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testData is the run data the tables render against.
func testData() map[string]any {
	return map[string]any{
		"trigger": map[string]any{
			"record": map[string]any{
				"id": "rec_1",
				"fields": map[string]any{
					"Status":   "Done",
					"Amount":   json.Number("1500.5"),
					"Count":    float64(3),
					"Big":      1e21,
					"Tiny":     0.0000001,
					"Paid":     true,
					"Tags":     []any{"a", "b"},
					"Due date": "2026-01-02",
					"Empty":    nil,
					"2024":     "year key",
				},
			},
			"body": map[string]any{
				"customer": map[string]any{"email": "ann@example.com", "name": `Ann "A" <x>`},
				"items":    []any{map[string]any{"sku": "X1", "qty": float64(2)}, map[string]any{"sku": "Y2"}},
			},
			"headers": map[string]string{"X-Id": "h1"},
			"list":    []string{"s0", "s1"},
		},
		"steps": map[string]any{
			"create_invoice": map[string]any{"output": map[string]any{"id": "inv_9", "total": float64(12)}},
			"step-2":         map[string]any{"output": nil},
		},
		"run":    map[string]any{"id": "run_7"},
		"now":    "2026-03-04T05:06:07Z",
		"record": map[string]any{"id": "rec_2"},
	}
}

// checkTests are the Check cases; FuzzRender uses their inputs as seeds.
var checkTests = []struct {
	name string
	in   string
	pos  int    // -1: valid
	msg  string // substring of the error
}{
	{"no tokens", "hello } }} {", -1, ""},
	{"simple", "{{trigger.record.id}}", -1, ""},
	{"blanks", "a {{ \trun.id\n }} b", -1, ""},
	{"index dot", "{{trigger.body.items.0.sku}}", -1, ""},
	{"index bracket", "{{trigger.body.items[1].sku}}", -1, ""},
	{"quoted key", `{{trigger.record.fields["Due \"date\" \\"]}}`, -1, ""},
	{"hyphen id", "{{steps.step-2.output}}", -1, ""},
	{"unicode name", "{{record.fields.Größe}}", -1, ""},
	{"now", "{{now}}", -1, ""},
	{"literal closing braces", `{"a":{"b":1}}`, -1, ""},
	{"100 tokens", strings.Repeat("{{run.id}}", 100), -1, ""},
	{"unclosed", "ab {{trigger.x", 3, `unclosed "{{"`},
	{"unclosed one brace", "{{run.id}", 0, `unclosed "{{"`},
	{"unclosed at end", "x{{", 1, `unclosed "{{"`},
	{"empty", "x {{ }}", 2, "empty token"},
	{"empty tight", "{{}}", 0, "empty token"},
	{"unknown root", "hi {{ user.name }}", 6, `unknown root "user"`},
	{"bad char", "{{run.id x}}", 9, `unexpected 'x'`},
	{"nested open", "{{run.{{id}}}}", 6, "expected a name"},
	{"triple brace", "{{{run.id}}}", 2, "expected a name"},
	{"trailing dot", "{{run.}}", 6, "expected a name"},
	{"double dot", "{{run..id}}", 6, "expected a name"},
	{"digit name", "{{run.1abc}}", 6, "cannot start with a digit"},
	{"bad bracket", "{{run[x]}}", 6, "an index or a quoted key"},
	{"unclosed bracket", "{{run[1}}", 7, `expected "]"`},
	{"unterminated quote", `{{run["ab}}`, 6, "unterminated quoted key"},
	{"bad escape", `{{run["a\n"]}}`, 8, `only \" and \\`},
	{"now with path", "{{now.day}}", 2, `"now" takes no path`},
	{"steps alone", "{{ steps }}", 3, `"steps" needs a step id`},
	{"second token bad", "{{run.id}} and {{nope}}", 17, `unknown root "nope"`},
	{"101 tokens", strings.Repeat("{{run.id}}", 101), 1000, "too many tokens"},
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range checkTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.in)
			if tt.pos < 0 {
				require.NoError(t, err)
				return
			}
			var te *Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, tt.pos, te.Pos, te.Msg)
			require.Contains(t, te.Msg, tt.msg)
		})
	}
}

// renderTests are the Render cases; FuzzRender uses their string inputs as
// seeds.
var renderTests = []struct {
	name string
	in   any
	want any
}{
	{"plain string", "hello", "hello"},
	{"non-string kept", float64(3), float64(3)},
	{"nil kept", nil, nil},
	{"lone string", "{{trigger.record.id}}", "rec_1"},
	{"lone with blanks", "  {{ trigger.record.id }}\n", "rec_1"},
	{"lone number", "{{trigger.record.fields.Amount}}", json.Number("1500.5")},
	{"lone float", "{{trigger.record.fields.Count}}", float64(3)},
	{"lone bool", "{{trigger.record.fields.Paid}}", true},
	{"lone list", "{{trigger.record.fields.Tags}}", []any{"a", "b"}},
	{"lone object", "{{steps.create_invoice.output}}", map[string]any{"id": "inv_9", "total": float64(12)}},
	{"lone null", "{{trigger.record.fields.Empty}}", nil},
	{"lone missing", "{{trigger.record.fields.Nope}}", nil},
	{"lone now", "{{now}}", "2026-03-04T05:06:07Z"},
	{"nested path", "{{trigger.body.customer.email}}", "ann@example.com"},
	{"array index", "{{trigger.body.items[1].sku}}", "Y2"},
	{"array index dot", "{{trigger.body.items.0.qty}}", float64(2)},
	{"index out of range", "{{trigger.body.items[5].sku}}", nil},
	{"name into list", "{{trigger.body.items.sku}}", nil},
	{"into a string", "{{trigger.record.id.x}}", nil},
	{"numeric key of map", "{{trigger.record.fields.2024}}", "year key"},
	{"quoted key", `{{trigger.record.fields["Due date"]}}`, "2026-01-02"},
	{"map[string]string", "{{trigger.headers.X-Id}}", "h1"},
	{"[]string", "{{trigger.list[1]}}", "s1"},
	{"text string", "Status: {{trigger.record.fields.Status}}!", "Status: Done!"},
	{"text number json", "n={{trigger.record.fields.Amount}}", "n=1500.5"},
	{"text number float", "n={{trigger.record.fields.Count}}", "n=3"},
	{"text big", "x{{trigger.record.fields.Big}}", "x1e+21"},
	{"text tiny", "x{{trigger.record.fields.Tiny}}", "x1e-07"},
	{"text bool", "paid={{trigger.record.fields.Paid}}", "paid=true"},
	{"text null", "[{{trigger.record.fields.Empty}}]", "[]"},
	{"text missing", "[{{trigger.nope.deeper}}]", "[]"},
	{"text list", "tags={{trigger.record.fields.Tags}}", `tags=["a","b"]`},
	{"text object no html escape", "c={{trigger.body.customer}}", `c={"email":"ann@example.com","name":"Ann \"A\" <x>"}`},
	{"two tokens", "{{run.id}}{{record.id}}", "run_7rec_2"},
	{"lone token then text", "{{run.id}} ", "run_7"},
	{
		"webhook body",
		map[string]any{
			"id":    "{{trigger.record.id}}",
			"items": []any{"{{trigger.body.items[0]}}", "qty {{trigger.body.items[0].qty}}", float64(1), true},
			"meta":  map[string]string{"run": "{{run.id}}"},
			"list":  []string{"{{trigger.record.fields.Count}}"},
		},
		map[string]any{
			"id":    "rec_1",
			"items": []any{map[string]any{"sku": "X1", "qty": float64(2)}, "qty 2", float64(1), true},
			"meta":  map[string]string{"run": "run_7"},
			"list":  []string{"3"},
		},
	},
	{
		"map keys rendered as text",
		map[string]any{"{{trigger.record.fields.Status}}": "{{trigger.record.fields.Count}}", "k_{{run.id}}": "v"},
		map[string]any{"Done": float64(3), "k_run_7": "v"},
	},
}

func TestRender(t *testing.T) {
	t.Parallel()
	for _, tt := range renderTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tt.in, testData())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRenderDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	in := map[string]any{"a": []any{"{{run.id}}"}, "{{run.id}}": "x"}
	_, err := Render(in, testData())
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": []any{"{{run.id}}"}, "{{run.id}}": "x"}, in)
}

func TestRenderString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"{{trigger.record.fields.Count}}", "3"},
		{" {{trigger.record.fields.Tags}} ", ` ["a","b"] `},
		{"{{trigger.nope}}", ""},
		{"no tokens }}", "no tokens }}"},
		{"{{steps.create_invoice.output.total}} EUR", "12 EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := RenderString(tt.in, testData())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRenderNilData(t *testing.T) {
	t.Parallel()
	got, err := Render([]any{"{{run.id}}", "x{{run.id}}"}, nil)
	require.NoError(t, err)
	require.Equal(t, []any{nil, "x"}, got)
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", MaxOutput/4)
	data := map[string]any{"run": map[string]any{"big": big}}
	tests := []struct {
		name    string
		in      any
		path    string
		pos     int // -1: not a syntax error
		tooBig  bool
		message string
	}{
		{"syntax in list", []any{"ok", map[string]any{"a": "{{bad}}"}}, "[1].a", 2, false, "unknown root"},
		{"syntax in key", map[string]any{"{{run.x": "v"}, `["{{run.x"]`, 0, false, "unclosed"},
		{"syntax in map[string]string", map[string]string{"h": "{{ }}"}, "h", 0, false, "empty token"},
		{"syntax in []string", []string{"a", "{{now.x}}"}, "[1]", 2, false, "takes no path"},
		{"duplicate keys", map[string]any{"{{run.id}}": 1, "": 2}, `["{{run.id}}"]`, -1, false, "another key"},
		{"too large text", "{{run.big}}{{run.big}}{{run.big}}{{run.big}}{{run.big}}", "", -1, true, ""},
		{"too large lone values", []any{"{{run.big}}", "{{run.big}}", "{{run.big}}", "{{run.big}}", "{{run.big}}"}, "[3]", -1, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(tt.in, data)
			var pe *PathError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.path, pe.Path)
			require.Contains(t, err.Error(), tt.message)
			require.Equal(t, tt.tooBig, errors.Is(err, ErrTooLarge))
			var te *Error
			if tt.pos >= 0 {
				require.ErrorAs(t, err, &te)
				require.Equal(t, tt.pos, te.Pos)
			} else {
				require.False(t, errors.As(err, &te))
			}
		})
	}
}

func TestRenderStringErrors(t *testing.T) {
	t.Parallel()
	_, err := RenderString("ok {{ trigger.x ", nil)
	var te *Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 3, te.Pos)

	data := map[string]any{"run": map[string]any{"big": strings.Repeat("y", MaxOutput)}}
	_, err = RenderString("{{run.big}}", data)
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		path string // "" : valid
		pos  int
	}{
		{"valid", map[string]any{"url": "https://x/{{run.id}}", "n": float64(1), "b": []any{true, nil}}, "", 0},
		{"nested list", map[string]any{"body": map[string]any{"customer": []any{"a", "b", map[string]any{"name": "x {{oops}}"}}}}, "steps[2].config.body.customer[2].name", 4},
		{"key", map[string]any{"headers": map[string]any{"X-{{run": "v"}}, `steps[2].config.headers["X-{{run"]`, 2},
		{"first in key order", map[string]any{"b": "{{b}}", "a": "{{a}}"}, "steps[2].config.a", 2},
		{"map[string]string value", map[string]any{"h": map[string]string{"k": "{{}}"}}, "steps[2].config.h.k", 0},
		{"[]string", map[string]any{"to": []string{"ok", "{{run.}}"}}, "steps[2].config.to[1]", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckValue(tt.in, "steps[2].config")
			if tt.path == "" {
				require.NoError(t, err)
				return
			}
			var pe *PathError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.path, pe.Path)
			var te *Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, tt.pos, te.Pos)
		})
	}
}

func TestCheckValueEmptyBase(t *testing.T) {
	t.Parallel()
	err := CheckValue([]any{"{{x}}"}, "")
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "[0]", pe.Path)
	require.Equal(t, `[0]: position 2: unknown root "x" (want one of: trigger, steps, run, now, record, item, index)`, err.Error())
}

func TestStepRefs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want []string
	}{
		{"none", map[string]any{"a": "{{trigger.x}}", "b": float64(1)}, nil},
		{"string", "{{steps.a.output}} {{steps.b.output.x}} {{steps.a.output}}", []string{"a", "b"}},
		{"in keys and lists, key order", map[string]any{
			"z":                    []any{"{{steps.last.output}}"},
			"{{steps.key.output}}": "v",
			"a":                    map[string]string{"h": `{{steps["q id"].output}}`},
		}, []string{"q id", "last", "key"}},
		{"invalid strings skipped", []any{"{{steps.a.output", "{{steps.b}}"}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, StepRefs(tt.in))
		})
	}
}

func TestRoots(t *testing.T) {
	t.Parallel()
	r := Roots()
	require.Equal(t, []string{"trigger", "steps", "run", "now", "record", "item", "index"}, r)
	r[0] = "changed"
	require.Equal(t, "trigger", Roots()[0])
}

func TestDefault(t *testing.T) {
	data := map[string]any{"trigger": map[string]any{"a": 1.0, "s": "x"}}
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{{trigger.b | default: ""}}`, ""},
		{`{{trigger.b|default:"n/a"}}`, "n/a"},
		{`{{ trigger.b | default: 0 }}`, json.Number("0")},
		{`{{trigger.b | default: null}}`, nil},
		{`{{trigger.a | default: 5}}`, 1.0},
		{`v={{trigger.b | default: "}}"}}.`, "v=}}."},
		{`{{trigger.s | default: "y"}}!`, "x!"},
	} {
		got, missing, err := RenderMissing(tc.in, data)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Empty(t, missing, tc.in)
	}
	_, missing, err := RenderMissing(map[string]any{"k": "{{trigger.zz}} and {{steps.a.output}}"}, data)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"trigger", "zz"}, {"steps", "a", "output"}}, missing)
	for _, bad := range []string{`{{trigger.b | dflt: ""}}`, `{{trigger.b | default ""}}`, `{{trigger.b | default: {"a":1}}}`, `{{trigger.b | default: }}`} {
		assert.Error(t, Check(bad), bad)
	}
}
