package starter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cartback/cartback/money"
)

// DecodeError says a body is not what the API takes at all: empty, not JSON, not one object, an
// unknown field or a value of the wrong type. It is the client's mistake in form (HTTP 400), unlike
// ValidationError (bad values, 422). Field is the JSON path of the bad value ("items[0].quantity",
// as ValidationError names fields), empty when the body as a whole is wrong.
type DecodeError struct {
	Field   string
	Message string // in the API's words, without the path: "must be a whole number"
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// DecodeBody decodes a request body holding one JSON object into v, a non-nil pointer to a struct,
// strictly: unknown fields are refused, since a misspelt field ("phone_number") silently dropped
// would act without what the client meant to send. Every error is a *DecodeError; on error v
// holds whatever was decoded before it.
//
// encoding/json decodes; when it refuses, explain walks the body again against v's type to say
// where and why in our words. encoding/json alone cannot: it reports no position for unknown
// fields nor for errors of UnmarshalJSON methods (money.Decimal's), and its type errors name the
// field without array indices. github.com/go-json-experiment/json would give JSON Pointers for all
// of them, but it is experimental and decodes differently (names matched case-sensitively,
// duplicate names refused), so the API would accept other bodies than it does today.
func DecodeBody(body []byte, v any) error {
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return &DecodeError{Message: "the body is empty"}
	}
	// Syntax first and for the whole body, trailing data included, as a JSON parser sees it: a
	// broken body is reported as broken even where an earlier value also has the wrong type.
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return syntaxError(body, err)
	}
	if raw[0] != '{' {
		return &DecodeError{Message: "the body must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return explain(body, reflect.TypeOf(v).Elem())
	}
	return nil
}

// jsonSpace is what JSON counts as white space (RFC 8259), fewer characters than unicode.IsSpace.
const jsonSpace = " \t\r\n"

// syntaxError tells where a body stops being JSON: "line 3, column 14" (columns in characters,
// from 1) and what was wrong there, in plain words.
func syntaxError(body []byte, err error) *DecodeError {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return &DecodeError{Message: "the body is not JSON"} // encoding/json reports only SyntaxErrors here
	}
	at := int(se.Offset) // bytes read, the bad one included
	what := "unexpected end of the body"
	if at > 0 && at <= len(body) && strings.HasPrefix(se.Error(), "invalid character ") {
		at--
		what = "unexpected " + quoteChar(body[at:]) + " " + plainContext(se.Error())
	} else {
		at = len(body)
	}
	line := 1 + bytes.Count(body[:at], []byte("\n"))
	column := 1 + utf8.RuneCount(body[bytes.LastIndexByte(body[:at], '\n')+1:at])
	return &DecodeError{Message: fmt.Sprintf("the body is not JSON: line %d, column %d: %s", line, column, what)}
}

// quoteChar quotes the character b starts with, as Go quotes a rune, or names the byte when it is
// not UTF-8.
func quoteChar(b []byte) string {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02X", b[0])
	}
	return strconv.QuoteRune(r)
}

// syntaxContexts turn the contexts of encoding/json's scanner messages ("invalid character 'x'
// <context>") into plain words; the more specific come first, as they contain shorter ones.
var syntaxContexts = []struct{ scanner, plain string }{
	{"looking for beginning of value", "where a value should start"},
	{"looking for beginning of object key string", "where a field name in double quotes should start"},
	{"after object key:value pair", "after a field's value, where ',' or '}' should be"},
	{"after object key", "after a field name, where ':' should be"},
	{"after array element", "after an array element, where ',' or ']' should be"},
	{"after top-level value", "after the end of the JSON value"},
	{"in string literal", "in a string: control characters such as line breaks must be escaped"},
	{"in string escape code", `after a backslash in a string, where one of " \ / b f n r t u should be`},
	{`in \u hexadecimal character escape`, `in a \u escape, where four hexadecimal digits should be`},
	{"after decimal point in numeric literal", "after a decimal point, where a digit should be"},
	{"in exponent of numeric literal", "in a number's exponent, where a digit should be"},
	{"in numeric literal", "after '-', where a digit should be"},
	{"in literal true", "in what should be true"},
	{"in literal false", "in what should be false"},
	{"in literal null", "in what should be null"},
	{"exceeded max depth", "nested deeper than JSON allows here (10000 levels)"},
}

func plainContext(msg string) string {
	for _, c := range syntaxContexts {
		if strings.Contains(msg, c.scanner) {
			return c.plain
		}
	}
	return "here"
}

// expectations say what a value must be for the types the API's bodies hold that decode
// themselves (UnmarshalJSON); the others go by kind (see expected).
var expectations = map[reflect.Type]string{
	reflect.TypeFor[money.Decimal](): `must be an amount: a number or a string such as "64.99", without sign or exponent`,
	reflect.TypeFor[time.Time]():     `must be a time in RFC 3339 format such as "2026-11-01T10:00:00Z"`,
}

// expected says what a value of a type that encoding/json decodes by kind must be.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "must be an object"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	}
	return "has the wrong type"
}

// explain finds the first value of body, in document order, that encoding/json refuses for t,
// walking the body's tokens beside t. It follows encoding/json's rules: null is a no-op except for
// UnmarshalJSON methods, field names match exactly or else case-insensitively. It knows the kinds
// the API's bodies use (no embedded structs, maps, interfaces or ",string" options): a body it
// cannot explain gets a message without a path.
func explain(body []byte, t reflect.Type) *DecodeError {
	w := walker{json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if e := w.value(t, ""); e != nil && e != errUnexplained {
		return e
	}
	return &DecodeError{Message: "the body does not have the expected form"}
}

// errUnexplained stops a walk that met what it does not model; the syntax was checked before, so
// a token error also lands here.
var errUnexplained = &DecodeError{}

// decodesItself reports a type that encoding/json hands to its UnmarshalJSON method.
func decodesItself(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())
}

type walker struct{ dec *json.Decoder }

// value checks the next value against t; path is its JSON path.
func (w walker) value(t reflect.Type, path string) *DecodeError {
	if decodesItself(t) || t.Kind() == reflect.Pointer && decodesItself(t.Elem()) {
		return w.unmarshaler(t, path)
	}
	tok, err := w.dec.Token()
	if err != nil {
		return errUnexplained
	}
	if tok == nil {
		return nil // null into a pointer sets nil; into anything else it does nothing
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := &DecodeError{Field: path, Message: expected(t)}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return wrong
		}
		return w.object(t, path)
	case reflect.Slice, reflect.Array: // an array's extra elements are dropped, missing ones zero
		if tok != json.Delim('[') {
			return wrong
		}
		for i := 0; w.dec.More(); i++ {
			if e := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); e != nil {
				return e
			}
		}
		_, _ = w.dec.Token() // ']'
		return nil
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return wrong
		}
		return nil
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return wrong
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return number(tok, t, path, wrong)
	}
	return errUnexplained
}

// number checks a number against a numeric kind as encoding/json does, by parsing its text.
func number(tok json.Token, t reflect.Type, path string, wrong *DecodeError) *DecodeError {
	n, ok := tok.(json.Number)
	if !ok {
		return wrong
	}
	var err error
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(string(n), t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(string(n), 10, t.Bits())
	default:
		_, err = strconv.ParseInt(string(n), 10, t.Bits())
	}
	if errors.Is(err, strconv.ErrRange) {
		return &DecodeError{Field: path, Message: "is out of range"}
	}
	if err != nil {
		return wrong
	}
	return nil
}

// object checks an object's members against struct t, its '{' read.
func (w walker) object(t reflect.Type, path string) *DecodeError {
	for w.dec.More() {
		tok, err := w.dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return errUnexplained
		}
		f, name, ok := field(t, key)
		if !ok {
			return &DecodeError{Field: member(path, key), Message: "unknown field"}
		}
		if e := w.value(f.Type, member(path, name)); e != nil {
			return e
		}
	}
	_, _ = w.dec.Token() // '}'
	return nil
}

// unmarshaler checks a value that t's UnmarshalJSON decodes, by calling it on a new value.
func (w walker) unmarshaler(t reflect.Type, path string) *DecodeError {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return errUnexplained
	}
	if t.Kind() == reflect.Pointer {
		if string(raw) == "null" {
			return nil
		}
		t = t.Elem()
	}
	if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		msg, ok := expectations[t]
		if !ok {
			msg = "is not a valid value"
		}
		return &DecodeError{Field: path, Message: msg}
	}
	return nil
}

// field finds struct t's field for a JSON member name as encoding/json does: the exact name, or
// else one that matches it case-insensitively. name is the field's own JSON name, for paths.
func field(t reflect.Type, key string) (f reflect.StructField, name string, ok bool) {
	var folded *reflect.StructField
	var foldedName string
	for i := range t.NumField() {
		sf := t.Field(i)
		n, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || n == "-" {
			continue
		}
		if n == "" {
			n = sf.Name
		}
		if n == key {
			return sf, n, true
		}
		if folded == nil && strings.EqualFold(n, key) {
			folded, foldedName = &sf, n
		}
	}
	if folded == nil {
		return reflect.StructField{}, "", false
	}
	return *folded, foldedName, true
}

// member is the path of an object's member: "customer.phone", or `customer["e-mail"]` for a name
// that would not read as one step of a path.
func member(path, name string) string {
	plain := name != "" && strings.IndexFunc(name, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0
	switch {
	case !plain:
		return path + "[" + strconv.Quote(name) + "]"
	case path == "":
		return name
	}
	return path + "." + name
}
