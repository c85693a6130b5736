package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// Checkout is the part of a checkouts/create or checkouts/update body that cartback reads. Shopify
// sends many more fields, all ignored; any may be null.
type Checkout struct {
	Token                    string      `json:"token"`
	Phone                    string      `json:"phone"`
	SMSMarketingPhone        string      `json:"sms_marketing_phone"`
	BuyerAcceptsMarketing    bool        `json:"buyer_accepts_marketing"`
	BuyerAcceptsSMSMarketing bool        `json:"buyer_accepts_sms_marketing"`
	CustomerLocale           string      `json:"customer_locale"`
	Currency                 string      `json:"currency"`
	TotalPrice               amount      `json:"total_price"`
	AbandonedCheckoutURL     string      `json:"abandoned_checkout_url"`
	CompletedAt              string      `json:"completed_at"`
	CreatedAt                string      `json:"created_at"`
	UpdatedAt                string      `json:"updated_at"`
	Customer                 *Customer   `json:"customer"`
	ShippingAddress          *Address    `json:"shipping_address"`
	BillingAddress           *Address    `json:"billing_address"`
	LineItems                []LineItem  `json:"line_items"`
	NoteAttributes           []Attribute `json:"note_attributes"`
}

// Customer is the checkout's customer, with their marketing consents.
type Customer struct {
	FirstName           string   `json:"first_name"`
	Phone               string   `json:"phone"`
	SMSMarketingConsent *Consent `json:"sms_marketing_consent"`
}

// Consent is a Shopify marketing consent: state "subscribed" is an opt-in.
type Consent struct {
	State            string `json:"state"`
	ConsentUpdatedAt string `json:"consent_updated_at"`
}

// Address is a shipping or billing address: only its phone and first name are read.
type Address struct {
	FirstName string `json:"first_name"`
	Phone     string `json:"phone"`
}

// LineItem is one line of the checkout.
type LineItem struct {
	Title        string `json:"title"`
	VariantTitle string `json:"variant_title"`
	SKU          string `json:"sku"`
	Quantity     int    `json:"quantity"`
	Price        amount `json:"price"`
}

// Attribute is a note attribute: a field the store's theme adds to the cart, such as a WhatsApp
// consent box.
type Attribute struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// amount is a price as Shopify writes it ("199.00"), kept as text for the starter to read exactly;
// null is "".
type amount string

func (a *amount) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*a = ""
	case string:
		*a = amount(v)
	case float64:
		*a = amount(b) // as written, not as the float reads
	default:
		return fmt.Errorf("a price must be a string or a number, not %s", b)
	}
	return nil
}

// DecodeCheckout decodes a checkout webhook's body. Only a body that is not a JSON object of
// Shopify's shape fails; missing fields are found by Cart.
func DecodeCheckout(body []byte) (Checkout, error) {
	var c Checkout
	if err := json.Unmarshal(body, &c); err != nil {
		return Checkout{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.Token == "" {
		return Checkout{}, fmt.Errorf("%w: no checkout token", ErrMalformed)
	}
	return c, nil
}

// Completed reports whether the checkout became an order: it is then a purchase, not a cart.
func (c Checkout) Completed() bool { return c.CompletedAt != "" }

// Purchase is what a completed checkout tells its flow: the order's id comes with orders/create.
func (c Checkout) Purchase() workflows.Purchase {
	var p workflows.Purchase
	if at, err := time.Parse(time.RFC3339, c.CompletedAt); err == nil {
		p.At = at.UTC()
	}
	return p
}

// CartID is the cart id of a checkout's flow: its token, which its updates and its order
// (checkout_token) carry too.
func CartID(token string) string { return "shopify:" + token }

// SkipError says why a checkout makes no cart: nothing in it would change on Shopify's retry, so
// the delivery is acknowledged.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "checkout skipped: " + e.Reason }

// Cart is the abandoned cart a checkout makes, for the starter to validate like any other, or a
// *SkipError when the checkout names no phone, no first name, or no opt-in under rule.
func (c Checkout) Cart(rule OptIn) (starter.Cart, error) {
	optIn, number, ok := rule.consent(c)
	if !ok {
		return starter.Cart{}, &SkipError{Reason: "no opt-in under CARTBACK_SHOPIFY_OPT_IN=" + rule.String()}
	}
	if number == "" {
		return starter.Cart{}, &SkipError{Reason: "no phone number"}
	}
	name := c.firstName()
	if name == "" {
		return starter.Cart{}, &SkipError{Reason: "no first name to greet the shopper by"}
	}
	cart := starter.Cart{
		CartID:   CartID(c.Token),
		Customer: starter.Customer{Phone: number, Name: name, Locale: c.CustomerLocale, OptIn: optIn},
		Currency: c.Currency,
		Total:    money.Decimal(c.TotalPrice),
		CartURL:  c.AbandonedCheckoutURL,
	}
	for _, li := range c.LineItems {
		cart.Items = append(cart.Items, starter.Item{SKU: li.SKU, Name: li.name(), Quantity: li.Quantity, UnitPrice: money.Decimal(li.Price)})
	}
	return cart, nil
}

func (c Checkout) firstName() string {
	return firstOf(c.customer().FirstName, c.shipping().FirstName, c.billing().FirstName)
}

// The nil-safe parts: Shopify sends null for what a checkout does not have yet.
func (c Checkout) customer() Customer {
	if c.Customer == nil {
		return Customer{}
	}
	return *c.Customer
}

func (c Checkout) shipping() Address {
	if c.ShippingAddress == nil {
		return Address{}
	}
	return *c.ShippingAddress
}

func (c Checkout) billing() Address {
	if c.BillingAddress == nil {
		return Address{}
	}
	return *c.BillingAddress
}

// name is the line as the shopper saw it: "T-shirt - Blue / M", or the title alone for a product
// without variants (whose variant Shopify titles "Default Title").
func (li LineItem) name() string {
	if v := strings.TrimSpace(li.VariantTitle); v != "" && v != "Default Title" {
		return li.Title + " - " + v
	}
	return li.Title
}

// firstOf is the first non-empty value.
func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
