package template

import (
	"sort"
	"strconv"
)

// CheckValue runs Check on every string of v (map keys included), walking
// map[string]any, []any, map[string]string and []string; other values are
// ignored. The first problem (maps walked in key order) is a *PathError whose
// Path is basePath plus the place of the string, e.g. "steps[2].config" +
// ".body.customer[2].name".
func CheckValue(v any, basePath string) error {
	return walkStrings(v, basePath, func(s, path string) error {
		if err := Check(s); err != nil {
			return &PathError{Path: path, Err: err}
		}
		return nil
	})
}

// StepRefs returns the step ids that v's tokens reference as
// {{steps.<id>…}}, each once, in order of first appearance (maps walked in
// key order). Strings that fail Check are skipped: CheckValue reports them.
// Callers use it to require that a step only references earlier steps.
func StepRefs(v any) []string {
	var ids []string
	seen := map[string]bool{}
	_ = walkStrings(v, "", func(s, _ string) error {
		p, err := parse(s)
		if err != nil {
			return nil
		}
		for _, pt := range p.parts {
			if pt.tok == nil || pt.tok.path[0].key != "steps" {
				continue
			}
			if id := pt.tok.path[1].key; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return nil
	})
	return ids
}

// walkStrings calls fn for every string of v with its path, stopping at the
// first error.
func walkStrings(v any, path string, fn func(s, path string) error) error {
	switch x := v.(type) {
	case string:
		return fn(x, path)
	case []any:
		for i, e := range x {
			if err := walkStrings(e, indexPath(path, i), fn); err != nil {
				return err
			}
		}
	case []string:
		for i, e := range x {
			if err := fn(e, indexPath(path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			if err := fn(k, kp); err != nil {
				return err
			}
			if err := walkStrings(x[k], kp, fn); err != nil {
				return err
			}
		}
	case map[string]string:
		for _, k := range sortedKeys(x) {
			kp := keyPath(path, k)
			if err := fn(k, kp); err != nil {
				return err
			}
			if err := fn(x[k], kp); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// keyPath appends an object key to path: ".name" for identifiers,
// `["any key"]` otherwise.
func keyPath(path, key string) string {
	if isPlainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (isDigit(c) || c == '-')) {
			return false
		}
	}
	return true
}

// Ref is one token of a value, for checks of what it names: Loc is the
// JSON path of the string holding it ("steps[0].config.body.n", as in
// CheckValue), Path its root and segments (an index as its digits), Text
// the token as it reads ("{{trigger.record.fields.Name}}").
type Ref struct {
	Loc  string
	Path []string
	Text string
}

// Refs returns every token of v's strings (map keys included), maps walked
// in key order. Strings that fail Check are skipped: CheckValue reports
// them.
func Refs(v any, basePath string) []Ref {
	var refs []Ref
	_ = walkStrings(v, basePath, func(s, path string) error {
		p, err := parse(s)
		if err != nil {
			return nil
		}
		for _, pt := range p.parts {
			if pt.tok == nil {
				continue
			}
			r := Ref{Loc: path}
			text := ""
			for i, seg := range pt.tok.path {
				r.Path = append(r.Path, seg.key)
				switch {
				case i == 0:
					text = seg.key
				case isPlainKey(seg.key):
					text += "." + seg.key
				case seg.index >= 0:
					text += "[" + seg.key + "]"
				default:
					text += "[" + strconv.Quote(seg.key) + "]"
				}
			}
			r.Text = "{{" + text + "}}"
			refs = append(refs, r)
		}
		return nil
	})
	return refs
}
