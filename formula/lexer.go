package formula

import (
	"strconv"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tNumber         // 12, 1.5, .5, 1e3
	tString         // 'x' or "x" (text is the unescaped value)
	tField          // {Field Name} (text is the name)
	tIdent          // function name or TRUE/FALSE
	tLParen
	tRParen
	tComma
	tPlus
	tMinus
	tStar
	tSlash
	tAmp
	tEq // =
	tNe // != or <>
	tLt
	tGt
	tLe
	tGe
)

// String names the token kind in error messages.
func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of formula"
	case tNumber:
		return "number"
	case tString:
		return "string"
	case tField:
		return "field reference"
	case tIdent:
		return "name"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tComma:
		return "','"
	case tPlus:
		return "'+'"
	case tMinus:
		return "'-'"
	case tStar:
		return "'*'"
	case tSlash:
		return "'/'"
	case tAmp:
		return "'&'"
	case tEq:
		return "'='"
	case tNe:
		return "'!='"
	case tLt:
		return "'<'"
	case tGt:
		return "'>'"
	case tLe:
		return "'<='"
	case tGe:
		return "'>='"
	}
	return "token"
}

// token is one lexical token; pos is its byte offset in the source.
type token struct {
	kind tokKind
	pos  int
	text string  // identifier, string value or field name
	num  float64 // tNumber only
}

// lex splits src into tokens, ending with a tEOF token at len(src).
func lex(src string) ([]token, *SyntaxError) {
	toks := make([]token, 0, len(src)/3+2)
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			if i < len(src) && src[i] == '.' {
				i++
				for i < len(src) && isDigit(src[i]) {
					i++
				}
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') { // exponent
				j := i + 1
				if j < len(src) && (src[j] == '+' || src[j] == '-') {
					j++
				}
				if j < len(src) && isDigit(src[j]) {
					for i = j; i < len(src) && isDigit(src[i]); i++ {
					}
				}
			}
			f, err := strconv.ParseFloat(src[start:i], 64)
			if err != nil {
				return nil, &SyntaxError{Pos: start, Msg: "number out of range"}
			}
			toks = append(toks, token{kind: tNumber, pos: start, num: f})
			continue
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tIdent, pos: start, text: src[start:i]})
			continue
		case c == '\'' || c == '"':
			s, end, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, pos: start, text: s})
			i = end
			continue
		case c == '{':
			end := strings.IndexByte(src[i+1:], '}')
			if end < 0 {
				return nil, &SyntaxError{Pos: start, Msg: "unterminated field reference (missing '}')"}
			}
			name := src[i+1 : i+1+end]
			if strings.TrimSpace(name) == "" {
				return nil, &SyntaxError{Pos: start, Msg: "empty field name"}
			}
			toks = append(toks, token{kind: tField, pos: start, text: name})
			i += end + 2
			continue
		}
		var k tokKind
		n := 1
		switch c {
		case '(':
			k = tLParen
		case ')':
			k = tRParen
		case ',':
			k = tComma
		case '+':
			k = tPlus
		case '-':
			k = tMinus
		case '*':
			k = tStar
		case '/':
			k = tSlash
		case '&':
			k = tAmp
		case '=':
			k = tEq
		case '!':
			if i+1 < len(src) && src[i+1] == '=' {
				k, n = tNe, 2
			} else {
				return nil, &SyntaxError{Pos: start, Msg: "unexpected '!' (use NOT(x) or !=)"}
			}
		case '<':
			k = tLt
			if i+1 < len(src) && src[i+1] == '=' {
				k, n = tLe, 2
			} else if i+1 < len(src) && src[i+1] == '>' {
				k, n = tNe, 2
			}
		case '>':
			k = tGt
			if i+1 < len(src) && src[i+1] == '=' {
				k, n = tGe, 2
			}
		case '}':
			return nil, &SyntaxError{Pos: start, Msg: "unexpected '}' (field references are written {Field Name})"}
		default:
			return nil, &SyntaxError{Pos: start, Msg: "unexpected character " + quoteChar(src[i:])}
		}
		toks = append(toks, token{kind: k, pos: start})
		i += n
	}
	toks = append(toks, token{kind: tEOF, pos: len(src)})
	return toks, nil
}

// lexString reads the quoted string starting at src[start] (the quote) and
// returns its value and the offset just past the closing quote. Escapes:
// \\ \' \" \n \t \r; any other backslash is kept as is, so regular
// expressions such as "\d+" need no doubling.
func lexString(src string, start int) (string, int, *SyntaxError) {
	q := src[start]
	i := start + 1
	var b *strings.Builder
	seg := i
	for i < len(src) {
		c := src[i]
		if c == q {
			if b == nil {
				return src[seg:i], i + 1, nil
			}
			b.WriteString(src[seg:i])
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			i++
			continue
		}
		if i+1 >= len(src) {
			break
		}
		if b == nil {
			b = &strings.Builder{}
		}
		b.WriteString(src[seg:i])
		switch src[i+1] {
		case '\\':
			b.WriteByte('\\')
		case '\'':
			b.WriteByte('\'')
		case '"':
			b.WriteByte('"')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte('\\')
			b.WriteByte(src[i+1])
		}
		i += 2
		seg = i
	}
	return "", 0, &SyntaxError{Pos: start, Msg: "unterminated string"}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// quoteChar quotes the first character of s for an error message.
func quoteChar(s string) string {
	r := []rune(s[:min(len(s), 4)])
	if len(r) == 0 {
		return "''"
	}
	return strconv.QuoteRune(r[0])
}
