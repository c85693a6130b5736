// Package money turns amounts written as decimal text (JSON numbers or
// strings) into exact integer minor units of an ISO 4217 currency, and back.
//
// Amounts never pass through float64: 0.29 as a float64 is
// 0.28999999999999998, and a storefront total that is off by one cent is
// enough to make a win-back message quote the wrong price.
package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidAmount is wrapped by every error about the text of an amount
// (syntax, sign, precision, range).
var ErrInvalidAmount = errors.New("money: invalid amount")

// ErrUnknownCurrency is wrapped when a currency code is not an active ISO
// 4217 code in upper case (see Exponent).
var ErrUnknownCurrency = errors.New("money: unknown currency")

// ParseMinor converts a decimal amount in currency's major unit into its
// minor units: "12.34" USD is 1234, "1500" JPY is 1500, "1.234" KWD is 1234.
//
// raw is a JSON number literal or the content of a JSON string (quotes
// already stripped). The grammar is JSON's number grammar without the minus
// sign and without exponents: digits, no leading zeros, optionally a '.'
// followed by at least one digit. Everything else is rejected with an error
// wrapping ErrInvalidAmount: negatives, '+', spaces, hex, "NaN", "Inf", "1e3",
// "", ".", ".5", "12.", and amounts whose minor units overflow int64.
//
// Fraction digits beyond the currency's exponent are accepted only when they
// are all zeros ("12.340" USD is 1234, "1500.00" JPY is 1500), because many
// platforms always print two or three decimals whatever the currency; a
// non-zero extra digit ("12.345" USD, "1.5" JPY) would need rounding, and
// guessing a rounding rule for someone else's money is an error, not a
// convenience.
func ParseMinor(raw string, currency string) (int64, error) {
	exp, ok := Exponent(currency)
	if !ok {
		return 0, fmt.Errorf("%w %s", ErrUnknownCurrency, quote(currency))
	}
	intPart, frac, err := split(raw)
	if err != nil {
		return 0, err
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, invalid(raw, fmt.Sprintf("more than %d fraction digits for %s", exp, currency))
		}
		frac = frac[:exp]
	}
	// Concatenating the digits and letting ParseInt do the arithmetic gives
	// the overflow check for free; the string holds only ASCII digits here.
	digits := intPart + frac + strings.Repeat("0", exp-len(frac))
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, invalid(raw, fmt.Sprintf("too large: exceeds %d minor units of %s", int64(1<<63-1), currency))
	}
	return v, nil
}

// split checks raw against the accepted grammar (see ParseMinor) and returns
// its integer and fraction digits. It does not need the currency, so Decimal
// can reject malformed JSON at decode time, before the currency is known.
func split(raw string) (intPart, frac string, err error) {
	if raw == "" {
		return "", "", invalid(raw, "empty")
	}
	switch raw[0] {
	case '-':
		return "", "", invalid(raw, "negative amounts are not allowed")
	case '+':
		return "", "", invalid(raw, "leading '+' is not allowed")
	}
	n := countDigits(raw)
	if n == 0 {
		return "", "", invalid(raw, "must start with a digit")
	}
	intPart, rest := raw[:n], raw[n:]
	if len(intPart) > 1 && intPart[0] == '0' {
		return "", "", invalid(raw, "leading zeros are not allowed")
	}
	if rest == "" {
		return intPart, "", nil
	}
	if rest[0] != '.' {
		return "", "", unexpected(raw, rest[0])
	}
	frac = rest[1:]
	n = countDigits(frac)
	if n == 0 {
		return "", "", invalid(raw, "'.' must be followed by digits")
	}
	if n < len(frac) {
		return "", "", unexpected(raw, frac[n])
	}
	return intPart, frac, nil
}

// countDigits returns the length of the leading run of ASCII digits in s.
func countDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// unexpected names the first offending character, calling out exponent
// notation because it is valid JSON and therefore the most likely surprise.
func unexpected(raw string, c byte) error {
	if c == 'e' || c == 'E' {
		return invalid(raw, "exponent notation is not allowed")
	}
	return invalid(raw, fmt.Sprintf("unexpected character %q", c))
}

// invalid builds an error wrapping ErrInvalidAmount that shows the input.
func invalid(raw, reason string) error {
	return fmt.Errorf("%w %s: %s", ErrInvalidAmount, quote(raw), reason)
}

// quote renders untrusted input for an error message, truncated so a
// hostile or broken payload cannot blow up log lines.
func quote(s string) string {
	const limit = 40
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}

// Format renders minor units with the currency's exponent and code: 1234 USD
// is "12.34 USD", 1500 JPY is "1500 JPY", 1234 KWD is "1.234 KWD", -5 USD is
// "-0.05 USD". Its output, minus the sign and the " CODE" suffix, is always
// accepted by ParseMinor.
//
// An unknown currency cannot be scaled, so the raw minor units are shown and
// labelled as such rather than guessing two decimals.
func Format(minor int64, currency string) string {
	exp, ok := Exponent(currency)
	if !ok {
		return fmt.Sprintf("%d minor units of %s", minor, quote(currency))
	}
	sign, digits := magnitude(minor)
	if exp == 0 {
		return sign + digits + " " + currency
	}
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	cut := len(digits) - exp
	return sign + digits[:cut] + "." + digits[cut:] + " " + currency
}

// Decimal holds an amount exactly as written in JSON (number or string), to
// be converted once the currency is known, typically because the currency is
// a sibling field of the same object.
//
// null is rejected rather than read as zero: a missing price must not become
// a free cart. Use *Decimal for an optional amount; encoding/json sets a nil
// pointer for null without calling UnmarshalJSON.
type Decimal string

// UnmarshalJSON accepts a JSON number (12.34) or string ("12.34") whose text
// satisfies ParseMinor's grammar, and rejects null, booleans, objects and
// arrays. The text is kept verbatim; precision is checked by Minor.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("%w: empty JSON value", ErrInvalidAmount)
	}
	var raw string
	switch c := b[0]; {
	case c == '"':
		if err := json.Unmarshal(b, &raw); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidAmount, err)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		raw = string(b)
	default:
		return fmt.Errorf("%w: JSON %s is not a number or a string", ErrInvalidAmount, jsonKind(c))
	}
	if _, _, err := split(raw); err != nil {
		return err
	}
	*d = Decimal(raw)
	return nil
}

// jsonKind names the JSON type that starts with c, for error messages.
func jsonKind(c byte) string {
	switch c {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// Minor converts the amount to minor units of currency; see ParseMinor.
func (d Decimal) Minor(currency string) (int64, error) {
	return ParseMinor(string(d), currency)
}

// magnitude splits minor into its sign ("-" or "") and the decimal digits of its magnitude. It
// works on the magnitude as uint64: negating math.MinInt64 in int64 overflows, while the uint64
// negation of its bit pattern is exact.
func magnitude(minor int64) (sign, digits string) {
	u := uint64(minor)
	if minor < 0 {
		u, sign = -u, "-"
	}
	return sign, strconv.FormatUint(u, 10)
}
