package formula

import (
	"encoding/json"
	"testing"

	"github.com/rowflow/rowflow/field"
)

func benchEval(b *testing.B, src string) {
	e, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	env := MapEnv{
		Values: map[string]any{
			"Status": "Done",
			"Amount": json.Number("150.25"),
			"Name":   "  Ada Lovelace  ",
			"Notes":  "Shipped order #1234 to the customer on time; invoice pending.",
			"Tags":   []string{"urgent", "vip"},
		},
		Types: map[string]field.Type{
			"Status": field.SingleSelect,
			"Amount": field.Number,
			"Name":   field.Text,
			"Notes":  field.LongText,
			"Tags":   field.MultiSelect,
		},
	}
	if _, err := e.Eval(env); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	b.Run("logic", func(b *testing.B) {
		benchEval(b, `AND({Status} = 'Done', {Amount} > 100)`)
	})
	b.Run("text", func(b *testing.B) {
		benchEval(b, `UPPER(LEFT(TRIM({Name}), 3)) & "-" & SUBSTITUTE(LOWER({Notes}), " ", "_") & "-" & `+
			`CONCATENATE({Tags}, " ", LEN({Notes}), " ", FIND("order", {Notes})) & `+
			`IF(REGEX_MATCH({Notes}, "#\d+"), REGEX_EXTRACT({Notes}, "#\d+"), "none")`)
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`IF(AND({Status} = 'Done', {Amount} > 100), UPPER({Name}) & " " & DATETIME_FORMAT(NOW(), "YYYY-MM-DD"), BLANK())`); err != nil {
			b.Fatal(err)
		}
	}
}
