package condition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rowflow/rowflow/field"
)

// Group is the JSON form of a condition: {"match": "all"|"any", "rules":
// [...]} or {"formula": "..."}. An empty group matches everything. Match ""
// means "all". Its UnmarshalJSON refuses unknown keys at any depth, naming
// the place as a *PathError.
type Group struct {
	Match   string `json:"match,omitempty"`
	Rules   []Rule `json:"rules,omitempty"`
	Formula string `json:"formula,omitempty"`
}

// Rule is one entry of a group's rules: a leaf {"field": "Status", "op":
// "is", "value": "Done"} (Group nil) or a nested group {"match": …,
// "rules": […]} or {"formula": …} (Group set, the other fields empty). In
// JSON the kind is decided by the keys; mixing them, or any other key, is an
// error. Value is a decoded JSON value (numbers as json.Number when it comes
// from UnmarshalJSON; float64 and Go integers are accepted too).
type Rule struct {
	Field string
	Op    string
	Value any
	Group *Group
}

// PathError is a problem with a condition, at Path: the JSON path from the
// group, e.g. "rules[1].rules[0].value" ("" for the whole group). Msg is a
// short sentence without the path.
type PathError struct {
	Path string
	Msg  string
}

// Error implements error as "<path>: <msg>".
func (e *PathError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func pathErr(path, format string, args ...any) *PathError {
	return &PathError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// UnmarshalJSON decodes a group strictly: only match, rules and formula
// keys, rules a list of rules. Errors are *PathError relative to the group.
func (g *Group) UnmarshalJSON(data []byte) error {
	if err := checkNesting(data); err != nil {
		return err
	}
	out, err := decodeGroup(data, "", 1, &decodeState{})
	if err != nil {
		return err
	}
	*g = out
	return nil
}

// UnmarshalJSON decodes a rule strictly (see Rule). Errors are *PathError
// relative to the rule.
func (r *Rule) UnmarshalJSON(data []byte) error {
	if err := checkNesting(data); err != nil {
		return err
	}
	out, err := decodeRule(data, "", 2, &decodeState{})
	if err != nil {
		return err
	}
	*r = out
	return nil
}

// MarshalJSON writes a leaf as {"field","op","value"} (value omitted when
// nil) and a nested group as the group.
func (r Rule) MarshalJSON() ([]byte, error) {
	if r.Group != nil {
		return json.Marshal(r.Group)
	}
	return json.Marshal(struct {
		Field string `json:"field"`
		Op    string `json:"op"`
		Value any    `json:"value,omitempty"`
	}{r.Field, r.Op, r.Value})
}

// decodeObject reads data as a JSON object with keys from allowed. Unknown
// keys are a *PathError at path.key.
func decodeObject(data []byte, path, what string, allowed ...string) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, pathErr(path, "%s must be a JSON object", what)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, pathErr(path, "invalid JSON: %v", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			return nil, pathErr(join(path, k), "unknown key (a %s has: %s)", what, strings.Join(allowed, ", "))
		}
	}
	return m, nil
}

// decodeString reads a string; absent and null are "".
func decodeString(raw json.RawMessage, path string) (string, error) {
	if raw == nil {
		return "", nil
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", pathErr(path, "must be a string")
	}
	if s == nil {
		return "", nil
	}
	return *s, nil
}

// decodeState counts the rules decoded so far, so that decoding stops at
// the first rule beyond MaxRules.
type decodeState struct{ rules int }

// decodeGroup decodes a group whose JSON path is path, at nesting level
// depth (the top group is 1). The bounds Compile enforces (MaxDepth,
// MaxRules) are checked here, before the subtree is decoded: each level
// decodes its own bytes once, so a group nested far deeper than MaxDepth
// costs at most MaxDepth+1 linear scans, never one per level.
func decodeGroup(data []byte, path string, depth int, st *decodeState) (Group, error) {
	var g Group
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return g, nil
	}
	if depth > MaxDepth {
		return g, pathErr(path, "groups nest more than %d levels deep", MaxDepth)
	}
	m, err := decodeObject(data, path, "group", "formula", "match", "rules")
	if err != nil {
		return g, err
	}
	if g.Match, err = decodeString(m["match"], join(path, "match")); err != nil {
		return g, err
	}
	if g.Formula, err = decodeString(m["formula"], join(path, "formula")); err != nil {
		return g, err
	}
	raw, ok := m["rules"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return g, nil
	}
	rp := join(path, "rules")
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return g, pathErr(rp, "must be a list of rules")
	}
	g.Rules = make([]Rule, 0, min(len(list), MaxRules))
	for i, item := range list {
		st.rules++
		if st.rules > MaxRules {
			return g, pathErr(index(rp, i), "too many rules (at most %d in a condition)", MaxRules)
		}
		g.Rules = append(g.Rules, Rule{})
		if g.Rules[i], err = decodeRule(item, index(rp, i), depth, st); err != nil {
			return g, err
		}
	}
	return g, nil
}

// decodeRule decodes a leaf or a nested group whose JSON path is path, a
// rule of a group at level depth.
func decodeRule(data []byte, path string, depth int, st *decodeState) (Rule, error) {
	m, err := decodeObject(data, path, "rule", "field", "formula", "match", "op", "rules", "value")
	if err != nil {
		return Rule{}, err
	}
	_, hasField := m["field"]
	_, hasOp := m["op"]
	_, hasValue := m["value"]
	_, hasMatch := m["match"]
	_, hasRules := m["rules"]
	_, hasFormula := m["formula"]
	leaf := hasField || hasOp || hasValue
	group := hasMatch || hasRules || hasFormula
	switch {
	case leaf && group:
		return Rule{}, pathErr(path, "a rule is either a leaf (field, op, value) or a group (match, rules or formula), not both")
	case group:
		g, err := decodeGroup(data, path, depth+1, st)
		if err != nil {
			return Rule{}, err
		}
		return Rule{Group: &g}, nil
	case !leaf:
		return Rule{}, pathErr(path, `empty rule: want {"field", "op", "value"} or a group {"match", "rules"}`)
	}
	var r Rule
	if r.Field, err = decodeString(m["field"], join(path, "field")); err != nil {
		return Rule{}, err
	}
	if r.Op, err = decodeString(m["op"], join(path, "op")); err != nil {
		return Rule{}, err
	}
	if hasValue {
		dec := json.NewDecoder(bytes.NewReader(m["value"]))
		dec.UseNumber()
		if err := dec.Decode(&r.Value); err != nil {
			return Rule{}, pathErr(join(path, "value"), "invalid JSON: %v", err)
		}
	}
	return r, nil
}

// Condition is a compiled group: immutable and safe for concurrent use. A
// nil *Condition matches everything.
type Condition struct {
	root node // nil: matches everything
	// group and fields are what it was compiled from; leaves, built once
	// on the first Trace, are its leaf rules compiled one by one.
	group     Group
	fields    []field.Field
	leaves    []leaf
	leavesErr error
	once      sync.Once
}

// Match reports whether a record matches. cells holds canonical cell values
// keyed by field id (an absent key is an empty cell); now is the instant
// relative dates ("today", {"past_days": 7}) are resolved against. The only
// errors come from formula evaluation.
func (c *Condition) Match(cells map[string]any, now time.Time) (bool, error) {
	if c == nil || c.root == nil {
		return true, nil
	}
	return c.root.eval(cells, now)
}

// node is a compiled group, leaf or formula.
type node interface {
	eval(cells map[string]any, now time.Time) (bool, error)
}

// groupNode is a non-empty all/any group.
type groupNode struct {
	any      bool
	children []node
}

func (g *groupNode) eval(cells map[string]any, now time.Time) (bool, error) {
	for _, ch := range g.children {
		ok, err := ch.eval(cells, now)
		if err != nil {
			return false, err
		}
		if ok == g.any {
			return ok, nil
		}
	}
	return !g.any, nil
}

// predicate tests a non-empty cell. ok is false when the cell does not have
// the field type's shape; the rule then answers as for an empty cell.
type predicate func(cell any, now time.Time) (result, ok bool)

// leafNode is one rule on one field.
type leafNode struct {
	id      string
	pred    predicate
	ifEmpty bool // the answer for an empty (or malformed) cell
	noEmpty bool // the predicate handles empty cells itself (checkbox)
}

func (l *leafNode) eval(cells map[string]any, now time.Time) (bool, error) {
	v := cells[l.id]
	if !l.noEmpty && isEmpty(v) {
		return l.ifEmpty, nil
	}
	res, ok := l.pred(v, now)
	if !ok {
		return l.ifEmpty, nil
	}
	return res, nil
}

// isEmpty reports an empty cell: absent, null, a blank string, an empty list.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// maxJSONDepth is the deepest JSON nesting a condition may have: two
// levels per group (the object and its rules list), a leaf, and a few for
// a leaf's value ({"past_days": 7}, a list).
const maxJSONDepth = 2*MaxDepth + 6

// checkNesting scans data once (a few bytes of state per level, no
// decoding) and refuses JSON nested deeper than maxJSONDepth, naming the
// place where it does. It runs before anything is decoded, so a condition
// nested thousands deep costs one linear scan. Malformed JSON is left to
// the decoder.
func checkNesting(data []byte) error {
	type level struct {
		array bool
		index int
		key   []byte
	}
	var stack []level
	inString, escaped := false, false
	strStart := 0
	var lastString []byte
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				lastString = data[strStart:i]
			}
			continue
		}
		switch c {
		case '"':
			inString, strStart = true, i+1
		case ':':
			if n := len(stack); n > 0 && !stack[n-1].array {
				stack[n-1].key = lastString
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].array {
				stack[n-1].index++
			}
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				path := ""
				for _, l := range stack {
					if l.array {
						path = index(path, l.index)
					} else {
						path = join(path, string(l.key))
					}
				}
				return pathErr(path, "nests too deep (groups nest at most %d levels)", MaxDepth)
			}
			stack = append(stack, level{array: c == '['})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}
