package field

import (
	"encoding/json"
	"fmt"
	"strings"
)

// LinkOptions are the options of a link_to_record field.
type LinkOptions struct {
	TableID        string `json:"table_id"`                   // required, "tbl_…"
	InverseFieldID string `json:"inverse_field_id,omitempty"` // the link field on the other side, if any
}

const (
	maxLinks        = 1000
	maxRecordIDByte = 64
)

// linkKind takes a list of record ids ("rec_…"), or one id; duplicates are
// dropped, order kept, at most 1000 ids. Whether the records exist (in the
// linked table) is for the record service to check.
type linkKind struct{}

func (linkKind) Type() Type     { return LinkToRecord }
func (linkKind) Writable() bool { return true }

func (linkKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	m, err := decodeOptions(LinkToRecord, raw, "table_id", "inverse_field_id")
	if err != nil {
		return nil, err
	}
	var o LinkOptions
	if o.TableID, err = optString(m, "table_id"); err != nil {
		return nil, err
	}
	if o.TableID == "" {
		return nil, &Error{Field: "options.table_id", Reason: "the linked table is required"}
	}
	if !strings.HasPrefix(o.TableID, "tbl_") || len(o.TableID) == len("tbl_") {
		return nil, &Error{Field: "options.table_id", Reason: fmt.Sprintf(`expected a table id "tbl_…", got %s`, quote(o.TableID))}
	}
	if o.InverseFieldID, err = optString(m, "inverse_field_id"); err != nil {
		return nil, err
	}
	return marshalOptions(o)
}

func (linkKind) Normalize(f Field, v any) (any, error) {
	items, empty, err := listInput(f, v, `a list of record ids ("rec_…")`)
	if err != nil || empty {
		return nil, err
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		id, ok := item.(string)
		if !ok || !isRecordID(id) {
			return nil, fail(f, `item %d: expected a record id "rec_…", got %s`, i+1, describe(item))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxLinks {
		return nil, fail(f, "too many linked records: %d, at most %d", len(out), maxLinks)
	}
	return out, nil
}

// isRecordID reports whether s looks like a record id: "rec_" then 1..60
// letters, digits, _ or -.
func isRecordID(s string) bool {
	rest, ok := strings.CutPrefix(s, "rec_")
	if !ok || rest == "" || len(s) > maxRecordIDByte {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Cast implements Kind: a record id, "rec_a, rec_b", or a list of ids.
func (linkKind) Cast(_ Field, v any) (any, error) { return splitList(v), nil }
