package webhook

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/itchyny/gojq"
)

// FuzzMapping compiles arbitrary jq expressions and runs them on a body:
// compiling never panics, and a compiled mapping answers (a value or an
// error) within its deadline — a payload mapping cannot hang a request.
func FuzzMapping(f *testing.F) {
	for _, s := range [][2]string{
		{".customer.email", `{"customer":{"email":"a@example.com"}}`},
		{"[.items[] | .price] | add", `{"items":[{"price":1},{"price":2.5}]}`},
		{"def f: f; f", `{}`}, {"[range(1e9)] | length", `{}`}, {"repeat(.)", `1`}, {"$ENV", `{}`},
		{".a.b.c", `null`}, {"error(\"boom\")", `{}`}, {"input", `{}`}, {"@base64d", `"!!"`}, {"", `{}`},
		{"limit(3; repeat(1))", `{}`}, {"tojson * 1000", `{"x":"y"}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, expr, body string) {
		code, err := compileExpr(expr)
		if err != nil {
			return
		}
		var input map[string]any
		if json.Unmarshal([]byte(body), &input) != nil {
			input = map[string]any{"body": body}
		}
		m := &compiledMapping{names: []string{"x"}, codes: map[string]*gojq.Code{"x": code}}
		start := time.Now()
		_, _ = m.run(context.Background(), input, len(body))
		if d := time.Since(start); d > mappingTimeout+2*time.Second {
			t.Fatalf("%q ran %s, past its deadline %s", expr, d, mappingTimeout)
		}
	})
}
