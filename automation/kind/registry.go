package kind

import (
	"fmt"
	"sort"
)

// Registry is the trigger and action kinds one process knows, by name.
// app builds it (the only place that lists the concrete kinds); the
// runtime, the API schema and the docs all read it. It is read-only once
// built and safe for concurrent use.
type Registry struct {
	triggers map[string]Trigger
	actions  map[string]Action
}

// NewRegistry returns a registry of the given kinds; two kinds of the same
// name are a programming error and panic.
func NewRegistry(triggers []Trigger, actions []Action) *Registry {
	r := &Registry{triggers: map[string]Trigger{}, actions: map[string]Action{}}
	for _, t := range triggers {
		if _, dup := r.triggers[t.Name()]; dup {
			panic(fmt.Sprintf("kind: trigger %q registered twice", t.Name()))
		}
		r.triggers[t.Name()] = t
	}
	for _, a := range actions {
		if _, dup := r.actions[a.Name()]; dup {
			panic(fmt.Sprintf("kind: action %q registered twice", a.Name()))
		}
		r.actions[a.Name()] = a
	}
	return r
}

// Trigger returns the trigger kind named name.
func (r *Registry) Trigger(name string) (Trigger, bool) {
	t, ok := r.triggers[name]
	return t, ok
}

// Action returns the action kind named name.
func (r *Registry) Action(name string) (Action, bool) {
	a, ok := r.actions[name]
	return a, ok
}

// Triggers lists the trigger kinds by name.
func (r *Registry) Triggers() []Trigger { return sorted(r.triggers) }

// Actions lists the action kinds by name.
func (r *Registry) Actions() []Action { return sorted(r.actions) }

// TriggerNames lists the trigger kinds' names in order.
func (r *Registry) TriggerNames() []string { return names(r.Triggers()) }

// ActionNames lists the action kinds' names in order.
func (r *Registry) ActionNames() []string { return names(r.Actions()) }

func sorted[K Kind](m map[string]K) []K {
	out := make([]K, 0, len(m))
	for _, k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

func names[K Kind](ks []K) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name()
	}
	return out
}
