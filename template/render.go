package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxOutput is the most bytes Render and RenderString produce (see the
// package doc for how they are counted).
const MaxOutput = 1 << 20

// ErrTooLarge is wrapped by the error of a render whose output would exceed
// MaxOutput.
var ErrTooLarge = errors.New("rendered output exceeds 1 MiB")

// Render renders every string of v (map keys too) against data and returns
// the new value; v is not modified. A string that is exactly one token
// becomes the referenced value with its type (null when the path is
// missing); other strings are rendered as text. Errors are *PathError
// (syntax errors wrap *Error; a too large output wraps ErrTooLarge).
func Render(v any, data map[string]any) (any, error) {
	r := renderer{data: data, budget: MaxOutput}
	return r.value(v, "")
}

// RenderEscaped is Render with an escaper: for a string at a path (as in
// PathError, "html", "body.items[0]") where escape returns a function, the
// string is rendered as text (a lone token too) and each inserted value's
// text goes through that function; literal text does not. It is how an
// HTML body escapes the record values put into it.
func RenderEscaped(v any, data map[string]any, escape func(path string) func(string) string) (any, error) {
	out, _, err := RenderChecked(v, data, escape)
	return out, err
}

// RenderMissing is Render that also returns the paths (root first) of the
// tokens that resolved to nothing and have no `| default: …`, so the
// caller can refuse those in places that must resolve.
func RenderMissing(v any, data map[string]any) (any, [][]string, error) {
	return RenderChecked(v, data, nil)
}

// RenderChecked is RenderEscaped (escape may be nil) that also returns the
// tokens that resolved to nothing, as RenderMissing does: what a step's
// config goes through.
func RenderChecked(v any, data map[string]any, escape func(path string) func(string) string) (any, [][]string, error) {
	r := renderer{data: data, budget: MaxOutput, escape: escape}
	out, err := r.value(v, "")
	return out, r.missing, err
}

// RenderString renders s as text: unlike Render, a lone token is formatted
// too. Errors are *Error for syntax, or wrap ErrTooLarge.
func RenderString(s string, data map[string]any) (string, error) {
	r := renderer{data: data, budget: MaxOutput}
	return r.text(s)
}

// renderer carries the data and the output budget of one render.
type renderer struct {
	data    map[string]any
	budget  int
	escape  func(path string) func(string) string
	missing [][]string
}

func (r *renderer) value(v any, path string) (any, error) {
	switch x := v.(type) {
	case string:
		if r.escape != nil {
			if esc := r.escape(path); esc != nil {
				out, err := r.escaped(x, esc)
				if err != nil {
					return nil, &PathError{Path: path, Err: err}
				}
				return out, nil
			}
		}
		out, err := r.str(x)
		if err != nil {
			return nil, &PathError{Path: path, Err: err}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = r.value(e, indexPath(path, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			var err error
			if out[i], err = r.text(e); err != nil {
				return nil, &PathError{Path: indexPath(path, i), Err: err}
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			rk, err := r.key(k, out)
			if err != nil {
				return nil, &PathError{Path: kp, Err: err}
			}
			if out[rk], err = r.value(x[k], kp); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]string:
		out := make(map[string]string, len(x))
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			rk, err := r.key(k, out)
			if err != nil {
				return nil, &PathError{Path: kp, Err: err}
			}
			if out[rk], err = r.text(x[k]); err != nil {
				return nil, &PathError{Path: kp, Err: err}
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

// key renders an object key as text and refuses one already in out.
func (r *renderer) key(k string, out any) (string, error) {
	rk, err := r.text(k)
	if err != nil {
		return "", err
	}
	var dup bool
	switch m := out.(type) {
	case map[string]any:
		_, dup = m[rk]
	case map[string]string:
		_, dup = m[rk]
	}
	if dup {
		return "", fmt.Errorf("key renders to %q, which another key of the object also renders to", rk)
	}
	return rk, nil
}

// str renders one string of a value: the referenced value for a lone token,
// text otherwise.
func (r *renderer) str(s string) (any, error) {
	if !strings.Contains(s, "{{") {
		return s, r.spend(len(s) + 2)
	}
	p, err := parse(s)
	if err != nil {
		return nil, err
	}
	if p.lone != nil {
		v := r.resolve(p.lone)
		if err := r.spend(jsonSize(v, r.budget+1)); err != nil {
			return nil, err
		}
		return v, nil
	}
	out, err := r.textParts(p, nil)
	if err != nil {
		return nil, err
	}
	return out, r.spend(2)
}

// text renders s as text.
func (r *renderer) text(s string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, r.spend(len(s))
	}
	p, err := parse(s)
	if err != nil {
		return "", err
	}
	return r.textParts(p, nil)
}

// escaped renders s as text, passing each inserted value through esc.
func (r *renderer) escaped(s string, esc func(string) string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, r.spend(len(s) + 2)
	}
	p, err := parse(s)
	if err != nil {
		return "", err
	}
	out, err := r.textParts(p, esc)
	if err != nil {
		return "", err
	}
	return out, r.spend(2)
}

func (r *renderer) textParts(p *parsed, esc func(string) string) (string, error) {
	var b strings.Builder
	for _, pt := range p.parts {
		if pt.tok == nil {
			if err := r.spend(len(pt.lit)); err != nil {
				return "", err
			}
			b.WriteString(pt.lit)
			continue
		}
		v := r.resolve(pt.tok)
		if err := r.spend(jsonSize(v, r.budget+1)); err != nil {
			return "", err
		}
		t, err := formatText(v)
		if err != nil {
			return "", &Error{Pos: pt.tok.pos, Msg: err.Error()}
		}
		if esc != nil {
			t = esc(t)
		}
		b.WriteString(t)
	}
	return b.String(), nil
}

// resolve is a token's value: its path's, else its default, else null
// (noted in r.missing).
func (r *renderer) resolve(tok *token) any {
	v, ok := lookup(r.data, tok.path)
	switch {
	case ok:
		return v
	case tok.hasDef:
		return tok.def
	}
	path := make([]string, len(tok.path))
	for i, seg := range tok.path {
		path[i] = seg.key
	}
	r.missing = append(r.missing, path)
	return nil
}

// spend takes n bytes from the budget.
func (r *renderer) spend(n int) error {
	r.budget -= n
	if r.budget < 0 {
		return fmt.Errorf("%w (at most %d bytes)", ErrTooLarge, MaxOutput)
	}
	return nil
}

// lookup walks path (its root included) from data.
func lookup(data map[string]any, path []segment) (any, bool) {
	var cur any = data
	for _, seg := range path {
		var ok bool
		switch x := cur.(type) {
		case map[string]any:
			cur, ok = x[seg.key]
		case map[string]string:
			cur, ok = x[seg.key]
		case []any:
			if ok = seg.index >= 0 && seg.index < len(x); ok {
				cur = x[seg.index]
			}
		case []string:
			if ok = seg.index >= 0 && seg.index < len(x); ok {
				cur = x[seg.index]
			}
		}
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// formatText writes a value as text (see the package doc).
func formatText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x), nil
	case float32:
		return formatFloat(float64(x)), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case json.Number:
		return formatNumber(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("cannot write the value as JSON: %w", err)
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(out) > 0 && out[0] == '"' {
		var s string
		if err := json.Unmarshal(out, &s); err == nil {
			return s, nil
		}
	}
	return string(out), nil
}

// formatFloat writes x in shortest form: exponent only below 1e-6 and from
// 1e21 (as JavaScript does).
func formatFloat(x float64) string {
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// formatNumber keeps integer literals as written (no precision loss for big
// ids) and rewrites the rest through float64.
func formatNumber(n json.Number) string {
	s := string(n)
	plain := s != "" && s != "-"
	for i := 0; i < len(s) && plain; i++ {
		plain = isDigit(s[i]) || (i == 0 && s[i] == '-')
	}
	if plain {
		return s
	}
	if f, err := n.Float64(); err == nil {
		return formatFloat(f)
	}
	return s
}

// jsonSize estimates the JSON size of v, stopping once it passes limit.
func jsonSize(v any, limit int) int {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return len(x) + 2
	case bool:
		return 5
	case json.Number:
		return len(x)
	case map[string]any:
		n := 2
		for k, e := range x {
			if n > limit {
				break
			}
			n += len(k) + 4 + jsonSize(e, limit-n)
		}
		return n
	case map[string]string:
		n := 2
		for k, e := range x {
			if n > limit {
				break
			}
			n += len(k) + len(e) + 6
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			if n > limit {
				break
			}
			n += 1 + jsonSize(e, limit-n)
		}
		return n
	case []string:
		n := 2
		for _, e := range x {
			if n > limit {
				break
			}
			n += len(e) + 3
		}
		return n
	default:
		return 24
	}
}
