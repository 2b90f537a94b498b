package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// jsonFormat is huma's JSON format with a stricter, quieter decoder: see
// decodeJSON.
var jsonFormat = huma.Format{Marshal: huma.DefaultJSONFormat.Marshal, Unmarshal: decodeJSON}

// decodeJSON is json.Unmarshal for request bodies, with two differences:
// bytes that are not UTF-8, and \u escapes of lone surrogates, are refused
// (json.Unmarshal would store them as U+FFFD), and every error names its
// place as line, column and byte offset without quoting the input.
func decodeJSON(data []byte, v any) error {
	if off, ok := invalidText(data); !ok {
		return fmt.Errorf("%s: not valid UTF-8 text (invalid bytes or a \\u escape of a lone surrogate)", position(data, off))
	}
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the offending one included.
		off := int(syn.Offset)
		if off > 0 && off <= len(data) && syn.Error() != "unexpected end of JSON input" {
			off--
		}
		return fmt.Errorf("invalid JSON at %s: %s", position(data, off), syn.Error())
	case errors.As(err, &typ):
		where := ""
		if typ.Field != "" {
			where = " for " + typ.Field
		}
		return fmt.Errorf("at %s: expected %s%s, got a JSON %s", position(data, int(typ.Offset)), typ.Type, where, typ.Value)
	default:
		return errors.New("invalid JSON: " + clipText(err.Error(), maxValueBytes))
	}
}

// position says where byte offset off of data is: "line 3, column 7 (byte
// 41)". Lines and columns count from 1; a column counts bytes.
func position(data []byte, off int) string {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, off)
}

// invalidText finds the first byte that is not UTF-8 or starts a \u escape
// of a lone surrogate (outside strings JSON refuses both anyway).
func invalidText(data []byte) (int, bool) {
	if !utf8.Valid(data) {
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, false
			}
			i += size
		}
	}
	if !bytes.Contains(data, []byte(`\u`)) {
		return 0, true
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if i+1 < len(data) && data[i+1] != 'u' {
			i++ // \" \\ \n …: skip the escaped byte
			continue
		}
		u, ok := hex4(data, i+2)
		if !ok {
			continue // the JSON decoder reports it
		}
		switch {
		case u >= 0xD800 && u <= 0xDBFF:
			if lo, ok := hex4(data, i+8); ok && i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11
				continue
			}
			return i, false
		case u >= 0xDC00 && u <= 0xDFFF:
			return i, false
		}
		i += 5
	}
	return 0, true
}

// hex4 reads four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
