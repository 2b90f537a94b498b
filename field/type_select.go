package field

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Choice is one choice of a select field.
type Choice struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

// SelectOptions are the options of single_select and multi_select fields.
// Choice names are non-empty and unique (case-sensitive); at most 1000.
type SelectOptions struct {
	Choices []Choice `json:"choices"`
}

const maxChoices = 1000

// singleSelectKind takes one choice name; multiSelectKind a list of them (or
// one name). A name matches a choice exactly, or else case-insensitively if
// exactly one choice matches that way; the cell holds the canonical name.
type (
	singleSelectKind struct{}
	multiSelectKind  struct{}
)

func (singleSelectKind) Type() Type     { return SingleSelect }
func (singleSelectKind) Writable() bool { return true }
func (multiSelectKind) Type() Type      { return MultiSelect }
func (multiSelectKind) Writable() bool  { return true }

func (singleSelectKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return normalizeSelectOptions(SingleSelect, raw)
}

func (multiSelectKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return normalizeSelectOptions(MultiSelect, raw)
}

func normalizeSelectOptions(t Type, raw json.RawMessage) (json.RawMessage, error) {
	m, err := decodeOptions(t, raw, "choices")
	if err != nil {
		return nil, err
	}
	o := SelectOptions{Choices: []Choice{}}
	v, ok := m["choices"]
	if !ok {
		return marshalOptions(o)
	}
	bad := func(format string, args ...any) error {
		return &Error{Field: "options.choices", Reason: fmt.Sprintf(format, args...)}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, bad("expected a list of choices, got %s", describe(v))
	}
	if len(list) > maxChoices {
		return nil, bad("too many choices: %d, at most %d", len(list), maxChoices)
	}
	seen := make(map[string]bool, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, bad(`choice %d: expected an object {"name": …, "color": …}, got %s`, i+1, describe(item))
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var c Choice
		for _, k := range keys {
			val := obj[k]
			if val == nil {
				continue
			}
			s, isString := val.(string)
			switch {
			case k != "name" && k != "color":
				return nil, bad("choice %d: unknown key %q (choices have name and color)", i+1, k)
			case !isString:
				return nil, bad("choice %d: %s must be a string, got %s", i+1, k, describe(val))
			}
			if reason := badText(s); reason != "" {
				return nil, bad("choice %d: %s: %s", i+1, k, reason)
			}
			if k == "name" {
				c.Name = s
			} else {
				c.Color = s
			}
		}
		if strings.TrimSpace(c.Name) == "" {
			return nil, bad("choice %d: the name is empty or blank", i+1)
		}
		if seen[c.Name] {
			return nil, bad("choice %d: duplicate name %q", i+1, c.Name)
		}
		seen[c.Name] = true
		o.Choices = append(o.Choices, c)
	}
	return marshalOptions(o)
}

// choices reads the choices of select field f.
func choices(f Field) ([]Choice, error) {
	var o SelectOptions
	if err := readOptions(f, &o); err != nil {
		return nil, err
	}
	return o.Choices, nil
}

// matchChoice returns the canonical choice name for s, or a reason.
func matchChoice(cs []Choice, s string) (string, string) {
	var folded []string
	for _, c := range cs {
		if c.Name == s {
			return c.Name, ""
		}
		if strings.EqualFold(c.Name, s) {
			folded = append(folded, c.Name)
		}
	}
	switch len(folded) {
	case 1:
		return folded[0], ""
	case 0:
		if len(cs) == 0 {
			return "", fmt.Sprintf("%s is not one of the choices: the field has no choices", quote(s))
		}
		return "", fmt.Sprintf("%s is not one of the choices: %s", quote(s), choiceList(cs))
	default:
		return "", fmt.Sprintf("%s matches more than one choice when case is ignored: %s", quote(s), strings.Join(folded, ", "))
	}
}

// choiceList names the choices for an error reason, at most 20 of them.
func choiceList(cs []Choice) string {
	const max = 20
	names := make([]string, 0, min(len(cs), max))
	for i, c := range cs {
		if i == max {
			return strings.Join(names, ", ") + fmt.Sprintf(", … (%d more)", len(cs)-max)
		}
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

func (singleSelectKind) Normalize(f Field, v any) (any, error) {
	s, empty, err := stringInput(f, v, "a choice name (string)")
	if err != nil || empty {
		return nil, err
	}
	cs, err := choices(f)
	if err != nil {
		return nil, err
	}
	name, reason := matchChoice(cs, s)
	if reason != "" {
		return nil, fail(f, "%s", reason)
	}
	return name, nil
}

func (multiSelectKind) Normalize(f Field, v any) (any, error) {
	items, empty, err := listInput(f, v, "a list of choice names")
	if err != nil || empty {
		return nil, err
	}
	cs, err := choices(f)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fail(f, "item %d: expected a choice name (string), got %s", i+1, describe(item))
		}
		name, reason := matchChoice(cs, s)
		if reason != "" {
			if len(items) > 1 {
				reason = fmt.Sprintf("item %d: %s", i+1, reason)
			}
			return nil, fail(f, "%s", reason)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// Cast implements Kind: the choice is named by a string (trimmed; matched
// without regard to case by Normalize), or by a list of one. Choices are
// never created: an unknown name is an error.
func (singleSelectKind) Cast(_ Field, v any) (any, error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case []any:
		if len(x) == 1 {
			return x[0], nil
		}
	case float64, json.Number, bool:
		return asText(x), nil
	}
	return v, nil
}

// Cast implements Kind: "a, b" names the choices a and b.
func (multiSelectKind) Cast(_ Field, v any) (any, error) { return splitList(v), nil }
