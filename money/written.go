package money

import (
	"strings"
)

// Style is how a locale writes amounts: "1,250.00" in English, "1.250,00" in Indonesian and
// Brazilian Portuguese. Symbol precedes the amount when set ("Rp", "R$ "); empty, the
// currency's code follows it ("1,250.00 USD").
type Style struct {
	Decimal string
	Group   string
	Symbol  string
}

// Written renders minor units of currency in style s: 125000000 IDR with {",", ".", "Rp"} is
// "Rp1.250.000,00"; 12998 USD with {".", ",", ""} is "129.98 USD". Like Format, it shows an unknown
// currency's raw minor units rather than guessing its decimals.
func Written(minor int64, currency string, s Style) string {
	exp, ok := Exponent(currency)
	if !ok {
		return Format(minor, currency)
	}
	sign, digits := magnitude(minor)
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-exp], digits[len(digits)-exp:]
	var b strings.Builder
	b.WriteString(sign)
	b.WriteString(s.Symbol)
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(s.Group)
		}
		b.WriteRune(d)
	}
	if exp > 0 {
		b.WriteString(s.Decimal)
		b.WriteString(frac)
	}
	if s.Symbol == "" {
		b.WriteString(" " + currency)
	}
	return b.String()
}
