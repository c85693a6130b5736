package starter

import (
	"testing"
	"time"

	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/workflows"
)

// TestValidateCopiesTheShoppersMessages: the flow's input carries the chosen locale's template
// and texts, from the cart's locale, else the number's country, with the other settings.
func TestValidateCopiesTheShoppersMessages(t *testing.T) {
	st, err := New(nil, Options{IDKey: []byte("starter test id key............."), Consent: teststore.Open(t),
		Now: func() time.Time { return testNow }, Settings: workflows.Settings{CouponCode: "SAVE10", CouponDiscount: "15%"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ locale, phone, want, language string }{
		{"es_MX", "+52 55 1234 5678", "es", "es_MX"},
		{"", "+62 812 3456 7890", "id", "id"},
		{"pt-BR", "+52 55 1234 5678", "pt", "pt_BR"},
		{"", "+44 7911 123456", "en", ""},
	} {
		c, err := DecodeCart([]byte(validCart))
		if err != nil {
			t.Fatal(err)
		}
		c.Customer.Locale, c.Customer.Phone = tc.locale, tc.phone
		in, err := st.Validate(c)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.locale, tc.phone, err)
		}
		m := in.Settings.Messages
		if m == nil || m.Locale != tc.want || m.TemplateLanguage != tc.language || m.Coupon == "" || in.Settings.CouponDiscount != "15%" {
			t.Errorf("%q %s: settings %+v, messages %+v; want %s", tc.locale, tc.phone, in.Settings, m, tc.want)
		}
	}
}
