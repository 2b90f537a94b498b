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
		s.Keys["previous"] = RecordShape("")
	}
	return s
}
