package money

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseMinorValid(t *testing.T) {
	tests := []struct {
		raw, currency string
		want          int64
	}{
		{"12.34", "USD", 1234},
		{"12", "USD", 1200},
		{"12.3", "USD", 1230},
		{"0.99", "USD", 99},
		{"0", "USD", 0},
		{"0.0", "USD", 0},
		{"0.01", "USD", 1},
		{"12.340", "USD", 1234},     // extra zeros are exact, so accepted
		{"12.3400000", "USD", 1234}, // however many there are
		{"1500", "JPY", 1500},
		{"1500.00", "JPY", 1500}, // platforms that always print two decimals
		{"1.234", "KWD", 1234},
		{"0.5", "BHD", 500},
		{"1.2345", "CLF", 12345},
		{"7", "UYW", 70000},
		{"92233720368547758.07", "USD", math.MaxInt64},
		{"9223372036854775807", "JPY", math.MaxInt64},
		{"922337203685477.5807", "UYW", math.MaxInt64},
	}
	for _, tt := range tests {
		got, err := ParseMinor(tt.raw, tt.currency)
		if err != nil {
			t.Errorf("ParseMinor(%q, %s): unexpected error %v", tt.raw, tt.currency, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseMinor(%q, %s) = %d, want %d", tt.raw, tt.currency, got, tt.want)
		}
	}
}

func TestParseMinorRejects(t *testing.T) {
	tests := []struct {
		name, raw, currency string
		want                error
		msg                 string // a fragment the message must contain
	}{
		{"negative", "-1.00", "USD", ErrInvalidAmount, "negative"},
		{"negative zero", "-0", "USD", ErrInvalidAmount, "negative"},
		{"too precise USD", "12.345", "USD", ErrInvalidAmount, "more than 2 fraction digits for USD"},
		{"too precise JPY", "1.5", "JPY", ErrInvalidAmount, "more than 0 fraction digits for JPY"},
		{"too precise KWD", "1.2345", "KWD", ErrInvalidAmount, "more than 3"},
		{"non-zero after zeros", "12.3401", "USD", ErrInvalidAmount, "more than 2"},
		{"exponent", "1e3", "USD", ErrInvalidAmount, "exponent"},
		{"exponent upper", "1E3", "JPY", ErrInvalidAmount, "exponent"},
		{"exponent after fraction", "1.5e2", "USD", ErrInvalidAmount, "exponent"},
		{"leading plus", "+1", "USD", ErrInvalidAmount, "'+'"},
		{"empty", "", "USD", ErrInvalidAmount, "empty"},
		{"leading space", " 12", "USD", ErrInvalidAmount, "start with a digit"},
		{"trailing space", "12 ", "USD", ErrInvalidAmount, "unexpected character ' '"},
		{"inner space", "1 000", "USD", ErrInvalidAmount, "unexpected"},
		{"hex", "0x1F", "USD", ErrInvalidAmount, "'x'"},
		{"NaN", "NaN", "USD", ErrInvalidAmount, "start with a digit"},
		{"Inf", "Inf", "USD", ErrInvalidAmount, "start with a digit"},
		{"Infinity", "Infinity", "USD", ErrInvalidAmount, "start with a digit"},
		{"lone dot", ".", "USD", ErrInvalidAmount, "start with a digit"},
		{"no integer part", ".5", "USD", ErrInvalidAmount, "start with a digit"},
		{"trailing dot", "12.", "USD", ErrInvalidAmount, "followed by digits"},
		{"two dots", "1.2.3", "USD", ErrInvalidAmount, "unexpected character '.'"},
		{"comma decimal", "12,34", "USD", ErrInvalidAmount, "','"},
		{"leading zero", "012", "USD", ErrInvalidAmount, "leading zeros"},
		{"currency symbol", "$12", "USD", ErrInvalidAmount, "start with a digit"},
		{"overflow by one", "92233720368547758.08", "USD", ErrInvalidAmount, "too large"},
		{"overflow JPY", "9223372036854775808", "JPY", ErrInvalidAmount, "too large"},
		{"overflow huge", strings.Repeat("9", 400), "USD", ErrInvalidAmount, "too large"},
		{"unknown currency", "1", "ABC", ErrUnknownCurrency, `"ABC"`},
		{"lower-case currency", "1", "usd", ErrUnknownCurrency, `"usd"`},
		{"empty currency", "1", "", ErrUnknownCurrency, `""`},
		{"excluded gold", "1", "XAU", ErrUnknownCurrency, "XAU"},
		{"withdrawn lev", "1", "BGN", ErrUnknownCurrency, "BGN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMinor(tt.raw, tt.currency)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseMinor(%q, %q) = %d, %v; want error wrapping %v", tt.raw, tt.currency, got, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestErrorMessagesAreBounded(t *testing.T) {
	_, err := ParseMinor(strings.Repeat("x", 10000), "USD")
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("want a short error, got %d bytes", len(err.Error()))
	}
}

// TestDecimalJSONExact decodes with a plain json.Decoder (no UseNumber): if
// any float64 sneaked in, 0.29 would come out as 28 cents and the 15-digit
// amount would lose its last cent.
func TestDecimalJSONExact(t *testing.T) {
	tests := []struct {
		json     string
		currency string
		want     int64
	}{
		{`{"amount": 0.29}`, "USD", 29},
		{`{"amount": "0.29"}`, "USD", 29},
		{`{"amount": 1234567890123.45}`, "USD", 123456789012345},
		{`{"amount": "1234567890123.45"}`, "USD", 123456789012345},
		{`{"amount": 92233720368547758.07}`, "USD", math.MaxInt64},
		{`{"amount": 1500}`, "JPY", 1500},
		{`{"amount": "1.234"}`, "KWD", 1234},
		{`{"amount": "\u0031\u0032.5"}`, "USD", 1250}, // JSON escapes are decoded
	}
	for _, tt := range tests {
		var v struct {
			Amount Decimal `json:"amount"`
		}
		if err := json.NewDecoder(strings.NewReader(tt.json)).Decode(&v); err != nil {
			t.Errorf("decode %s: %v", tt.json, err)
			continue
		}
		got, err := v.Amount.Minor(tt.currency)
		if err != nil || got != tt.want {
			t.Errorf("%s as %s = %d, %v; want %d", tt.json, tt.currency, got, err, tt.want)
		}
	}
}

func TestDecimalJSONRejects(t *testing.T) {
	for _, in := range []string{
		`{"amount": null}`,
		`{"amount": true}`,
		`{"amount": {"value": 1}}`,
		`{"amount": [1]}`,
		`{"amount": -1}`,
		`{"amount": 1e3}`,
		`{"amount": "1e3"}`,
		`{"amount": ""}`,
		`{"amount": "12,34"}`,
		`{"amount": " 12"}`,
		`{"amount": "NaN"}`,
	} {
		var v struct {
			Amount Decimal `json:"amount"`
		}
		err := json.NewDecoder(strings.NewReader(in)).Decode(&v)
		if !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("decode %s: err = %v, want ErrInvalidAmount", in, err)
		}
	}
}

// TestDecimalPointerNull shows how to make an amount optional: a *Decimal is
// left nil by null, while a missing value never silently becomes zero.
func TestDecimalPointerNull(t *testing.T) {
	var v struct {
		Amount *Decimal `json:"amount"`
	}
	if err := json.Unmarshal([]byte(`{"amount": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Amount != nil {
		t.Fatalf("Amount = %q, want nil", *v.Amount)
	}
}

// TestDecimalPrecisionCheckedLate: the currency is unknown while decoding, so
// "1.5" decodes fine and only Minor("JPY") rejects it.
func TestDecimalPrecisionCheckedLate(t *testing.T) {
	var d Decimal
	if err := json.Unmarshal([]byte(`1.5`), &d); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Minor("JPY"); !errors.Is(err, ErrInvalidAmount) {
		t.Fatalf("Minor(JPY) err = %v, want ErrInvalidAmount", err)
	}
	if got, err := d.Minor("USD"); err != nil || got != 150 {
		t.Fatalf("Minor(USD) = %d, %v; want 150", got, err)
	}
}

func TestDecimalMarshalRoundTrip(t *testing.T) {
	in := struct {
		Amount Decimal `json:"amount"`
	}{Amount: "0.29"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"amount":"0.29"}` {
		t.Fatalf("marshal = %s", b)
	}
	var out struct {
		Amount Decimal `json:"amount"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v", out, err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{1234, "USD", "12.34 USD"},
		{5, "USD", "0.05 USD"},
		{0, "USD", "0.00 USD"},
		{-5, "USD", "-0.05 USD"},
		{-1234, "EUR", "-12.34 EUR"},
		{1500, "JPY", "1500 JPY"},
		{-1500, "JPY", "-1500 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{1, "CLF", "0.0001 CLF"},
		{math.MaxInt64, "USD", "92233720368547758.07 USD"},
		{math.MinInt64, "USD", "-92233720368547758.08 USD"},
		{math.MinInt64, "JPY", "-9223372036854775808 JPY"},
		{1234, "XYZ", `1234 minor units of "XYZ"`},
	}
	for _, tt := range tests {
		if got := Format(tt.minor, tt.currency); got != tt.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// TestFormatRoundTrip checks every currency: what Format prints, ParseMinor
// reads back to the same minor units.
func TestFormatRoundTrip(t *testing.T) {
	for _, c := range currencies {
		for _, minor := range []int64{0, 1, 7, 99, 100, 1234, 100000, math.MaxInt64} {
			s := Format(minor, c.code)
			num, ok := strings.CutSuffix(s, " "+c.code)
			if !ok {
				t.Fatalf("Format(%d, %s) = %q: missing code suffix", minor, c.code, s)
			}
			got, err := ParseMinor(num, c.code)
			if err != nil || got != minor {
				t.Errorf("ParseMinor(Format(%d, %s) = %q) = %d, %v", minor, c.code, s, got, err)
			}
		}
	}
}

func TestCurrencyTable(t *testing.T) {
	// Strictly increasing order proves there are no duplicate codes and is
	// what Exponent's binary search relies on.
	for i := 1; i < len(currencies); i++ {
		if currencies[i-1].code >= currencies[i].code {
			t.Errorf("table out of order or duplicated at %q, %q", currencies[i-1].code, currencies[i].code)
		}
	}
	for _, c := range currencies {
		if len(c.code) != 3 || strings.ToUpper(c.code) != c.code || strings.Trim(c.code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Errorf("bad code %q", c.code)
		}
		switch c.exponent {
		case 0, 2, 3, 4:
		default:
			t.Errorf("%s: exponent %d", c.code, c.exponent)
		}
		if got, ok := Exponent(c.code); !ok || got != c.exponent {
			t.Errorf("Exponent(%s) = %d, %v; table says %d", c.code, got, ok, c.exponent)
		}
	}
	// ISO 4217 List One has about 180 entries; minus the 14 excluded X codes.
	if n := len(currencies); n < 155 || n > 175 {
		t.Errorf("table has %d currencies; expected the full list (~164)", n)
	}
}

func TestExponentWellKnown(t *testing.T) {
	want := map[string]int{
		"USD": 2, "EUR": 2, "GBP": 2, "BRL": 2, "MXN": 2, "INR": 2, "CNY": 2, "CHF": 2,
		"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "XOF": 0, "XAF": 0, "XPF": 0, "PYG": 0, "UGX": 0,
		"KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "LYD": 3, "IQD": 3,
		"CLF": 4, "UYW": 4,
		"XCG": 2, "ZWG": 2, "SLE": 2, "VED": 2, "VES": 2,
	}
	for code, exp := range want {
		if got, ok := Exponent(code); !ok || got != exp {
			t.Errorf("Exponent(%s) = %d, %v; want %d", code, got, ok, exp)
		}
	}
	for _, code := range []string{
		// Excluded by design: metals, testing, no-currency, bond units, units of account.
		"XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XDR", "XAD",
		// Withdrawn (List Three).
		"ANG", "BGN", "CUC", "HRK", "SLL", "ZWL", "VEF", "MRO", "STD",
		// Not normalised.
		"usd", "Usd", " USD", "USD ", "",
	} {
		if _, ok := Exponent(code); ok {
			t.Errorf("Exponent(%q) found; want not found", code)
		}
	}
}

// FuzzParseMinor: ParseMinor never panics, never returns a negative amount,
// and anything it accepts survives Format and a JSON string round trip.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"12.34", "0", "0.99", "1500", "12.340", "1e3", "-1", "+1", ".", "", "NaN", "0x10", "92233720368547758.07", "92233720368547758.08", "1.2345"} {
		for _, idx := range []uint8{0, 70, 150} {
			f.Add(s, idx)
		}
	}
	f.Fuzz(func(t *testing.T, raw string, idx uint8) {
		code := currencies[int(idx)%len(currencies)].code
		v, err := ParseMinor(raw, code)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMinor(%q, %s): error %v does not wrap ErrInvalidAmount", raw, code, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("ParseMinor(%q, %s) = %d < 0", raw, code, v)
		}
		s := Format(v, code)
		num, ok := strings.CutSuffix(s, " "+code)
		if !ok {
			t.Fatalf("Format(%d, %s) = %q", v, code, s)
		}
		back, err := ParseMinor(num, code)
		if err != nil || back != v {
			t.Fatalf("ParseMinor(%q) = %d; Format = %q; reparsed %d, %v", raw, v, s, back, err)
		}
		// The same text inside a JSON string must decode to the same amount.
		b, _ := json.Marshal(raw)
		var d Decimal
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("Decimal rejects %s accepted by ParseMinor: %v", b, err)
		}
		if got, err := d.Minor(code); err != nil || got != v {
			t.Fatalf("Decimal(%s).Minor(%s) = %d, %v; want %d", b, code, got, err, v)
		}
	})
}
