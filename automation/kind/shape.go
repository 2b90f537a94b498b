package kind

// Shape describes a JSON value templates may reach into, so typos in
// {{trigger.…}} and {{steps.ID.output.…}} are refused when an automation is
// saved. A nil *Shape is free-form: nothing below it is checked (a webhook
// body, a response body).
type Shape struct {
	// Keys are the keys of an object, each with its shape (nil: free-form).
	// A key not listed is a typo.
	Keys map[string]*Shape
	// Record marks a record: {id, table_id, fields}; fields are those of the
	// table TableID, or of the table the trigger watches when TableID is
	// empty.
	Record  bool
	TableID string
	// Optional marks a key that may be absent from some data (previous of
	// a trigger that fires on creates too): a token under it that
	// resolves to nothing renders null instead of failing the step.
	Optional bool
}

// RecordShape is a record of table tableID ("" for the watched table).
func RecordShape(tableID string) *Shape { return &Shape{Record: true, TableID: tableID} }

// RecordKeys are the keys of a record in trigger data and step outputs
// (table_id: step outputs only).
var RecordKeys = []string{"id", "table_id", "fields"}

// DataShaper is an optional Trigger interface: the shape of the trigger data
// ({{trigger.…}}). The runtime checks the tokens of every step against it at
// save time; a trigger that does not declare one is not checked.
type DataShaper interface {
	DataShape() *Shape
}

// OutputShaper is an optional Action interface: the shape of the step's
// output ({{steps.ID.output.…}}) for its config. An action that does not
// declare one is not checked.
type OutputShaper interface {
	OutputShape(cfg any) *Shape
}

// RecordTriggerShape is the shape of RecordTriggerData: previous is there
// when the trigger can fire on updates.
func RecordTriggerShape(withPrevious bool) *Shape {
	s := &Shape{Keys: map[string]*Shape{
		"type": nil, "table_id": nil, "change": nil, "cause": nil,
		"record": RecordShape(""),
	}}
	if withPrevious {
		prev := RecordShape("")
		prev.Optional = true
		s.Keys["previous"] = prev
	}
	return s
}

// Required reports whether a token path (below the data's root) lies in
// the declared part of shape s, where resolving to nothing means the data
// lacks what the kind promised (a field deleted since the save): the step
// fails instead of sending null. Free-form and Optional parts are not
// required.
func (s *Shape) Required(path []string) bool {
	for i := 0; i < len(path); i++ {
		if s == nil || s.Optional {
			return false
		}
		if s.Record {
			// The record's id, or exactly one field of it (not inside a
			// cell's value).
			rest := len(path) - i
			return (path[i] == "id" && rest == 1) || (path[i] == "fields" && rest == 2)
		}
		next, ok := s.Keys[path[i]]
		if !ok {
			return false
		}
		s = next
	}
	return s != nil && !s.Optional
}
