package money

import (
	"math"
	"testing"
)

func TestWritten(t *testing.T) {
	en := Style{Decimal: ".", Group: ","}
	id := Style{Decimal: ",", Group: ".", Symbol: "Rp"}
	for _, tc := range []struct {
		minor    int64
		currency string
		style    Style
		want     string
	}{
		{12998, "USD", en, "129.98 USD"},
		{12998, "USD", Style{Decimal: ".", Group: ",", Symbol: "US$"}, "US$129.98"},
		{125000000, "IDR", id, "Rp1.250.000,00"},
		{5, "USD", en, "0.05 USD"},
		{0, "USD", en, "0.00 USD"},
		{100000, "JPY", en, "100,000 JPY"},
		{1234, "KWD", en, "1.234 KWD"},
		{99999, "BRL", Style{Decimal: ",", Group: ".", Symbol: "R$ "}, "R$ 999,99"},
		{math.MaxInt64, "USD", en, "92,233,720,368,547,758.07 USD"},
		{-5, "USD", en, "-0.05 USD"},
		{7, "ABC", en, `7 minor units of "ABC"`},
	} {
		if got := Written(tc.minor, tc.currency, tc.style); got != tc.want {
			t.Errorf("Written(%d, %s, %+v) = %q, want %q", tc.minor, tc.currency, tc.style, got, tc.want)
		}
	}
}
