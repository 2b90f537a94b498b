package automation

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/template"
)

// runKeys are what {{run.…}} offers (templateData).
var runKeys = []string{"id", "automation_id", "depth"}

// stepKeys are what {{steps.ID.…}} offers (templateData).
var stepKeys = []string{"output", "status"}

// templateScope is what the tokens of one step may name: the trigger's data
// shape, the watched table, and the earlier steps' output shapes.
type templateScope struct {
	trigger *kind.Shape // nil: the trigger declares none (not checked)
	checked bool        // the trigger declares its shape
	watched *record.Table
	tables  map[string]*record.Table
	outputs map[string]*kind.Shape // earlier step id → output shape (nil: free-form)
}

// checkRefs reports every token of a step config that names nothing its
// scope provides, at the string's place, with a "did you mean".
func (sc *templateScope) checkRefs(raw any, loc string, add func(loc, format string, args ...any)) {
	for _, ref := range template.Refs(raw, loc) {
		if msg := sc.check(ref.Path); msg != "" {
			add(ref.Loc, "%s: %s", ref.Text, msg)
		}
	}
}

// check returns what is wrong with a token's path ("" when fine).
func (sc *templateScope) check(path []string) string {
	switch path[0] {
	case "trigger":
		if !sc.checked {
			return ""
		}
		return sc.walk(sc.trigger, path[1:], "the trigger data")
	case "steps":
		if len(path) < 3 {
			return ""
		}
		if !slices.Contains(stepKeys, path[2]) {
			return unknown(path[2], stepKeys, "a step")
		}
		out, ok := sc.outputs[path[1]]
		if !ok || path[2] != "output" {
			return ""
		}
		return sc.walk(out, path[3:], "step "+path[1]+"'s output")
	case "run":
		if len(path) > 1 && !slices.Contains(runKeys, path[1]) {
			return unknown(path[1], runKeys, "run")
		}
	}
	return ""
}

// walk follows path through shape s.
func (sc *templateScope) walk(s *kind.Shape, path []string, what string) string {
	for i := 0; i < len(path); i++ {
		if s == nil {
			return ""
		}
		seg := path[i]
		if s.Record {
			if !slices.Contains(kind.RecordKeys, seg) {
				return unknown(seg, kind.RecordKeys, what+"'s record")
			}
			if seg != "fields" || i+1 >= len(path) {
				return ""
			}
			t := sc.watched
			if s.TableID != "" {
				t = sc.tables[s.TableID]
			}
			if t == nil {
				return ""
			}
			if _, ok := t.Field(path[i+1]); !ok {
				names := make([]string, 0, len(t.Fields))
				for _, f := range t.Fields {
					names = append(names, f.Name)
				}
				return unknown(path[i+1], names, fmt.Sprintf("table %q", t.Name))
			}
			return ""
		}
		if s.Keys == nil {
			return ""
		}
		next, ok := s.Keys[seg]
		if !ok {
			keys := make([]string, 0, len(s.Keys))
			for k := range s.Keys {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return unknown(seg, keys, what)
		}
		s = next
	}
	return ""
}

// unknown says that name is not one of have, with the closest as a
// suggestion.
func unknown(name string, have []string, in string) string {
	msg := fmt.Sprintf("%s has no %q", in, name)
	if s := suggest(name, have); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	if len(have) > 0 && len(have) <= 12 {
		msg += " (it has " + strings.Join(have, ", ") + ")"
	}
	return msg
}

// suggest returns the candidate closest to name: equal but for case, or
// within an edit distance of about a third of its length (at least 2); ""
// when none is that close.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD <= max(2, len(name)/3) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
