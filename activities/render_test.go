package activities

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/messages"
	"github.com/cartback/cartback/workflows"
)

// sampleCart is a cart in the currency of each default locale's first market.
func sampleCart(currency string, unit int64) workflows.Cart {
	return workflows.Cart{
		ID: "c_8f3a", Currency: currency, TotalMinor: 2*unit + unit/2, URL: "https://shop.example.com/cart/c_8f3a",
		Items: []workflows.Item{
			{Name: "Blue Trail Running Shoes", Quantity: 2, UnitPriceMinor: unit},
			{Name: "Socks", Quantity: 1, UnitPriceMinor: unit / 2},
		},
	}
}

// TestEachLocaleRendersASampleCart: every default locale's reminder, coupon and clarification, as
// the shopper reads them, amounts written the locale's way.
func TestEachLocaleRendersASampleCart(t *testing.T) {
	file := messages.Default()
	for _, tc := range []struct {
		locale, currency          string
		unit                      int64
		reminder, coupon, clarify string
	}{
		{"en", "USD", 6499,
			"Great! Your cart is waiting for you:\n• 2 × Blue Trail Running Shoes: 129.98 USD\n• 1 × Socks: 32.49 USD\nTotal: 162.47 USD\nComplete your purchase: https://shop.example.com/cart/c_8f3a",
			"Here is a 10% discount code: SAVE10. Complete your purchase: https://shop.example.com/cart/c_8f3a",
			"Sorry, I didn't get that. Reply 1 if you still want your cart, or 2 if something stopped you."},
		{"es", "MXN", 129900,
			"¡Qué bien! Tu carrito te está esperando:\n• 2 × Blue Trail Running Shoes: $2,598.00\n• 1 × Socks: $649.50\nTotal: $3,247.50\nTermina tu compra aquí: https://shop.example.com/cart/c_8f3a",
			"¡Tenemos algo para ti! Con el código SAVE10 tienes 10% de descuento. Termina tu compra aquí: https://shop.example.com/cart/c_8f3a",
			"Perdona, no te entendí. Responde 1 si todavía quieres tu carrito, o 2 si algo te detuvo."},
		{"id", "IDR", 45000000,
			"Asyik! Keranjangmu masih menunggu:\n• 2 × Blue Trail Running Shoes: Rp900.000,00\n• 1 × Socks: Rp225.000,00\nTotal: Rp1.125.000,00\nSelesaikan belanjamu di sini: https://shop.example.com/cart/c_8f3a",
			"Ada kejutan buat kamu! Pakai kode SAVE10 untuk diskon 10%. Selesaikan belanjamu di sini: https://shop.example.com/cart/c_8f3a",
			"Maaf, kami belum paham. Balas 1 kalau kamu masih mau isi keranjangmu, atau 2 kalau ada yang bikin kamu ragu."},
		{"pt", "BRL", 29990,
			"Que bom! Seu carrinho está te esperando:\n• 2 × Blue Trail Running Shoes: R$ 599,80\n• 1 × Socks: R$ 149,95\nTotal: R$ 749,75\nFinalize sua compra: https://shop.example.com/cart/c_8f3a",
			"Temos um presente para você! Use o código SAVE10 e ganhe 10% de desconto. Finalize sua compra: https://shop.example.com/cart/c_8f3a",
			"Desculpe, não entendi. Responda 1 se você ainda quer seu carrinho, ou 2 se algo te impediu."},
	} {
		m, ok := file.Locale(tc.locale)
		if !ok {
			t.Fatalf("the default file has no %s", tc.locale)
		}
		c := sampleCart(tc.currency, tc.unit)
		if got, err := reminderText(m, "Sheena Nelson", c); err != nil || got != tc.reminder {
			t.Errorf("%s reminder (%v):\n%s\nwant\n%s", tc.locale, err, got, tc.reminder)
		}
		if got, err := couponText(m, "Sheena Nelson", "SAVE10", "10%", c.URL); err != nil || got != tc.coupon {
			t.Errorf("%s coupon (%v):\n%s\nwant\n%s", tc.locale, err, got, tc.coupon)
		}
		if got, err := clarificationText(m, "Sheena Nelson"); err != nil || got != tc.clarify {
			t.Errorf("%s clarification (%v):\n%s\nwant\n%s", tc.locale, err, got, tc.clarify)
		}
	}
}

// TestAHundredItemCartFits: the largest cart the API takes (100 lines of 200-character names, a
// 2,000-character link) makes a reminder within WhatsApp's 4,096 characters in every locale, its
// lines counted past those it lists. Without the bound it was 21,619 characters.
func TestAHundredItemCartFits(t *testing.T) {
	c := workflows.Cart{ID: "c_big", Currency: "IDR", TotalMinor: 9_000_000_000_000, URL: "https://shop.example.com/" + strings.Repeat("x", 1975)}
	for i := range 100 {
		name := fmt.Sprintf("%03d ", i) + strings.Repeat("ñ", 196) // 200 characters, 2 bytes each
		c.Items = append(c.Items, workflows.Item{Name: name, Quantity: 10000, UnitPriceMinor: 9_000_000_000})
	}
	file := messages.Default()
	for _, key := range file.Locales() {
		m, _ := file.Locale(key)
		body, err := reminderText(m, "Sheena", c)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		n := utf8.RuneCountInString(body)
		listed := strings.Count(body, "• ")
		if n > maxTextRunes || listed == 0 || listed > maxListedItems {
			t.Errorf("%s: %d characters, %d lines listed", key, n, listed)
		}
		more, _ := messages.Render(m.MoreItems, messages.MoreItemsFields{Count: 100 - listed})
		if !strings.Contains(body, more) || !strings.HasSuffix(body, c.URL) {
			t.Errorf("%s: the reminder lacks %q or the link:\n%s", key, more, body)
		}
		t.Logf("%s: %d characters, %d of 100 lines listed", key, n, listed)
	}
	// A short cart of many lines lists maxListedItems of them.
	short := sampleCart("USD", 100)
	for len(short.Items) < 25 {
		short.Items = append(short.Items, short.Items[1])
	}
	body, err := reminderText(defaultMessages, "Sheena", short)
	if err != nil || strings.Count(body, "• ") != maxListedItems || !strings.Contains(body, "…and 15 more") {
		t.Errorf("25 short lines (%v):\n%s", err, body)
	}
}

// TestSendsInTheLocale: the template of the request's locale goes out, and the follow-ups in its
// words.
func TestSendsInTheLocale(t *testing.T) {
	graph, env := setup(t, nil)
	es, _ := messages.Default().Locale("es")
	to := "+525512345678"
	c := sampleCart("MXN", 129900)
	steps := []struct {
		activity string
		req      any
	}{
		{workflows.SendTemplateActivity, workflows.TemplateRequest{CallbackData: "cb", CartID: c.ID, TemplateLanguage: es.TemplateLanguage,
			Customer: workflows.Customer{Phone: to, Name: "Sheena Nelson"}}},
		{workflows.SendReminderActivity, workflows.ReminderRequest{CallbackData: "cb", Phone: to, Cart: c, Name: "Sheena Nelson", Messages: &es}},
		{workflows.SendCouponActivity, workflows.CouponRequest{CallbackData: "cb", Phone: to, CartURL: c.URL, CouponCode: "SAVE-7KQ2-MX9D",
			Discount: "15%", Messages: &es}},
		{workflows.SendClarificationActivity, workflows.ClarificationRequest{CallbackData: "cb", Phone: to, Messages: &es}},
	}
	for _, s := range steps {
		if _, err := env.ExecuteActivity(s.activity, s.req); err != nil {
			t.Fatalf("%s: %v", s.activity, err)
		}
	}
	msgs := graph.Messages()
	if len(msgs) != 4 || msgs[0].Template == nil || msgs[1].Text == nil || msgs[2].Text == nil || msgs[3].Text == nil {
		t.Fatalf("sends %+v", msgs)
	}
	if tpl := msgs[0].Template; tpl.Name != "cart_check_in" || tpl.Language != "es_MX" {
		t.Errorf("template %s %s, want cart_check_in es_MX (the worker's name, the locale's language)", tpl.Name, tpl.Language)
	}
	for i, want := range []string{"Tu carrito te está esperando", "Con el código SAVE-7KQ2-MX9D tienes 15% de descuento", "Responde 1"} {
		if body := msgs[i+1].Text.Body; !strings.Contains(body, want) {
			t.Errorf("send %d %q lacks %q", i+1, body, want)
		}
	}
}

// TestABrokenTextFailsTheSendForGood: a text that does not render (a hand-made input) is not retried.
func TestABrokenTextFailsTheSendForGood(t *testing.T) {
	_, env := setup(t, nil)
	bad := workflows.Messages{Locale: "xx", Coupon: "{{.Code"}
	_, err := env.ExecuteActivity(workflows.SendCouponActivity, workflows.CouponRequest{Phone: "+16505551234", CartURL: cart.URL, CouponCode: "C", Messages: &bad})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "xx coupon text") {
		t.Fatalf("err %v, want a non-retryable error naming the text", err)
	}
}
