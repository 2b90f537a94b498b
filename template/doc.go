// Package template renders the {{…}} tokens of step configs.
//
// Any string in a step's config may hold tokens that name a value of the run:
//
//	{{trigger.record.id}}
//	{{trigger.record.fields.Status}}
//	{{trigger.previous.fields.Status}}
//	{{trigger.body.customer.email}}          (incoming webhook)
//	{{steps.create_invoice.output.id}}       (output of an earlier step)
//	{{steps.fetch.output.items[0].name}}     (array index, also .items.0.name)
//	{{trigger.record.fields["Due date"]}}    (a key that is not an identifier)
//	{{run.id}}
//	{{now}}
//	{{record.fields.Status}}
//
// # Syntax
//
// A token is "{{", optional blanks, a path, optional blanks, "}}". A path is a
// root followed by segments: ".name" (an identifier: a letter or "_", then
// letters, digits, "_" or "-"), ".3" (digits: an array index, or the key "3"
// of an object), "[3]", or `["any key"]` (a double-quoted key; \" and \\ are
// its only escapes). The root is one of:
//
//	trigger   the trigger data (record, previous, body, …)
//	steps     the outputs of earlier steps; the next segment is a step id
//	run       the run (id, …)
//	now       the time the step started; takes no further segments
//	record    the record the automation works on, when there is one
//	item      inside a for_each group: the item this pass works on
//	index     inside a for_each group: the item's index (from 0); no further segments
//
// A token may end with a default, used when its path does not resolve:
// `{{trigger.body.note | default: ""}}`, `{{trigger.record.fields.Amount |
// default: 0}}`. The default is a JSON string, number, true, false or null.
//
// Every "{{" opens a token: a string cannot hold a literal "{{". A "}}" outside
// a token is literal text (JSON in a string stays writable). A string holds at
// most MaxTokens tokens. Check reports the first problem as an *Error whose
// Pos is the byte offset in the string; CheckValue adds the JSON path of the
// string (*PathError).
//
// # Rendering
//
// Render walks a JSON value (map[string]any, []any, map[string]string,
// []string, strings; other values are kept as they are) and renders every
// string, map keys included, into a new value; the input is not modified.
//
// A string that is exactly one token, blanks around it allowed, becomes the
// referenced value with its JSON type: a number stays a number, an object an
// object, a missing path null. Such a value is shared with data, not copied.
// Map keys and strings with text around or several tokens are rendered as
// text: strings as they are, numbers in shortest form without exponent for
// ordinary sizes (1, 1.5, 0.001; exponent below 1e-6 and from 1e21), booleans
// as true/false, null as "", objects and lists as compact JSON.
//
// A path that does not resolve (missing key, index out of range, a segment
// into a string) is NOT an error here: it renders as its default, else null
// (lone token) or "" (text). RenderMissing also returns such paths (those
// without a default), so the runtime can fail a step whose token names
// declared data that is missing (a field deleted since the save), while
// free-form data (a webhook body) stays optional.
//
// Two keys of one object that render to the same text are an error, and so
// is output larger than MaxOutput bytes (counted as the JSON size of every
// rendered string and lone-token value).
package template
