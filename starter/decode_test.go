package starter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDecodeCartRefusesForm pins every 400 message: the API's words and the field's JSON path,
// never encoding/json's.
func TestDecodeCartRefusesForm(t *testing.T) {
	for _, tc := range []struct {
		name, body    string
		field, answer string // the DecodeError's Field, and its whole message
	}{
		// Wrong types, by JSON path with array indices.
		{"string quantity", `{"items": [{"quantity": "two"}]}`,
			"items[0].quantity", "items[0].quantity: must be a whole number"},
		{"float quantity", `{"items": [{"quantity": 1.5}]}`,
			"items[0].quantity", "items[0].quantity: must be a whole number"},
		{"exponent quantity", `{"items": [{"quantity": 1e3}]}`,
			"items[0].quantity", "items[0].quantity: must be a whole number"},
		{"huge quantity", `{"items": [{"quantity": 99999999999999999999}]}`,
			"items[0].quantity", "items[0].quantity: is out of range"},
		{"third item's quantity", `{"items": [{"quantity": 1}, {"quantity": 2}, {"name": "x", "quantity": true}]}`,
			"items[2].quantity", "items[2].quantity: must be a whole number"},
		{"number cart id", `{"cart_id": 12}`, "cart_id", "cart_id: must be a string"},
		{"object currency", `{"currency": {}}`, "currency", "currency: must be a string"},
		{"number url", `{"cart_url": 1}`, "cart_url", "cart_url: must be a string"},
		{"string customer", `{"customer": "Sheena"}`, "customer", "customer: must be an object"},
		{"array phone", `{"customer": {"phone": ["+1"]}}`, "customer.phone", "customer.phone: must be a string"},
		{"number name", `{"customer": {"name": 1}}`, "customer.name", "customer.name: must be a string"},
		{"bool locale", `{"customer": {"locale": false}}`, "customer.locale", "customer.locale: must be a string"},
		{"opt-in true", `{"customer": {"opt_in": true}}`, "customer.opt_in", "customer.opt_in: must be an object"},
		{"number opt-in time", `{"customer": {"opt_in": {"at": 1767225600}}}`,
			"customer.opt_in.at", "customer.opt_in.at: must be a string"},
		{"array source", `{"customer": {"opt_in": {"source": []}}}`,
			"customer.opt_in.source", "customer.opt_in.source: must be a string"},
		{"object items", `{"items": {"sku": "a"}}`, "items", "items: must be an array"},
		{"string item", `{"items": [{"name": "a"}, "socks"]}`, "items[1]", "items[1]: must be an object"},
		{"number sku", `{"items": [{"sku": 42}]}`, "items[0].sku", "items[0].sku: must be a string"},
		{"null price", `{"items": [{"unit_price": null}]}`,
			"items[0].unit_price", `items[0].unit_price: must be an amount: a number or a string such as "64.99", without sign or exponent`},
		{"object price", `{"items": [{"unit_price": {"amount": 1}}]}`,
			"items[0].unit_price", `items[0].unit_price: must be an amount: a number or a string such as "64.99", without sign or exponent`},
		{"bool total", `{"total": true}`,
			"total", `total: must be an amount: a number or a string such as "64.99", without sign or exponent`},
		{"negative total", `{"total": -1}`,
			"total", `total: must be an amount: a number or a string such as "64.99", without sign or exponent`},
		{"exponent total", `{"total": 1e3}`,
			"total", `total: must be an amount: a number or a string such as "64.99", without sign or exponent`},
		{"text total", `{"total": "twelve"}`,
			"total", `total: must be an amount: a number or a string such as "64.99", without sign or exponent`},

		// Unknown fields, by the path they would have.
		{"unknown field", `{"cart_id": "c1", "phone_number": "+1"}`, "phone_number", "phone_number: unknown field"},
		{"unknown customer field", `{"customer": {"name": "S", "email": "s@example.com"}}`,
			"customer.email", "customer.email: unknown field"},
		{"unknown item field", `{"items": [{"name": "a"}, {"name": "b", "colour": "blue"}]}`,
			"items[1].colour", "items[1].colour: unknown field"},
		{"unknown opt-in field", `{"customer": {"opt_in": {"ip": "10.0.0.1"}}}`,
			"customer.opt_in.ip", "customer.opt_in.ip: unknown field"},
		{"name that is not a path step", `{"customer": {"e-mail": "s@example.com"}}`,
			`customer["e-mail"]`, `customer["e-mail"]: unknown field`},

		{"names in another case", `{"CUSTOMER": {"Phone": 1}}`, "customer.phone", "customer.phone: must be a string"},

		// The first problem in the body's order, whatever encoding/json met first.
		{"first of two", `{"customer": {"email": "x"}, "total": true}`, "customer.email", "customer.email: unknown field"},
		{"first of two, other order", `{"total": true, "customer": {"email": "x"}}`,
			"total", `total: must be an amount: a number or a string such as "64.99", without sign or exponent`},

		// The body as a whole.
		{"empty", ``, "", "the body is empty"},
		{"only white space", " \r\n\t ", "", "the body is empty"},
		{"array", `[]`, "", "the body must be a JSON object"},
		{"string", ` "cart" `, "", "the body must be a JSON object"},
		{"null", `null`, "", "the body must be a JSON object"},
		{"trailing data", `{"cart_id": "c1"} {}`, "",
			"the body is not JSON: line 1, column 19: unexpected '{' after the end of the JSON value"},
		{"trailing garbage after an array", "[]\nx", "",
			"the body is not JSON: line 2, column 1: unexpected 'x' after the end of the JSON value"},

		// Broken JSON: where, and what is wrong there.
		{"cut short", `{"cart_id": `, "", "the body is not JSON: line 1, column 13: unexpected end of the body"},
		{"missing value", "{\n  \"cart_id\": \"c1\",\n  \"total\": }", "",
			"the body is not JSON: line 3, column 12: unexpected '}' where a value should start"},
		{"single quotes", `{'cart_id': 'c1'}`, "",
			`the body is not JSON: line 1, column 2: unexpected '\'' where a field name in double quotes should start`},
		{"trailing comma", `{"cart_id": "c1",}`, "",
			"the body is not JSON: line 1, column 18: unexpected '}' where a field name in double quotes should start"},
		{"missing colon", `{"cart_id" "c1"}`, "",
			"the body is not JSON: line 1, column 12: unexpected '\"' after a field name, where ':' should be"},
		{"missing comma", "{\"cart_id\": \"c1\"\n \"total\": 1}", "",
			"the body is not JSON: line 2, column 2: unexpected '\"' after a field's value, where ',' or '}' should be"},
		{"missing comma in an array", `{"items": [{} {}]}`, "",
			"the body is not JSON: line 1, column 15: unexpected '{' after an array element, where ',' or ']' should be"},
		{"line break in a string", "{\"cart_id\": \"c\n1\"}", "",
			"the body is not JSON: line 1, column 15: unexpected '\\n' in a string: control characters such as line breaks must be escaped"},
		{"bad escape", `{"cart_id": "c\x"}`, "",
			`the body is not JSON: line 1, column 16: unexpected 'x' after a backslash in a string, where one of " \ / b f n r t u should be`},
		{"short unicode escape", `{"cart_id": "\u12"}`, "",
			`the body is not JSON: line 1, column 18: unexpected '"' in a \u escape, where four hexadecimal digits should be`},
		{"minus alone", `{"total": -x}`, "", "the body is not JSON: line 1, column 12: unexpected 'x' after '-', where a digit should be"},
		{"decimal point alone", `{"total": 1.}`, "",
			"the body is not JSON: line 1, column 13: unexpected '}' after a decimal point, where a digit should be"},
		{"empty exponent", `{"total": 1e}`, "",
			"the body is not JSON: line 1, column 13: unexpected '}' in a number's exponent, where a digit should be"},
		{"misspelt true", `{"customer": {"opt_in": tru}}`, "",
			"the body is not JSON: line 1, column 28: unexpected '}' in what should be true"},
		{"misspelt null", `{"customer": {"opt_in": nil}}`, "",
			"the body is not JSON: line 1, column 26: unexpected 'i' in what should be null"},
		{"columns count characters", `{"customer": {"name": "Zoë", "x": é}}`, "",
			"the body is not JSON: line 1, column 35: unexpected 'é' where a value should start"},
		{"not UTF-8", "{\"cart_id\": \xff}", "",
			"the body is not JSON: line 1, column 13: unexpected byte 0xFF where a value should start"},
		{"too deep", `{"items": ` + strings.Repeat("[", 10001), "",
			"the body is not JSON: line 1, column 10010: unexpected '[' nested deeper than JSON allows here (10000 levels)"},
		{"broken after a wrong type", `{"total": true, "cart_id": }`, "",
			"the body is not JSON: line 1, column 28: unexpected '}' where a value should start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCart([]byte(tc.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeCart = %v, want a *DecodeError", err)
			}
			if de.Field != tc.field || de.Error() != tc.answer {
				t.Errorf("DecodeCart:\n got %q %q\nwant %q %q", de.Field, de.Error(), tc.field, tc.answer)
			}
		})
	}
}

// TestDecodeCartAcceptsWhatEncodingJSONDoes: the strictness is in the messages, not in new refusals.
func TestDecodeCartAcceptsWhatEncodingJSONDoes(t *testing.T) {
	for name, body := range map[string]string{
		"names in another case": `{"Cart_ID": "c1", "CUSTOMER": {"Phone": "+1"}}`,
		"nulls":                 `{"cart_id": null, "customer": {"opt_in": null}, "items": null}`,
		"leading white space":   "\n\t {\"cart_id\": \"c1\"}\n",
		"repeated field":        `{"cart_id": "c1", "cart_id": "c2"}`,
	} {
		if _, err := DecodeCart([]byte(body)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDecodeBodyOtherTypes covers the kinds and types the cart does not hold but other bodies may
// (the purchase's time), and a body the walk cannot explain.
func TestDecodeBodyOtherTypes(t *testing.T) {
	type body struct {
		At    time.Time  `json:"at"`
		When  *time.Time `json:"when"`
		Ratio float64    `json:"ratio"`
		Count uint8      `json:"count"`
		Flag  bool       `json:"flag"`
		Pair  [2]int     `json:"pair"`
		Any   chan int   `json:"any"`
	}
	for _, tc := range []struct{ body, answer string }{
		{`{"at": "yesterday"}`, `at: must be a time in RFC 3339 format such as "2026-11-01T10:00:00Z"`},
		{`{"when": 12}`, `when: must be a time in RFC 3339 format such as "2026-11-01T10:00:00Z"`},
		{`{"ratio": "half"}`, "ratio: must be a number"},
		{`{"ratio": 1e400}`, "ratio: is out of range"},
		{`{"count": -1}`, "count: must be a whole number"},
		{`{"count": 256}`, "count: is out of range"},
		{`{"flag": "yes"}`, "flag: must be true or false"},
		{`{"pair": [1, "2"]}`, "pair[1]: must be a whole number"},
		{`{"any": 1}`, "the body does not have the expected form"},
		{`{"at": null, "when": null, "ratio": 0.5, "count": 255, "flag": true, "pair": [1, 2, 3]}`, ""},
	} {
		var b body
		err := DecodeBody([]byte(tc.body), &b)
		if got := errorText(err); got != tc.answer {
			t.Errorf("DecodeBody(%s) = %q, want %q", tc.body, got, tc.answer)
		}
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
