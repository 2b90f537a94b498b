package template

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkRender renders a typical send_webhook body holding 10 tokens:
// lone tokens of several types, text with tokens, a token in a key.
func BenchmarkRender(b *testing.B) {
	body := map[string]any{
		"event":   "record.updated",
		"id":      "{{trigger.record.id}}",
		"status":  "{{trigger.record.fields.Status}}",
		"amount":  "{{trigger.record.fields.Amount}}",
		"tags":    "{{trigger.record.fields.Tags}}",
		"summary": "Invoice {{steps.create_invoice.output.id}} for {{trigger.body.customer.name}}: {{trigger.record.fields.Count}} items",
		"customer": map[string]any{
			"email": "{{trigger.body.customer.email}}",
			"first": "{{trigger.body.items[0].sku}}",
		},
		"meta": map[string]any{"run_{{run.id}}": true, "at": "now"},
	}
	data := testData()
	out, err := Render(body, data)
	require.NoError(b, err)
	require.Equal(b, "rec_1", out.(map[string]any)["id"])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(body, data); err != nil {
			b.Fatal(err)
		}
	}
}
