package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	body := sample(t, "checkouts_create.json")
	for name, c := range map[string]struct {
		header  string
		secrets []string
		ok      bool
	}{
		"current secret":          {sign(body, "new"), []string{"new", "old"}, true},
		"previous secret":         {sign(body, "old"), []string{"new", "old"}, true},
		"another secret":          {sign(body, "other"), []string{"new", "old"}, false},
		"no secret configured":    {sign(body, ""), []string{"", ""}, false},
		"missing header":          {"", []string{"new"}, false},
		"hex, not base64":         {"5f2b8a1c9d3e4f60a7b8c9d0e1f2a3b45f2b8a1c9d3e4f60a7b8c9d0e1f2a3b4", []string{"new"}, false},
		"another body's":          {sign(append([]byte(" "), body...), "new"), []string{"new"}, false},
		"truncated base64 digest": {sign(body, "new")[:20], []string{"new"}, false},
	} {
		err := VerifySignature(body, c.header, c.secrets...)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadSignature)) {
			t.Errorf("%s: %v, want ok=%v", name, err, c.ok)
		}
	}
}

// The sample, as Shopify sends a checkout with an SMS-subscribed customer, is this cart.
func TestCheckoutIsACart(t *testing.T) {
	c, err := DecodeCheckout(sample(t, "checkouts_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Cart(OptIn{Kind: OptInSMS})
	if err != nil {
		t.Fatal(err)
	}
	want := starter.Cart{
		CartID: "shopify:5f2b8a1c9d3e4f60a7b8c9d0e1f2a3b4",
		Customer: starter.Customer{Phone: "+525512345678", Name: "Ana", Locale: "es-MX",
			OptIn: &starter.OptIn{At: "2026-11-30T18:03:02-06:00", Source: "shopify sms_marketing_consent"}},
		Items: []starter.Item{
			{SKU: "CAM-AZ-M", Name: "Camiseta básica - Azul / M", Quantity: 2, UnitPrice: "249.00"},
			{Name: "Tarjeta de regalo", Quantity: 1, UnitPrice: "150.00"},
		},
		Currency: "MXN",
		Total:    money.Decimal("648.00"),
		CartURL:  "https://tienda-demo.myshopify.com/60781904125/checkouts/ac/Z2NwLXVzLWVhc3QxOjAxSkY5Rk1ZN0/recover?key=0d6a2c7e",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cart:\n got %+v\nwant %+v", got, want)
	}
	// And the starter takes it as it takes a storefront's.
	if _, err := starter.Normalize(got, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("the starter refuses the cart: %v", err)
	}
}

func TestOptInRules(t *testing.T) {
	base := Checkout{Token: "t1", Phone: "+5215512345678", UpdatedAt: "2026-11-30T18:04:37-06:00", Customer: &Customer{FirstName: "Ana"}}
	with := func(f func(*Checkout)) Checkout {
		c := base
		cust := *base.Customer
		c.Customer = &cust
		f(&c)
		return c
	}
	for name, c := range map[string]struct {
		checkout Checkout
		rule     string
		source   string // "" : skipped
		number   string
	}{
		"sms: consent subscribed": {with(func(c *Checkout) {
			c.Customer.Phone = "+525599990000"
			c.Customer.SMSMarketingConsent = &Consent{State: "subscribed"}
		}), "sms", "shopify sms_marketing_consent", "+525599990000"},
		"sms: consent unsubscribed": {with(func(c *Checkout) { c.Customer.SMSMarketingConsent = &Consent{State: "unsubscribed"} }), "sms", "", ""},
		"sms: ticked at checkout, its number": {with(func(c *Checkout) {
			c.BuyerAcceptsSMSMarketing, c.SMSMarketingPhone = true, "+525588887777"
		}), "sms", "shopify checkout: buyer_accepts_sms_marketing", "+525588887777"},
		"sms: email marketing is not sms": {with(func(c *Checkout) { c.BuyerAcceptsMarketing = true }), "sms", "", ""},
		"marketing: accepted":             {with(func(c *Checkout) { c.BuyerAcceptsMarketing = true }), "marketing", "shopify checkout: buyer_accepts_marketing", "+5215512345678"},
		"marketing: not accepted":         {base, "marketing", "", ""},
		"attribute: yes": {with(func(c *Checkout) {
			c.NoteAttributes = []Attribute{{Name: "gift_wrap", Value: "yes"}, {Name: "whatsapp_opt_in", Value: "Yes"}}
		}), "attribute:whatsapp_opt_in", "shopify checkout: note attribute whatsapp_opt_in", "+5215512345678"},
		"attribute: true": {with(func(c *Checkout) { c.NoteAttributes = []Attribute{{Name: "whatsapp_opt_in", Value: true}} }),
			"attribute:whatsapp_opt_in", "shopify checkout: note attribute whatsapp_opt_in", "+5215512345678"},
		"attribute: no":          {with(func(c *Checkout) { c.NoteAttributes = []Attribute{{Name: "whatsapp_opt_in", Value: "no"}} }), "attribute:whatsapp_opt_in", "", ""},
		"attribute: another one": {with(func(c *Checkout) { c.NoteAttributes = []Attribute{{Name: "gift_wrap", Value: "yes"}} }), "attribute:whatsapp_opt_in", "", ""},
	} {
		rule, err := ParseOptIn(c.rule)
		if err != nil {
			t.Fatal(err)
		}
		cart, err := c.checkout.Cart(rule)
		var skip *SkipError
		switch {
		case c.source == "" && !errors.As(err, &skip):
			t.Errorf("%s: %+v %v, want skipped", name, cart, err)
		case c.source == "" && !strings.Contains(skip.Reason, "CARTBACK_SHOPIFY_OPT_IN="+c.rule):
			t.Errorf("%s: reason %q names no rule", name, skip.Reason)
		case c.source != "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.source != "" && (cart.Customer.OptIn.Source != c.source || cart.Customer.Phone != c.number || cart.Customer.OptIn.At == ""):
			t.Errorf("%s: opt-in %+v to %s, want %q to %s", name, cart.Customer.OptIn, cart.Customer.Phone, c.source, c.number)
		}
	}
}

func TestCheckoutsThatMakeNoCart(t *testing.T) {
	subscribed := &Consent{State: "subscribed", ConsentUpdatedAt: "2026-11-30T18:03:02-06:00"}
	for name, c := range map[string]struct {
		checkout Checkout
		reason   string
	}{
		"no phone anywhere": {Checkout{Token: "t", Customer: &Customer{FirstName: "Ana", SMSMarketingConsent: subscribed}}, "no phone number"},
		"no name anywhere":  {Checkout{Token: "t", Customer: &Customer{Phone: "+525512345678", SMSMarketingConsent: subscribed}}, "no first name"},
		"no customer yet":   {Checkout{Token: "t", Phone: "+525512345678"}, "no opt-in"},
	} {
		_, err := c.checkout.Cart(OptIn{Kind: OptInSMS})
		var skip *SkipError
		if !errors.As(err, &skip) || !strings.Contains(skip.Reason, c.reason) {
			t.Errorf("%s: %v, want skipped for %q", name, err, c.reason)
		}
	}
	// A name from the shipping address will do, and a null price is left for the starter to refuse.
	c, err := DecodeCheckout([]byte(`{"token":"t","phone":"+525512345678","total_price":null,"customer":{"phone":null,"sms_marketing_consent":{"state":"subscribed"}},
		"shipping_address":{"first_name":" Luis "},"billing_address":null,"line_items":[{"title":"Gorra","quantity":1,"price":120.5}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cart, err := c.Cart(OptIn{Kind: OptInSMS})
	if err != nil || cart.Customer.Name != "Luis" || cart.Total != "" || cart.Items[0].UnitPrice != "120.5" {
		t.Errorf("cart %+v, %v: want Luis, no total, the price as written", cart, err)
	}
}

func TestMalformedBodies(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":         `checkout`,
		"an array":         `[{"token":"t"}]`,
		"no token":         `{"id": 1}`,
		"a price object":   `{"token":"t","total_price":{"amount":"1.00"}}`,
		"a wrong type":     `{"token":"t","line_items":[{"quantity":"two"}]}`,
		"an order without": `{"name":"#1001"}`,
	} {
		_, errCheckout := DecodeCheckout([]byte(body))
		_, errOrder := DecodeOrder([]byte(body))
		if name == "an order without" {
			errCheckout = errOrder
		}
		if !errors.Is(errCheckout, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, errCheckout)
		}
	}
}

func TestOrderIsAPurchase(t *testing.T) {
	o, err := DecodeOrder(sample(t, "orders_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	cartID, order, ok := o.Purchase()
	if !ok || cartID != "shopify:5f2b8a1c9d3e4f60a7b8c9d0e1f2a3b4" {
		t.Fatalf("purchase of %q %v, want the checkout's cart", cartID, ok)
	}
	p, err := starter.NormalizeOrder(order)
	want := workflows.Purchase{OrderID: "#1042", At: time.Date(2026, 12, 1, 1, 41, 55, 0, time.UTC), TotalMinor: 64800, Currency: "MXN"}
	if err != nil || p != want {
		t.Errorf("purchase %+v %v, want %+v", p, err, want)
	}
	if _, _, ok := (Order{ID: 9, Name: "#9"}).Purchase(); ok {
		t.Error("an order from no checkout (point of sale) is a purchase")
	}
	if _, p, _ := (Order{ID: 9, CheckoutToken: "t"}).Purchase(); p.OrderID != "9" || p.Total != nil {
		t.Errorf("an order without a name or a total: %+v, want its id and no total", p)
	}
}

func TestParseOptIn(t *testing.T) {
	for in, want := range map[string]string{"sms": "sms", " marketing ": "marketing", "attribute: whatsapp ": "attribute:whatsapp"} {
		if got, err := ParseOptIn(in); err != nil || got.String() != want {
			t.Errorf("ParseOptIn(%q) = %v %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "email", "attribute", "attribute:", "sms:x"} {
		if _, err := ParseOptIn(in); err == nil {
			t.Errorf("ParseOptIn(%q) took it", in)
		}
	}
}
